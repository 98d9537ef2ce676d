import { and, asc, count, eq, sql, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { describe, it, expect, beforeAll, afterAll, onTestFinished } from "vitest";
import type { Db, OpenDatabase } from "@/db";
import { accessLogGaps, accessLogs, memberships, type NewAccessLog } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { createApiKey, revokeApiKey } from "@/lib/api-keys/core";
import { contextFor, seedFixtures, userId, workspaceId } from "@/lib/testing/fixtures";
import { accessLogQuerySchema, listAccessLogGaps, listAccessLogs, usageByHour } from "./query";
import { enqueueAccessLog, flushAccessLogs, purgeAccessLogs } from "./writer";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

let seq = 0;
const uniqueName = (label: string) => `${label} ${++seq}`;

function entry(apiKeyId: string, workspaceId: string, at: Date, status = 200, extra: Partial<NewAccessLog> = {}): NewAccessLog {
  return {
    apiKeyId,
    workspaceId,
    at,
    method: "GET",
    path: "/api/data/me",
    status,
    durationMs: 4,
    reason: status >= 400 ? "key_disabled" : null,
    ...extra,
  };
}

async function rowsFor(db: Db, keyId: string) {
  const [{ n }] = await db.select({ n: count() }).from(accessLogs).where(eq(accessLogs.apiKeyId, keyId));
  return n;
}

/** A fresh key in a workspace, created by that workspace's Admin. */
async function newKey(db: Db, slug: "acme" | "globex") {
  const admin = slug === "acme" ? "admin@acme.test" : "admin@globex.test";
  const { key } = await createApiKey(db, await contextFor(db, admin, slug), { name: uniqueName(`Logged ${slug}`) });
  return { id: key.id, workspaceId: await workspaceId(db, slug) };
}

describe("access log writer", () => {
  let handle: OpenDatabase;
  let db: Db;

  beforeAll(async () => {
    handle = await createTestDatabase();
    db = handle.db;
    await seedFixtures(db);
  });
  afterAll(() => handle.close());

  it("writes nothing until a flush, then every entry, in batches", async () => {
    const a = await newKey(db, "acme");
    const b = await newKey(db, "globex");
    // Count the INSERT statements the writer issues, and the rows in each (its one JSON parameter).
    const batches: number[] = [];
    const dialect = new PgDialect();
    const counting = new Proxy(db, {
      get(target, prop, receiver) {
        if (prop !== "execute") return Reflect.get(target, prop, receiver);
        return (query: SQL) => {
          const { sql: text, params } = dialect.sqlToQuery(query);
          if (/insert into "access_logs"/.test(text)) batches.push((JSON.parse(params[0] as string) as unknown[]).length);
          return target.execute(query);
        };
      },
    });
    const now = Date.now();
    for (let i = 0; i < 1200; i++) {
      const key = i % 3 === 0 ? b : a;
      enqueueAccessLog(counting, entry(key.id, key.workspaceId, new Date(now - i * 1000), i % 7 === 0 ? 401 : 200, { path: `/api/data/me?n=${i}` }));
    }
    // The timer flushes after a second: right now nothing is in the database.
    const [{ before }] = await db.select({ before: count() }).from(accessLogs);
    expect(before).toBe(0);
    expect(batches).toEqual([]);

    await flushAccessLogs();
    expect(await rowsFor(db, a.id)).toBe(800);
    expect(await rowsFor(db, b.id)).toBe(400);
    expect(batches.reduce((s, n) => s + n, 0)).toBe(1200);
    expect(batches.length).toBeGreaterThan(1);
    expect(Math.max(...batches)).toBeLessThanOrEqual(500);

    // Every entry arrives whole and once.
    const paths = await db.select({ path: accessLogs.path }).from(accessLogs).orderBy(asc(accessLogs.path));
    expect(new Set(paths.map((p) => p.path)).size).toBe(1200);
    const [sample] = await db.select().from(accessLogs).where(eq(accessLogs.path, "/api/data/me?n=7"));
    expect(sample).toMatchObject({
      apiKeyId: a.id,
      workspaceId: a.workspaceId,
      method: "GET",
      status: 401,
      durationMs: 4,
      reason: "key_disabled",
      at: new Date(now - 7000),
    });

    // A flush with nothing buffered writes nothing.
    await flushAccessLogs();
    const [{ after }] = await db.select({ after: count() }).from(accessLogs);
    expect(after).toBe(1200);
  });

  it("keeps entries queued during a flush for the next one", async () => {
    const key = await newKey(db, "acme");
    const at = new Date();
    for (let i = 0; i < 10; i++) enqueueAccessLog(db, entry(key.id, key.workspaceId, at));
    const first = flushAccessLogs();
    for (let i = 0; i < 5; i++) enqueueAccessLog(db, entry(key.id, key.workspaceId, at, 500));
    await first;
    expect(await rowsFor(db, key.id)).toBe(10);
    await flushAccessLogs();
    expect(await rowsFor(db, key.id)).toBe(15);
  });

  it("writes everything buffered so far even when called while another flush is running", async () => {
    const key = await newKey(db, "acme");
    const at = new Date();
    for (let i = 0; i < 10; i++) enqueueAccessLog(db, entry(key.id, key.workspaceId, at));
    const running = flushAccessLogs();
    for (let i = 0; i < 5; i++) enqueueAccessLog(db, entry(key.id, key.workspaceId, at, 500));
    // As shutdown would: flush and wait, while the timer's flush is still writing.
    await flushAccessLogs();
    expect(await rowsFor(db, key.id)).toBe(15);
    await running;
  });

  it("stores every field as given: nulls, millisecond times, quotes, backslashes and non-ASCII text", async () => {
    const key = await newKey(db, "acme");
    const at = new Date("2030-05-06T07:08:09.123Z");
    const full: NewAccessLog = {
      ...entry(key.id, key.workspaceId, at, 403),
      method: "POST",
      path: "/api/data/verify?q=%22x%22",
      durationMs: 17,
      reason: "scope_missing",
      ip: "2001:db8::1",
      integration: 'Zap "ß" \\ 集成',
      requestHeaders: '{"content-type":"application/json","x-apikey":"[redacted]"}',
      requestBody: '{"token":"[redacted]","note":"line\\nbreak \\u0000-free ✓"}',
      responseBody: '{"success":false}',
    };
    const bare = { ...entry(key.id, key.workspaceId, new Date(at.getTime() + 1)), reason: null, ip: null, integration: null };
    enqueueAccessLog(db, full);
    enqueueAccessLog(db, bare);
    await flushAccessLogs();
    const rows = await db.select().from(accessLogs).where(eq(accessLogs.apiKeyId, key.id)).orderBy(asc(accessLogs.at));
    expect(rows).toHaveLength(2);
    const { id: _id, ...stored } = rows[0];
    expect(stored).toEqual(full);
    expect(rows[1]).toMatchObject({ ...bare, requestHeaders: null, requestBody: null, responseBody: null });
  });
});

describe("entries the database refuses", () => {
  let handle: OpenDatabase;
  let db: Db;

  beforeAll(async () => {
    handle = await createTestDatabase();
    db = handle.db;
    await seedFixtures(db);
  });
  afterAll(() => handle.close());

  it("are counted as a gap in each key's log, which the key's readers see and no other workspace does", async () => {
    const a = await newKey(db, "acme");
    const b = await newKey(db, "globex");
    const t0 = Date.UTC(2031, 0, 1, 12);
    for (let i = 0; i < 3; i++) enqueueAccessLog(db, entry(a.id, a.workspaceId, new Date(t0 + i * 1000)));
    for (let i = 0; i < 2; i++) enqueueAccessLog(db, entry(b.id, b.workspaceId, new Date(t0 + 60_000)));
    // One entry the database must refuse (its key does not exist), and with it the whole batch.
    enqueueAccessLog(db, entry("00000000-0000-4000-8000-000000000000", a.workspaceId, new Date(t0)));
    await flushAccessLogs();
    expect(await rowsFor(db, a.id)).toBe(0);
    // The next flush (nothing else buffered) writes what was lost.
    await flushAccessLogs();

    const acmeAdmin = await contextFor(db, "admin@acme.test", "acme");
    expect(await listAccessLogGaps(db, acmeAdmin, a.id)).toEqual({
      lost: 3,
      gaps: [{ from: new Date(t0), to: new Date(t0 + 2000), lost: 3, cause: "refused" }],
    });
    const globexAdmin = await contextFor(db, "admin@globex.test", "globex");
    expect(await listAccessLogGaps(db, globexAdmin, b.id)).toMatchObject({ lost: 2, gaps: [{ lost: 2, cause: "refused" }] });
    await expect(listAccessLogGaps(db, globexAdmin, a.id)).rejects.toThrow();
    // Nothing is recorded for a key that does not exist, and nothing twice.
    await flushAccessLogs();
    const all = await db.select({ key: accessLogGaps.apiKeyId, lost: accessLogGaps.lost }).from(accessLogGaps);
    expect(all.sort((x, y) => x.lost - y.lost)).toEqual([
      { key: b.id, lost: 2 },
      { key: a.id, lost: 3 },
    ]);
  });
});

describe("listAccessLogs, usageByHour and purgeAccessLogs", () => {
  let handle: OpenDatabase;
  let db: Db;
  let acme: { id: string; workspaceId: string };
  let other: { id: string; workspaceId: string };
  let globex: { id: string; workspaceId: string };
  const NOW = new Date("2031-03-10T14:25:00.000Z");
  const ago = (ms: number) => new Date(NOW.getTime() - ms);
  const adminCtx = () => contextFor(db, "admin@acme.test", "acme");
  const q = (input: Record<string, unknown>) => accessLogQuerySchema.parse(input);

  beforeAll(async () => {
    handle = await createTestDatabase();
    db = handle.db;
    await seedFixtures(db);
    acme = await newKey(db, "acme");
    other = await newKey(db, "acme");
    globex = await newKey(db, "globex");
    const rows: NewAccessLog[] = [];
    // 25 requests in the last 24 hours, every fifth refused.
    for (let i = 0; i < 25; i++)
      rows.push(entry(acme.id, acme.workspaceId, ago(i * 30 * 60_000 + 60_000), i % 5 === 0 ? 401 : 200, { path: `/recent/${i}` }));
    // Three days ago: one success, two refusals.
    rows.push(
      entry(acme.id, acme.workspaceId, ago(3 * DAY_MS), 204),
      entry(acme.id, acme.workspaceId, ago(3 * DAY_MS), 403),
      entry(acme.id, acme.workspaceId, ago(3 * DAY_MS), 500),
    );
    // Exactly seven days ago (in the 7-day range), and one millisecond before (not in it).
    rows.push(entry(acme.id, acme.workspaceId, ago(7 * DAY_MS), 399), entry(acme.id, acme.workspaceId, ago(7 * DAY_MS + 1), 400));
    // Ten days ago, and 31 days ago (outside every range).
    rows.push(entry(acme.id, acme.workspaceId, ago(10 * DAY_MS), 200), entry(acme.id, acme.workspaceId, ago(10 * DAY_MS), 429));
    rows.push(entry(acme.id, acme.workspaceId, ago(31 * DAY_MS), 200));
    // Another key's requests are never counted.
    for (let i = 0; i < 3; i++) rows.push(entry(other.id, other.workspaceId, ago(i * 60_000), 200));
    rows.push(entry(globex.id, globex.workspaceId, ago(60_000), 200));
    await db.insert(accessLogs).values(rows);
  });
  afterAll(() => handle.close());

  it.each([
    ["24h", "all", 25],
    ["24h", "success", 20],
    ["24h", "refused", 5],
    ["7d", "all", 29],
    ["7d", "success", 22],
    ["7d", "refused", 7],
    ["30d", "all", 32],
    ["30d", "success", 23],
    ["30d", "refused", 9],
  ] as const)("range %s, status %s → %i entries", async (range, status, total) => {
    const page = await listAccessLogs(db, await adminCtx(), acme.id, q({ range, status, pageSize: 100 }), NOW);
    expect(page.total).toBe(total);
    expect(page.rows).toHaveLength(total);
    for (const row of page.rows) {
      expect(row.apiKeyId).toBe(acme.id);
      if (status === "success") expect(row.status).toBeLessThan(400);
      if (status === "refused") expect(row.status).toBeGreaterThanOrEqual(400);
    }
  });

  it("pages newest first without repeats or gaps", async () => {
    const ctx = await adminCtx();
    const seen: string[] = [];
    for (const page of [1, 2, 3]) {
      const result = await listAccessLogs(db, ctx, acme.id, q({ range: "24h", page, pageSize: 10 }), NOW);
      expect(result).toMatchObject({ total: 25, page, pageSize: 10 });
      expect(result.rows).toHaveLength(page < 3 ? 10 : 5);
      seen.push(...result.rows.map((r) => r.path));
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `/recent/${i}`));
    const beyond = await listAccessLogs(db, ctx, acme.id, q({ range: "24h", page: 4, pageSize: 10 }), NOW);
    expect(beyond).toMatchObject({ total: 25, rows: [] });
  });

  it("reads a bad query as the defaults (all, 7 days, page 1, 25 a page)", async () => {
    expect(q({ status: "bogus", range: "1y", page: "0", pageSize: "1000" })).toEqual({ status: "all", range: "7d", page: 1, pageSize: 25 });
    expect(q({ status: "refused", range: "30d", page: "2", pageSize: "10" })).toEqual({ status: "refused", range: "30d", page: 2, pageSize: 10 });
    const page = await listAccessLogs(db, await adminCtx(), acme.id, q({}), NOW);
    expect(page).toMatchObject({ total: 29, page: 1, pageSize: 25 });
    expect(page.rows).toHaveLength(25);
  });

  it("refuses another workspace's key and a malformed id as not found; a revoked key's log stays readable", async () => {
    const ctx = await adminCtx();
    await expect(listAccessLogs(db, ctx, globex.id, q({}), NOW)).rejects.toMatchObject({ name: "AppError", code: "not_found" });
    await expect(usageByHour(db, ctx, globex.id, NOW)).rejects.toMatchObject({ code: "not_found" });
    await expect(listAccessLogs(db, ctx, "not-a-uuid", q({}), NOW)).rejects.toMatchObject({ code: "not_found" });
    const gone = await newKey(db, "acme");
    await db.insert(accessLogs).values(entry(gone.id, gone.workspaceId, ago(60_000)));
    await revokeApiKey(db, ctx, gone.id);
    // What a revoked (say, compromised) key was used for is what one wants to read on its page.
    expect((await listAccessLogs(db, ctx, gone.id, q({}), NOW)).total).toBe(1);
    // The Global Admin sees any workspace's key.
    const global = await contextFor(db, "global@latchkey.test", "globex");
    expect((await listAccessLogs(db, global, globex.id, q({}), NOW)).total).toBe(1);
  });

  it("refuses members who may not see the workspace's keys", async () => {
    for (const email of ["member@acme.test", "guest@acme.test", "manager@acme.test"]) {
      const ctx = await contextFor(db, email, "acme");
      await expect(listAccessLogs(db, ctx, acme.id, q({}), NOW)).rejects.toMatchObject({ name: "AppError", code: "forbidden" });
      await expect(usageByHour(db, ctx, acme.id, NOW)).rejects.toMatchObject({ code: "forbidden" });
    }
    // A Manager with the Manage API Keys grant may.
    const where = and(eq(memberships.userId, await userId(db, "manager@acme.test")), eq(memberships.workspaceId, acme.workspaceId));
    await db.update(memberships).set({ canManageApiKeys: true }).where(where);
    try {
      const ctx = await contextFor(db, "manager@acme.test", "acme");
      expect((await listAccessLogs(db, ctx, acme.id, q({ range: "24h" }), NOW)).total).toBe(25);
    } finally {
      await db.update(memberships).set({ canManageApiKeys: false }).where(where);
    }
  });

  describe("usageByHour", () => {
    let key: { id: string; workspaceId: string };

    beforeAll(async () => {
      key = await newKey(db, "acme");
      const at = (iso: string, status: number) => entry(key.id, key.workspaceId, new Date(iso), status);
      // Counted as the REST API counts them: successes without a row of their own (logging off).
      for (const e of [
        at("2031-03-10T14:05:00.000Z", 200),
        at("2031-03-10T14:10:00.000Z", 201),
        at("2031-03-10T14:20:00.000Z", 401),
        at("2031-03-10T09:59:59.999Z", 302),
        at("2031-03-10T09:00:00.000Z", 404),
        at("2031-03-03T15:00:00.000Z", 500), // the first hour of the window
        at("2031-03-03T14:59:59.999Z", 200), // just before it
        at("2031-03-01T10:00:00.000Z", 200), // long before it
      ])
        enqueueAccessLog(db, e, { row: e.status >= 400 });
      // Another key, same hours.
      enqueueAccessLog(db, entry(other.id, other.workspaceId, new Date("2031-03-10T14:06:00.000Z"), 200), { row: false });
      await flushAccessLogs();
    });

    const expected = {
      "2031-03-03T15:00:00Z": { success: 0, refused: 1 },
      "2031-03-10T09:00:00Z": { success: 1, refused: 1 },
      "2031-03-10T14:00:00Z": { success: 2, refused: 1 },
    };

    function check(buckets: Awaited<ReturnType<typeof usageByHour>>) {
      expect(buckets).toHaveLength(168);
      expect(buckets[0].hour).toBe("2031-03-03T15:00:00Z");
      expect(buckets[167].hour).toBe("2031-03-10T14:00:00Z");
      buckets.forEach((b, i) => expect(new Date(b.hour).getTime()).toBe(new Date("2031-03-03T15:00:00Z").getTime() + i * HOUR_MS));
      const nonZero = Object.fromEntries(
        buckets.filter((b) => b.success + b.refused > 0).map((b) => [b.hour, { success: b.success, refused: b.refused }]),
      );
      expect(nonZero).toEqual(expected);
    }

    it("returns 168 hourly buckets ending with the current hour, each request in its hour", async () => {
      check(await usageByHour(db, await adminCtx(), key.id, NOW));
    });

    it("buckets by UTC hour whatever the database session's time zone", async () => {
      const ctx = await adminCtx();
      const buckets = await db.transaction(async (tx) => {
        await tx.execute(sql`set local time zone 'Asia/Kolkata'`);
        return usageByHour(tx, ctx, key.id, NOW);
      });
      check(buckets);
    });

    it("has every bucket empty for a key with no requests", async () => {
      const quiet = await newKey(db, "acme");
      const buckets = await usageByHour(db, await adminCtx(), quiet.id, NOW);
      expect(buckets).toHaveLength(168);
      expect(buckets.every((b) => b.success === 0 && b.refused === 0)).toBe(true);
    });
  });

  it("purgeAccessLogs drops the days wholly past the retention period (30 days by default) and keeps the day of the cut-off", async () => {
    const saved = process.env.LATCHKEY_ACCESS_LOG_RETENTION_DAYS;
    delete process.env.LATCHKEY_ACCESS_LOG_RETENTION_DAYS;
    onTestFinished(() => {
      if (saved !== undefined) process.env.LATCHKEY_ACCESS_LOG_RETENTION_DAYS = saved;
    });
    const key = await newKey(db, "acme");
    // Long before every other entry in this database, so the purge can only touch these. Noon:
    // the cut-off falls mid-day, and rows go by whole UTC days (lib/access-log/partitions.ts).
    const now = new Date("2001-01-31T12:00:00.000Z");
    const ago = (ms: number) => new Date(now.getTime() - ms);
    const labelled: [string, Date][] = [
      ["60 days", ago(60 * DAY_MS)],
      ["the last ms of the day before the cut-off's", ago(30 * DAY_MS + 12 * HOUR_MS + 1)],
      ["30 days and 1 ms", ago(30 * DAY_MS + 1)],
      ["exactly 30 days", ago(30 * DAY_MS)],
      ["29 days", ago(29 * DAY_MS)],
      ["8 days", ago(8 * DAY_MS)],
      ["7 days and 1 ms", ago(7 * DAY_MS + 1)],
      ["6 days", ago(6 * DAY_MS)],
      ["now", now],
    ];
    await db.insert(accessLogs).values(labelled.map(([label, at]) => entry(key.id, key.workspaceId, at, 200, { path: label })));
    const left = async () =>
      (await db.select({ path: accessLogs.path }).from(accessLogs).where(eq(accessLogs.apiKeyId, key.id)).orderBy(asc(accessLogs.at))).map(
        (r) => r.path,
      );

    // No partition was made for those days: the rows wait in the default partition. The purge
    // makes partitions for the days it keeps (moving their rows) and deletes the older rows.
    expect(await purgeAccessLogs(db, now)).toEqual({ partitions: [], rows: 2 });
    expect(await left()).toEqual(["30 days and 1 ms", "exactly 30 days", "29 days", "8 days", "7 days and 1 ms", "6 days", "now"]);

    // Now in partitions: the days wholly before 24 January are dropped whole.
    expect(await purgeAccessLogs(db, now, 7)).toEqual({
      partitions: ["access_logs_p20010101", "access_logs_p20010102", "access_logs_p20010123"],
      rows: 0,
    });
    expect(await left()).toEqual(["7 days and 1 ms", "6 days", "now"]);

    expect(await purgeAccessLogs(db, now, 7)).toEqual({ partitions: [], rows: 0 });
    expect(await left()).toEqual(["7 days and 1 ms", "6 days", "now"]);
  });
});
