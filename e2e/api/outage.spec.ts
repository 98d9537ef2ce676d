import { randomBytes, randomUUID } from "node:crypto";
import postgres from "postgres";
import { startTcpProxy } from "../../lib/testing/tcp-proxy";
import { expect, screensOf } from "../fixtures";
import { randomAddress, recordSecret, SECRET_RE } from "./api-helpers";
import { portAt, type ServerProcess, type TestDatabase } from "./server-process";
import {
  clock,
  codeOf,
  databaseOf,
  is2xx,
  keep,
  makeKeyInConsole,
  ms,
  pollHistory,
  pollUntil,
  sender,
  show,
  sleepUntil,
  startInstance,
  test,
  type Answer,
  type Defer,
} from "./two-instances";

// Database outages, as a client of the REST API and a person at the console see them. Each test
// runs production servers of its own on a database of its own, each server talking to PostgreSQL
// through a TCP proxy the test cuts (connections dropped, new ones refused) or stalls (a black
// hole: connections stay open, nothing gets through). What a client may rely on: an answer
// within the timeouts, and that answer a 503 envelope with Retry-After saying either that nothing
// changed (database_unavailable) or that a change's fate is unknown (outcome_unknown, which a
// retry with the same Idempotency-Key settles); service again within a second of the database's
// return; and no revoked key accepted by an instance that cannot check.

/** DATABASE_CONNECT_TIMEOUT_SECONDS and DATABASE_QUERY_TIMEOUT_SECONDS for every server here. */
const DATABASE_TIMEOUT_MS = 2_000;
/** The longest any answer may take while the database is away: the timeouts plus a margin. */
const ANSWER_LIMIT_MS = DATABASE_TIMEOUT_MS + 1_500;
/** What a request that meets a stall may take beyond the query timeout to be answered. */
const STALL_MARGIN_MS = 700;
/** After the database is back, requests that start this much later must succeed. */
const RECOVERY_MS = 1_000;
/** An answer that has not come by now is recorded as none (a hang), and the client moves on. */
const GIVE_UP_MS = ANSWER_LIMIT_MS + 1_500;
/** How long to keep polling for recovery after a restore (to say how late it came, if late). */
const POLL_MS = 10_000;
const send = sender(GIVE_UP_MS);

test.skip(!process.env.DATABASE_URL, "the outage is simulated between Latchkey and a PostgreSQL server: set DATABASE_URL (a local server)");

// ── Servers, proxies ─────────────────────────────────────────────────────────────────────────

type Proxy = Awaited<ReturnType<typeof startTcpProxy>>;

async function proxyTo(defer: Defer, database: TestDatabase): Promise<Proxy> {
  const proxy = await startTcpProxy({ host: database.host, port: database.port });
  defer(proxy.close);
  return proxy;
}

/** A production server whose every database connection goes through `proxy`. */
function serverThrough(
  defer: Defer,
  port: number,
  database: TestDatabase,
  proxy: Proxy,
  authSecret: string,
  readyMs?: number,
): Promise<ServerProcess> {
  return startInstance(defer, port, database.urlVia("127.0.0.1", proxy.port), authSecret, {
    env: {
      DATABASE_CONNECT_TIMEOUT_SECONDS: String(DATABASE_TIMEOUT_MS / 1000),
      DATABASE_QUERY_TIMEOUT_SECONDS: String(DATABASE_TIMEOUT_MS / 1000),
    },
    readyMs,
  });
}

/** Direct to the test's database, not through any proxy: what was really committed. */
function directSql(defer: Defer, database: TestDatabase) {
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  defer(() => sql.end({ timeout: 1 }));
  return sql;
}

// ── Answers ──────────────────────────────────────────────────────────────────────────────────

/**
 * What is wrong with an answer given while the database may be away, or null: it must be a JSON
 * envelope; a success with the operation's own status; anything else a 503 ServiceUnavailable
 * with Retry-After that says nothing changed, or, for a change, that its fate is unknown.
 */
function problemWith(a: Answer, successStatus: number): string | null {
  if (a.problem) return a.problem;
  const body = a.body!;
  if (is2xx(a)) {
    if (a.status !== successStatus) return `a success, but ${a.status} instead of ${successStatus}`;
    if (!body.success || body.hasError) return "a 2xx whose envelope says it failed";
    return null;
  }
  const allowed = a.method === "GET" ? ["database_unavailable"] : ["database_unavailable", "outcome_unknown"];
  if (a.status !== 503) return `${a.status} instead of 503 (${JSON.stringify(body).slice(0, 200)})`;
  if (body.statusCode !== "ServiceUnavailable" || body.success || !body.hasError)
    return `a 503 whose envelope says ${JSON.stringify(body).slice(0, 200)}`;
  if (!allowed.includes(codeOf(a) ?? "")) return `code ${codeOf(a)} instead of ${allowed.join(" or ")}`;
  if (!/^[1-9]\d*$/.test(a.retryAfter ?? "")) return `Retry-After ${JSON.stringify(a.retryAfter)}`;
  return null;
}

// ── 1. Two instances, steady traffic, cuts and a stall ───────────────────────────────────────

interface Create {
  name: string;
  idempotencyKey: string;
  server: ServerProcess;
  serverName: string;
  answer: Answer;
}

test("two instances under steady traffic through two cuts and a stall: only prompt 503 envelopes, recovery within a second, and every create accounted for", async ({
  browser,
  defer,
}) => {
  test.setTimeout(150_000);
  const database = await databaseOf(defer, "outage");
  const [proxyA, proxyB] = [await proxyTo(defer, database), await proxyTo(defer, database)];
  const authSecret = randomBytes(32).toString("base64url");
  // One after the other: the first one migrates and seeds the empty database.
  const a = await serverThrough(defer, portAt(1), database, proxyA, authSecret);
  const b = await serverThrough(defer, portAt(2), database, proxyB, authSecret);
  const servers = [
    { name: "A", server: a },
    { name: "B", server: b },
  ];
  const key = await makeKeyInConsole(browser, a.baseURL, `Outage traffic ${randomBytes(3).toString("hex")}`);
  const me = await send(b, "B", "GET", "/api/data/me", { key });
  expect(me.status, show(me, me.start)).toBe(200);
  const workspaceId = (me.body!.data as { workspace: { id: string } }).workspace.id;
  // A fresh server compiles and optimises on its first requests: warmed up first, the normal
  // phases measure the service rather than its start.
  for (let round = 0; round < 4; round++) {
    const warm = await Promise.all(
      servers.flatMap(({ name, server }) => [
        send(server, name, "GET", "/api/data/me", { key }),
        send(server, name, "GET", "/api/data/api-keys?pageSize=1", { key }),
        send(server, name, "POST", "/api/data/api-keys", { key, body: { name: `Warm-up ${randomUUID()}` } }),
      ]),
    );
    for (const w of warm) {
      expect(is2xx(w), show(w, w.start)).toBe(true);
      const secret = (w.body?.data as { secret?: unknown } | undefined)?.secret;
      if (typeof secret === "string") recordSecret(secret);
    }
  }

  // The schedule, in ms from the start of the traffic.
  const schedule: { at: number; action: "cut" | "stall" | "restore" }[] = [
    { at: 2_000, action: "cut" },
    { at: 5_000, action: "restore" },
    { at: 7_000, action: "cut" },
    { at: 10_000, action: "restore" },
    { at: 12_000, action: "stall" },
    { at: 15_000, action: "restore" },
  ];
  const trafficMs = 18_000;
  const clients = 8;
  // ~100 requests a second in all, while answers are prompt.
  const intervalMs = (1000 * clients) / 100;
  const namePrefix = `Outage ${randomBytes(3).toString("hex")} `;

  const t0 = clock();
  const events: { at: number; action: string }[] = [];
  const answers: { answer: Answer; successStatus: number }[] = [];
  const creates: Create[] = [];
  const faults = (async () => {
    for (const step of schedule) {
      await sleepUntil(t0 + step.at);
      // A fault counts from just before it, a restore from just after it.
      const before = clock();
      for (const proxy of [proxyA, proxyB]) proxy[step.action]();
      events.push({ at: step.action === "restore" ? clock() : before, action: step.action });
    }
  })();
  let serial = 0;
  const client = async (index: number) => {
    const xff = randomAddress();
    // Paced, one request at a time; after a slow answer the next goes at once (no catching up in a burst).
    for (let n = 0, due = t0 + (index * intervalMs) / clients; due < t0 + trafficMs; n++, due = Math.max(due + intervalMs, clock())) {
      await sleepUntil(due);
      const { name: serverName, server } = servers[(index + n) % 2];
      const op = n % 3;
      if (op === 0) answers.push({ answer: await send(server, serverName, "GET", "/api/data/me", { key, xff }), successStatus: 200 });
      else if (op === 1)
        answers.push({ answer: await send(server, serverName, "GET", "/api/data/api-keys?pageSize=1", { key, xff }), successStatus: 200 });
      else {
        const name = `${namePrefix}${++serial}`;
        const idempotencyKey = randomUUID();
        const answer = await send(server, serverName, "POST", "/api/data/api-keys", {
          key,
          xff,
          body: { name },
          headers: { "idempotency-key": idempotencyKey },
        });
        answers.push({ answer, successStatus: 201 });
        creates.push({ name, idempotencyKey, server, serverName, answer });
        const secret = (answer.body?.data as { secret?: unknown } | undefined)?.secret;
        if (typeof secret === "string") recordSecret(secret);
      }
    }
  };
  await Promise.all([faults, ...Array.from({ length: clients }, (_, i) => client(i))]);
  const timeline = events.map((e) => `${e.action} at ${ms(e.at - t0)}`).join(", ");
  await keep(
    "answers.txt",
    [
      timeline,
      ...answers
        .map(({ answer }) => answer)
        .sort((x, y) => x.start - y.start)
        .map((x) => show(x, t0)),
    ].join("\n"),
  );
  const faultCount = answers.filter(({ answer }) => !is2xx(answer)).length;
  const summary = `${answers.length} requests (${faultCount} not 2xx, ${creates.length} creates); ${timeline}`;

  // Every answer a JSON envelope; every failure a 503 with Retry-After and an honest code.
  const wrong = answers.flatMap(({ answer, successStatus }) => {
    const problem = problemWith(answer, successStatus);
    return problem ? [`${show(answer, t0)} — ${problem}`] : [];
  });
  expect.soft(wrong, `answers that are not a success nor a prompt 503 envelope (${summary})`).toEqual([]);

  // Never a hang: each within the timeouts plus a margin.
  const slow = answers.filter(({ answer }) => answer.end - answer.start > ANSWER_LIMIT_MS).map(({ answer }) => show(answer, t0));
  expect.soft(slow, `answers slower than ${ms(ANSWER_LIMIT_MS)} (${summary})`).toEqual([]);

  // A stall (nothing answers, nothing fails) is ended by the query timeout, not by the restore: what
  // starts early enough in it is answered before it ends.
  const stallAnswered = events.flatMap((e, i) => {
    if (e.action !== "stall") return [];
    const end = events[i + 1].at;
    const latestStart = end - DATABASE_TIMEOUT_MS - STALL_MARGIN_MS;
    return answers
      .filter(({ answer }) => answer.start >= e.at && answer.start <= latestStart && answer.end >= end)
      .map(({ answer }) => `${show(answer, t0)} (the stall from ${ms(e.at - t0)} ended at ${ms(end - t0)})`);
  });
  expect.soft(stallAnswered, `requests the query timeout should have answered during the stall, answered only after it (${summary})`).toEqual([]);

  // Served again once the database is back: whatever starts a second after a restore (and before
  // the next fault) succeeds, as does everything before the first fault.
  const healthy = [{ from: t0, until: events[0].at, label: "before the first fault" }];
  events.forEach((e, i) => {
    if (e.action === "restore")
      healthy.push({
        from: e.at + RECOVERY_MS,
        until: events[i + 1]?.at ?? Infinity,
        label: `over ${ms(RECOVERY_MS)} after the restore at ${ms(e.at - t0)}`,
      });
  });
  const unserved = healthy.flatMap(({ from, until, label }) =>
    answers
      .filter(({ answer }) => answer.start >= from && answer.end < until && !is2xx(answer))
      .map(({ answer }) => `${show(answer, t0)} (${label})`),
  );
  expect.soft(unserved, `requests that failed while the database was reachable (${summary})`).toEqual([]);

  // Every create accounted for, in the database itself.
  const sql = directSql(defer, database);
  const stored = async () =>
    new Map(
      (
        await sql<
          { id: string; name: string }[]
        >`select id, name from api_keys where workspace_id = ${workspaceId} and starts_with(name, ${namePrefix})`
      ).map((r) => [r.name, r.id]),
    );
  const before = await stored();
  const created = creates.filter((c) => c.answer.status === 201);
  const unchanged = creates.filter((c) => codeOf(c.answer) === "database_unavailable");
  // outcome_unknown, or anything else that leaves the client not knowing (already reported above).
  const unknown = creates.filter((c) => !created.includes(c) && !unchanged.includes(c));
  expect
    .soft(
      created.filter((c) => !before.has(c.name)).map((c) => show(c.answer, t0, ` "${c.name}"`)),
      `answered 201 but not in the database (${summary})`,
    )
    .toEqual([]);
  expect
    .soft(
      unchanged.filter((c) => before.has(c.name)).map((c) => show(c.answer, t0, ` "${c.name}"`)),
      `answered database_unavailable ("nothing was changed") but in the database (${summary})`,
    )
    .toEqual([]);

  // The client settles each unknown outcome by sending the same request with the same Idempotency-Key.
  const believed = new Set(created.map((c) => c.name));
  const retries: { c: Create; retry: Answer }[] = [];
  for (const c of unknown) {
    const retry = await send(c.server, c.serverName, "POST", "/api/data/api-keys", {
      key,
      body: { name: c.name },
      headers: { "idempotency-key": c.idempotencyKey },
    });
    retries.push({ c, retry });
    if (retry.status === 201) believed.add(c.name);
    const secret = (retry.body?.data as { secret?: unknown } | undefined)?.secret;
    if (typeof secret === "string") recordSecret(secret);
  }
  const after = await sql<{ name: string; id: string; n: number }[]>`
    select name, min(id::text) as id, count(*)::int as n from api_keys
    where workspace_id = ${workspaceId} and starts_with(name, ${namePrefix}) group by name`;
  const storedId = new Map(after.map((r) => [r.name, r.id]));
  const unsettled = retries.flatMap(({ c, retry }) => {
    const data = retry.body?.data as { key?: { id?: string }; secret?: unknown } | undefined;
    const seen = `${show(c.answer, t0, ` "${c.name}"`)}; retried: ${show(retry, t0)}, Idempotent-Replayed ${retry.replayed}, key id ${data?.key?.id}, secret ${data?.secret === null ? "null" : typeof data?.secret}`;
    const replay = retry.status === 201 && retry.replayed === "true" && data?.secret === null;
    const fresh = retry.status === 201 && retry.replayed === null && typeof data?.secret === "string" && SECRET_RE.test(data.secret);
    if (before.has(c.name)) {
      // It had been made: the retry must answer with that key, not make another.
      if (!replay || data?.key?.id !== before.get(c.name)) return [`${seen} — it had been created (id ${before.get(c.name)}), so a replay was due`];
    } else if (!(replay || fresh) || data?.key?.id !== storedId.get(c.name)) {
      // Not made (yet: the first request may have been still on its way): the retry makes it, or
      // replays the first request's answer if that committed meanwhile; either way the stored key.
      return [`${seen} — it had not been created, so the retry had to create it (stored: ${storedId.get(c.name) ?? "nothing"})`];
    }
    return [];
  });
  expect.soft(unsettled, `outcome-unknown creates a retry with the same Idempotency-Key did not settle (${summary})`).toEqual([]);

  // The database holds exactly what the clients believe they created, each once.
  expect
    .soft(
      after.filter((r) => r.n !== 1).map((r) => `"${r.name}" ×${r.n}`),
      "names stored more than once",
    )
    .toEqual([]);
  expect
    .soft(
      after
        .map((r) => r.name)
        .filter((n) => !believed.has(n))
        .sort(),
      "in the database, but no client believes it created them",
    )
    .toEqual([]);
  expect.soft([...believed].filter((n) => !storedId.has(n)).sort(), "believed created, but not in the database").toEqual([]);
});

// ── 2. One instance partitioned, a key revoked through the other ─────────────────────────────

test("an instance cut off from the database never accepts a key revoked meanwhile through another instance, and refuses it within a second of the database's return", async ({
  browser,
  defer,
}) => {
  test.setTimeout(90_000);
  const database = await databaseOf(defer, "partition");
  const [proxyA, proxyB] = [await proxyTo(defer, database), await proxyTo(defer, database)];
  const authSecret = randomBytes(32).toString("base64url");
  const a = await serverThrough(defer, portAt(3), database, proxyA, authSecret);
  const b = await serverThrough(defer, portAt(4), database, proxyB, authSecret);
  const admin = await makeKeyInConsole(browser, a.baseURL, `Outage admin ${randomBytes(3).toString("hex")}`);
  const made = await send(a, "A", "POST", "/api/data/api-keys", { key: admin, body: { name: `Outage revoked ${randomBytes(3).toString("hex")}` } });
  expect(made.status, show(made, made.start)).toBe(201);
  const { key: madeKey, secret } = made.body!.data as { key: { id: string }; secret: string };
  recordSecret(secret);

  // A has K in its cache.
  for (let i = 0; i < 3; i++) {
    const warm = await send(a, "A", "GET", "/api/data/me", { key: secret });
    expect(warm.status, show(warm, warm.start)).toBe(200);
  }

  proxyA.cut();
  const t0 = clock();
  const revoked = await send(b, "B", "DELETE", `/api/data/api-keys/${madeKey.id}/revoke`, { key: admin });
  expect(revoked.status, show(revoked, t0)).toBe(200);

  // A cannot check, so it must not accept K: a 503 (it cannot tell), never a 2xx from its cache.
  const partitioned: Answer[] = [];
  for (let i = 0; i < 6; i++) {
    await sleepUntil(revoked.end + i * 250);
    partitioned.push(await send(a, "A", "GET", "/api/data/me", { key: secret }));
  }
  const shown = [`A cut off at 0 ms; K revoked through B: ${show(revoked, t0)}`, ...partitioned.map((x) => show(x, t0))].join("\n");
  expect.soft(partitioned.filter(is2xx).length, `A accepted the revoked key while cut off from the database:\n${shown}`).toBe(0);
  expect
    .soft(
      partitioned.map((x) => problemWith(x, 200)),
      `A's answers while cut off should be prompt 503 database_unavailable envelopes:\n${shown}`,
    )
    .toEqual(partitioned.map(() => null));
  expect
    .soft(
      partitioned.filter((x) => x.end - x.start > ANSWER_LIMIT_MS).map((x) => show(x, t0)),
      `slower than ${ms(ANSWER_LIMIT_MS)}`,
    )
    .toEqual([]);

  // Back: A refuses K as revoked within a second, and never accepted it on the way.
  proxyA.restore();
  const restoredAt = clock();
  const back: Answer[] = [];
  while (clock() < restoredAt + POLL_MS) {
    const answer = await send(a, "A", "GET", "/api/data/me", { key: secret });
    back.push(answer);
    if (answer.status === 401 || is2xx(answer)) break;
    await sleepUntil(answer.start + 100);
  }
  const history = pollHistory(back, restoredAt);
  const last = back.at(-1)!;
  expect(back.filter(is2xx).length, `A accepted the revoked key after the restore:\n${history}`).toBe(0);
  expect(last.status, `A never refused the revoked key with 401 (times from the restore):\n${history}`).toBe(401);
  expect(codeOf(last), history).toBe("key_revoked");
  expect(
    last.start - restoredAt,
    `A's first 401 came from a request sent over ${ms(RECOVERY_MS)} after the restore:\n${history}`,
  ).toBeLessThanOrEqual(RECOVERY_MS);
});

// ── 3. Started while the database is down ────────────────────────────────────────────────────

test("a server started while the database is down listens, answers 503 (health, REST, console), and serves normally within a second of its return", async ({
  browser,
  defer,
}) => {
  test.setTimeout(90_000);
  const database = await databaseOf(defer, "coldstart");
  const proxy = await proxyTo(defer, database);
  const authSecret = randomBytes(32).toString("base64url");
  // A first run migrates and seeds the database, and an Admin makes a key there.
  const first = await serverThrough(defer, portAt(5), database, proxy, authSecret);
  const keyName = `Outage cold start ${randomBytes(3).toString("hex")}`;
  const key = await makeKeyInConsole(browser, first.baseURL, keyName);
  expect(await first.stop(), first.output()).toBe(0);

  proxy.cut();
  const server = await serverThrough(defer, portAt(6), database, proxy, authSecret, 30_000);
  const t0 = clock();
  const log = () => `\nserver output:\n${server.output()}`;

  const health = await send(server, "S", "GET", "/api/health");
  expect.soft(health.status, show(health, t0) + log()).toBe(503);
  expect.soft(codeOf(health), show(health, t0)).toBe("database_unreachable");
  expect.soft(health.retryAfter ?? "(none)", show(health, t0)).toMatch(/^[1-9]\d*$/);
  expect.soft(health.end - health.start, show(health, t0)).toBeLessThanOrEqual(DATABASE_TIMEOUT_MS + 500);

  const rest = await send(server, "S", "GET", "/api/data/me", { key });
  expect.soft(problemWith(rest, 200), show(rest, t0)).toBeNull();
  expect.soft(rest.status, show(rest, t0)).toBe(503);
  expect.soft(rest.end - rest.start, show(rest, t0)).toBeLessThanOrEqual(ANSWER_LIMIT_MS);

  const consoleStart = clock();
  const login = await fetch(`${server.baseURL}/login`, { redirect: "manual", signal: AbortSignal.timeout(GIVE_UP_MS) });
  const page = await login.text();
  const consoleMs = clock() - consoleStart;
  expect.soft(login.status, `GET /login while the database is down, ${ms(consoleMs)}: ${page.slice(0, 300)}`).toBe(503);
  expect.soft(page).toContain("Latchkey cannot reach its database");
  expect.soft(consoleMs, "GET /login while the database is down").toBeLessThanOrEqual(ANSWER_LIMIT_MS);

  // The database returns: health 200 within a second (and a margin for the probe itself).
  proxy.restore();
  const restoredAt = clock();
  const polls: Answer[] = [];
  while (clock() < restoredAt + POLL_MS) {
    const poll = await send(server, "S", "GET", "/api/health");
    polls.push(poll);
    if (poll.status === 200) break;
    await sleepUntil(poll.start + 100);
  }
  const history = pollHistory(polls, restoredAt);
  const ready = polls.at(-1)!;
  expect(ready.status, `health never turned 200 after the restore (times from the restore):\n${history}`).toBe(200);
  expect.soft(ready.end - restoredAt, `health turned 200 late (times from the restore):\n${history}`).toBeLessThanOrEqual(RECOVERY_MS + 500);

  // Then it serves normally: the sign-in form signs in, and the key works.
  const context = await browser.newContext({ baseURL: server.baseURL });
  defer(() => context.close());
  const { loginPage } = screensOf(await context.newPage());
  await loginPage.goto();
  await expect(loginPage.title).toBeVisible();
  await loginPage.signIn("admin@acme.test");
  const served = await send(server, "S", "GET", "/api/data/me", { key });
  expect(served.status, show(served, t0)).toBe(200);
  expect((served.body!.data as { key: { name: string } }).key.name).toBe(keyName);
});

// ── 4. No fault: a change reaches the other instance ─────────────────────────────────────────

test("a revoke or disable made through one instance is refused there on the next request and by the other within a second", async ({
  browser,
  defer,
}) => {
  test.setTimeout(90_000);
  const database = await databaseOf(defer, "propagation");
  const [proxyA, proxyB] = [await proxyTo(defer, database), await proxyTo(defer, database)];
  const authSecret = randomBytes(32).toString("base64url");
  const a = await serverThrough(defer, portAt(8), database, proxyA, authSecret);
  const b = await serverThrough(defer, portAt(9), database, proxyB, authSecret);
  const admin = await makeKeyInConsole(browser, a.baseURL, `Propagation admin ${randomBytes(3).toString("hex")}`);
  const make = async (label: string) => {
    const made = await send(a, "A", "POST", "/api/data/api-keys", { key: admin, body: { name: `${label} ${randomBytes(3).toString("hex")}` } });
    expect(made.status, show(made, made.start)).toBe(201);
    const { key, secret } = made.body!.data as { key: { id: string }; secret: string };
    recordSecret(secret);
    return { id: key.id, secret };
  };
  const disabled = await make("Disabled through A");
  const revoked = await make("Revoked through B");
  const untouched = await make("Untouched");
  // Both instances hold all three in their caches.
  for (const server of [a, b])
    for (const k of [disabled, revoked, untouched])
      for (let i = 0; i < 2; i++) expect((await send(server, "?", "GET", "/api/data/me", { key: k.secret })).status).toBe(200);

  /** Sends `secret` to `server` until it is refused with `code` (at most 5 s after `since`). */
  const refusedAfter = (server: ServerProcess, name: string, secret: string, code: string, since: number) =>
    pollUntil(
      () => send(server, name, "GET", "/api/data/me", { key: secret }),
      (answer) => codeOf(answer) === code,
      is2xx,
      since,
    );

  const patched = await send(a, "A", "PATCH", `/api/data/api-keys/${disabled.id}`, { key: admin, body: { enabled: false } });
  expect(patched.status, show(patched, patched.start)).toBe(200);
  const onA = await refusedAfter(a, "A", disabled.secret, "key_disabled", patched.end);
  expect(onA.first, `the instance that disabled the key accepted it on the next request:\n${onA.history}`).toBe(true);
  const onB = await refusedAfter(b, "B", disabled.secret, "key_disabled", patched.end);
  expect(onB.ms, `the other instance took too long:\n${onB.history}`).toBeLessThanOrEqual(1_000);

  const deleted = await send(b, "B", "DELETE", `/api/data/api-keys/${revoked.id}/revoke`, { key: admin });
  expect(deleted.status, show(deleted, deleted.start)).toBe(200);
  const onB2 = await refusedAfter(b, "B", revoked.secret, "key_revoked", deleted.end);
  expect(onB2.first, `the instance that revoked the key accepted it on the next request:\n${onB2.history}`).toBe(true);
  const onA2 = await refusedAfter(a, "A", revoked.secret, "key_revoked", deleted.end);
  expect(onA2.ms, `the other instance took too long:\n${onA2.history}`).toBeLessThanOrEqual(1_000);

  // A key nobody touched still works on both.
  for (const server of [a, b]) expect((await send(server, "?", "GET", "/api/data/me", { key: untouched.secret })).status).toBe(200);
});
