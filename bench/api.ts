// npx tsx --conditions=react-server bench/api.ts [--db pglite|postgres|both] [--transport listener|next|both] [--keys 100000] [--duration 10] [--connections 50]
// On-demand REST API benchmark (see bench/README.md): seeds a throwaway database with N keys,
// starts the production server on it, and measures /api/health against the two authenticated
// hot paths with autocannon. Needs a prior `npm run build`. Never touches a developer's data.
import { randomInt } from "node:crypto";
import os from "node:os";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { eq, sql } from "drizzle-orm";
import type { DatabaseKind } from "@/db";
import { apiKeys, users, workspaces, type NewApiKey } from "@/db/schema";
import { seedDemo } from "@/db/seed";
import { displayPrefix, generateSecret, hashSecret } from "@/lib/api-keys/format";
import { API_KEY_SCOPES } from "@/lib/validations/api-keys";
import {
  adminUrlFromEnv,
  cleanUpOnSignals,
  DEFAULT_ADMIN_URL,
  fail,
  formatMs,
  interrupted,
  positiveInt,
  prepareDatabase,
  printTable as printRows,
  requireRepoRootAndBuild,
  round,
  runCleanups,
  startServer,
  writeResults,
  type Server,
  type Target,
} from "./lib";

const INSERT_BATCH = 5_000; // ≈ 8 bound parameters per row: well under PostgreSQL's 65,535
const WARMUP_SECONDS = 2;
const TARGET_RATIO = 0.8;

// ---------------------------------------------------------------------------------------------
// Options

/** How the production server answers the REST API: lib/api/listener.ts, or Next's route pipeline. */
type Transport = "listener" | "next";

interface Options {
  databases: DatabaseKind[];
  transports: Transport[];
  keys: number;
  duration: number;
  connections: number;
  adminUrl: string;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      db: { type: "string", default: "both" },
      transport: { type: "string", default: "listener" },
      keys: { type: "string", default: "100000" },
      duration: { type: "string", default: "10" },
      connections: { type: "string", default: "50" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "Usage: npx tsx --conditions=react-server bench/api.ts [--db pglite|postgres|both] [--transport listener|next|both] [--keys 100000] [--duration 10] [--connections 50]",
    );
    console.log("--transport next runs the server with LATCHKEY_API_LISTENER=0: the REST API through Next's own pipeline.");
    console.log(`PostgreSQL runs create a throwaway database on BENCH_ADMIN_URL (default ${DEFAULT_ADMIN_URL}).`);
    process.exit(0);
  }
  const db = values.db;
  if (db !== "pglite" && db !== "postgres" && db !== "both") fail(`--db must be pglite, postgres or both (got "${db}").`);
  const transport = values.transport;
  if (transport !== "listener" && transport !== "next" && transport !== "both")
    fail(`--transport must be listener, next or both (got "${transport}").`);
  const adminUrl = adminUrlFromEnv();
  return {
    databases: db === "both" ? ["pglite", "postgres"] : [db],
    transports: transport === "both" ? ["listener", "next"] : [transport],
    keys: positiveInt("keys", values.keys, 2),
    duration: positiveInt("duration", values.duration, 1),
    connections: positiveInt("connections", values.connections, 1),
    adminUrl,
  };
}

interface Secrets {
  /** The caller's key (all scopes), sent in X-ApiKey. */
  caller: string;
  /** Another live key, sent as the token to verify. */
  token: string;
}

/** Migrates, seeds the demo data plus `keyCount` keys in workspace "acme", and closes the handle. */
async function seedDatabase(target: Target, keyCount: number): Promise<Secrets> {
  const handle = await target.open();
  try {
    const { db } = handle;
    await seedDemo(db);
    const [acme] = await db.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.slug, "acme"));
    const [admin] = await db.select({ id: users.id }).from(users).where(eq(users.email, "admin@acme.test"));
    if (!acme || !admin) throw new Error('seedDemo did not create workspace "acme" and admin@acme.test.');

    const callerIndex = randomInt(keyCount);
    let tokenIndex = randomInt(keyCount - 1);
    if (tokenIndex >= callerIndex) tokenIndex++;
    let caller = "";
    let token = "";
    const expiresAt = new Date(Date.now() + 365 * 86_400_000);
    const width = String(keyCount).length;

    for (let start = 0; start < keyCount; start += INSERT_BATCH) {
      const rows: NewApiKey[] = [];
      for (let i = start; i < Math.min(start + INSERT_BATCH, keyCount); i++) {
        const secret = generateSecret();
        if (i === callerIndex) caller = secret;
        if (i === tokenIndex) token = secret;
        rows.push({
          workspaceId: acme.id,
          ownerId: admin.id,
          name: `Bench key ${String(i + 1).padStart(width, "0")}`,
          secretHash: hashSecret(secret),
          prefix: displayPrefix(secret),
          scopes: [...API_KEY_SCOPES],
          expiresAt,
          createdById: admin.id,
        });
      }
      await db.insert(apiKeys).values(rows);
      if (process.stdout.isTTY)
        process.stdout.write(`\r  seeded ${(start + rows.length).toLocaleString("en-US")} / ${keyCount.toLocaleString("en-US")} keys`);
    }
    if (process.stdout.isTTY) process.stdout.write("\n");
    // Fresh statistics, as on a database that has been running for a while.
    await db.execute(sql`analyze`);
    return { caller, token };
  } finally {
    await handle.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Measuring

interface Route {
  label: string;
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body?: string;
  authenticated: boolean;
  /** Checks one response body before measuring, so the benchmark times the success path. */
  check(body: Envelope): string | null;
}

interface Envelope {
  success?: unknown;
  data?: unknown;
}

function routesFor(secrets: Secrets): Route[] {
  const envelopeOk = (b: Envelope) => (b.success === true ? null : "the envelope's success is not true");
  return [
    { label: "GET /api/health", method: "GET", path: "/api/health", headers: {}, authenticated: false, check: envelopeOk },
    {
      label: "GET /api/data/me",
      method: "GET",
      path: "/api/data/me",
      headers: { "x-apikey": secrets.caller },
      authenticated: true,
      check: envelopeOk,
    },
    {
      label: "POST /api/data/verify",
      method: "POST",
      path: "/api/data/verify",
      headers: { "x-apikey": secrets.caller, "content-type": "application/json" },
      body: JSON.stringify({ token: secrets.token }),
      authenticated: true,
      check: (b) => envelopeOk(b) ?? ((b.data as { valid?: unknown } | undefined)?.valid === true ? null : "data.valid is not true"),
    },
  ];
}

async function smokeTest(server: Server, route: Route): Promise<void> {
  const res = await fetch(server.baseUrl + route.path, { method: route.method, headers: route.headers, body: route.body });
  const text = await res.text();
  let problem: string | null = res.ok ? null : `HTTP ${res.status}`;
  if (!problem) {
    try {
      problem = route.check(JSON.parse(text) as Envelope);
    } catch {
      problem = "the body is not JSON";
    }
  }
  if (problem) throw new Error(`${route.label} does not answer as expected (${problem}): ${text.slice(0, 500)}`);
}

interface RouteResult {
  route: string;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  avgMs: number;
  maxMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** req/s divided by /api/health's req/s in the same run; null for /api/health itself. */
  ratioToHealth: number | null;
}

function cannon(server: Server, route: Route, connections: number, duration: number): Promise<autocannon.Result> {
  return autocannon({
    url: server.baseUrl + route.path,
    method: route.method,
    headers: route.headers,
    body: route.body,
    connections,
    duration,
    timeout: 10,
  });
}

function describeFailures(r: autocannon.Result): string | null {
  if (r.non2xx === 0 && r.errors === 0 && r.timeouts === 0) return null;
  const codes = Object.entries(r.statusCodeStats ?? {})
    .map(([code, s]) => `${code}: ${s.count ?? 0}`)
    .join(", ");
  return `${r.non2xx} non-2xx responses, ${r.errors} errors, ${r.timeouts} timeouts (status codes: ${codes || "none"})`;
}

async function measureRoute(server: Server, route: Route, opts: Options): Promise<RouteResult> {
  await smokeTest(server, route);
  const warm = await cannon(server, route, opts.connections, WARMUP_SECONDS);
  const warmFailure = describeFailures(warm);
  if (warmFailure) throw new Error(`${route.label} during warm-up: ${warmFailure}\n${server.logTail()}`);

  const r = await cannon(server, route, opts.connections, opts.duration);
  const failure = describeFailures(r);
  if (failure) throw new Error(`${route.label}: ${failure}\n${server.logTail()}`);
  return {
    route: route.label,
    reqPerSec: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    avgMs: r.latency.average,
    maxMs: r.latency.max,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    ratioToHealth: null,
  };
}

// ---------------------------------------------------------------------------------------------
// One database end to end

interface DatabaseResult {
  database: DatabaseKind;
  transport: Transport;
  keys: number;
  seedSeconds: number;
  serverStartSeconds: number;
  routes: RouteResult[];
  targetMet: boolean;
}

/** Seeds one database, then measures each transport on it in turn (one server at a time: PGlite allows one process). */
async function benchDatabase(kind: DatabaseKind, opts: Options, report: (r: DatabaseResult) => void): Promise<void> {
  console.log(`\n== ${kind === "pglite" ? "PGlite (embedded)" : "PostgreSQL"} ==`);
  try {
    const target = await prepareDatabase(kind, opts.adminUrl);
    console.log(`  database: ${target.location}`);

    let t = performance.now();
    const secrets = await seedDatabase(target, opts.keys);
    const seedSeconds = (performance.now() - t) / 1000;
    console.log(`  migrated and seeded in ${seedSeconds.toFixed(1)} s`);

    for (const transport of opts.transports) {
      t = performance.now();
      const server = await startServer(target, { LATCHKEY_API_LISTENER: transport === "listener" ? "1" : "0" });
      await confirmTransport(server, transport);
      const serverStartSeconds = (performance.now() - t) / 1000;
      console.log(`  server (REST API through ${describeTransport(transport)}) ready on ${server.baseUrl} after ${serverStartSeconds.toFixed(1)} s`);

      const routes: Route[] = routesFor(secrets);
      const results: RouteResult[] = [];
      for (const route of routes) {
        process.stdout.write(`  ${route.label}: warm-up ${WARMUP_SECONDS} s, measure ${opts.duration} s … `);
        const r = await measureRoute(server, route, opts);
        console.log(`${Math.round(r.reqPerSec)} req/s`);
        results.push(r);
      }
      await server.stop();
      const health = results[0].reqPerSec;
      for (const [i, r] of results.entries()) if (routes[i].authenticated) r.ratioToHealth = health > 0 ? round(r.reqPerSec / health, 3) : 0;
      report({
        database: kind,
        transport,
        keys: opts.keys,
        seedSeconds: round(seedSeconds, 2),
        serverStartSeconds: round(serverStartSeconds, 2),
        routes: results,
        targetMet: results.every((r) => r.ratioToHealth === null || r.ratioToHealth >= TARGET_RATIO),
      });
    }
  } finally {
    await runCleanups();
  }
}

const describeTransport = (t: Transport) => (t === "listener" ? "the listener (lib/api/listener.ts)" : "Next's route pipeline");

/** The server says which transport it runs once it is ready; measuring the wrong one would mislead. */
async function confirmTransport(server: Server, transport: Transport): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const log = server.logTail();
    if (log.includes("did not register")) throw new Error(`the REST API listener did not register:\n${log}`);
    const ready = log.split("\n").find((l) => l.includes("Latchkey: ready on"));
    if (ready) {
      const throughNext = ready.includes("LATCHKEY_API_LISTENER=0");
      if (throughNext !== (transport === "next"))
        throw new Error(`expected the REST API through ${describeTransport(transport)}, but the server said: ${ready}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server did not say it was ready within 10 s:\n${server.logTail()}`);
}

function printTable(result: DatabaseResult, opts: Options): void {
  console.log(
    `\n${result.database}, REST API through ${describeTransport(result.transport)}: ${opts.keys.toLocaleString("en-US")} keys, ${opts.connections} connections, ${opts.duration} s per route`,
  );
  printRows(
    ["route", "req/s", "p50 ms", "p99 ms", "× health"],
    result.routes.map((r) => [
      r.route,
      Math.round(r.reqPerSec).toString(),
      formatMs(r.p50Ms),
      formatMs(r.p99Ms),
      r.ratioToHealth === null ? "—" : `${r.ratioToHealth.toFixed(2)}×`,
    ]),
  );
  console.log(`target: authenticated routes ≥ ${TARGET_RATIO}× /api/health — ${result.targetMet ? "MET" : "NOT MET"}`);
}

async function main(): Promise<void> {
  const opts = parseOptions();
  requireRepoRootAndBuild("bench/api.ts");
  cleanUpOnSignals();

  console.log(
    `Latchkey API benchmark: ${opts.databases.join(" + ")}, ${opts.keys.toLocaleString("en-US")} keys, ` +
      `${opts.connections} connections, ${WARMUP_SECONDS} s warm-up + ${opts.duration} s per route, ` +
      `${os.cpus().length} CPUs shared by autocannon, the server and the database.`,
  );
  const startedAt = new Date();
  const results: DatabaseResult[] = [];
  let error: string | null = null;
  try {
    for (const kind of opts.databases)
      await benchDatabase(kind, opts, (result) => {
        results.push(result);
        printTable(result, opts);
      });
  } catch (err) {
    error = (err as Error).message;
  }
  if (interrupted()) return;
  if (results.length > 0 || error) {
    const options = {
      keys: opts.keys,
      duration: opts.duration,
      connections: opts.connections,
      transports: opts.transports,
      warmupSeconds: WARMUP_SECONDS,
      targetRatio: TARGET_RATIO,
    };
    console.log(`\nresults: ${writeResults("", startedAt, { options, results, error })}`);
  }
  if (error) {
    console.error(`\nbench: FAILED: ${error}`);
    process.exitCode = 1;
  }
}

main().catch(async (err: unknown) => {
  console.error(err);
  await runCleanups();
  process.exitCode = 1;
});
