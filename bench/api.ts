// npx tsx bench/api.ts [--db pglite|postgres|both] [--keys 100000] [--duration 10] [--connections 50]
// On-demand REST API benchmark (see bench/README.md): seeds a throwaway database with N keys,
// starts the production server on it, and measures /api/health against the two authenticated
// hot paths with autocannon. Needs a prior `npm run build`. Never touches a developer's data.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { eq, sql } from "drizzle-orm";
import { describeUrl, openDatabase, type DatabaseKind, type OpenDatabase } from "@/db";
import { apiKeys, users, workspaces, type NewApiKey } from "@/db/schema";
import { seedDemo } from "@/db/seed";
import { displayPrefix, generateSecret, hashSecret } from "@/lib/api-keys/format";
import { API_KEY_SCOPES } from "@/lib/validations/api-keys";

const ROOT = process.cwd();
const NEXT_BIN = path.join(ROOT, "node_modules", "next", "dist", "bin", "next");
const RESULTS_DIR = path.join(ROOT, "bench", "results");
const DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);
const INSERT_BATCH = 5_000; // ≈ 8 bound parameters per row: well under PostgreSQL's 65,535
const WARMUP_SECONDS = 2;
const TARGET_RATIO = 0.8;
const SERVER_START_TIMEOUT_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  databases: DatabaseKind[];
  keys: number;
  duration: number;
  connections: number;
  adminUrl: string;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      db: { type: "string", default: "both" },
      keys: { type: "string", default: "100000" },
      duration: { type: "string", default: "10" },
      connections: { type: "string", default: "50" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log("Usage: npx tsx bench/api.ts [--db pglite|postgres|both] [--keys 100000] [--duration 10] [--connections 50]");
    console.log(`PostgreSQL runs create a throwaway database on BENCH_ADMIN_URL (default ${DEFAULT_ADMIN_URL}).`);
    process.exit(0);
  }
  const db = values.db;
  if (db !== "pglite" && db !== "postgres" && db !== "both") fail(`--db must be pglite, postgres or both (got "${db}").`);
  const adminUrl = process.env.BENCH_ADMIN_URL || DEFAULT_ADMIN_URL;
  return {
    databases: db === "both" ? ["pglite", "postgres"] : [db],
    keys: positiveInt("keys", values.keys, 2),
    duration: positiveInt("duration", values.duration, 1),
    connections: positiveInt("connections", values.connections, 1),
    adminUrl,
  };
}

function positiveInt(name: string, raw: string, min: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min} (got "${raw}").`);
  return n;
}

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Cleanup: a stack run in reverse order after each database, on error, and on Ctrl-C.

const cleanups: { label: string; run: () => Promise<void> | void }[] = [];

function onCleanup(label: string, run: () => Promise<void> | void): void {
  cleanups.push({ label, run });
}

async function runCleanups(): Promise<void> {
  for (let c = cleanups.pop(); c; c = cleanups.pop()) {
    try {
      await c.run();
    } catch (err) {
      console.error(`bench: cleanup "${c.label}" failed: ${(err as Error).message}`);
    }
  }
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\nbench: ${signal}: stopping the server and removing the throwaway database…`);
    void runCleanups().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Throwaway databases

interface Target {
  kind: DatabaseKind;
  /** Where the data lives, for the log. */
  location: string;
  open(): Promise<OpenDatabase>;
  /** Environment for the server process (the other driver's variable is set empty so .env files cannot supply it). */
  env: Record<string, string>;
}

async function prepareDatabase(kind: DatabaseKind, opts: Options): Promise<Target> {
  if (kind === "pglite") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "latchkey-bench-"));
    onCleanup("remove PGlite directory", () => fs.rmSync(dir, { recursive: true, force: true }));
    const dataDir = path.join(dir, "pglite");
    return {
      kind,
      location: dataDir,
      open: () => openDatabase({ dataDir }),
      env: { LATCHKEY_DATA_DIR: dataDir, DATABASE_URL: "" },
    };
  }

  const admin = new URL(opts.adminUrl);
  if (!LOCAL_HOSTS.has(admin.hostname || "localhost"))
    throw new Error(`refusing to create a benchmark database on a non-local server (${describeUrl(opts.adminUrl)}).`);
  const name = `latchkey_bench_${randomBytes(4).toString("hex")}`;
  const { default: postgres } = await import("postgres");
  const adminSql = () => postgres(opts.adminUrl, { max: 1, onnotice: () => {} });
  const createSql = adminSql();
  try {
    await createSql.unsafe(`create database "${name}"`);
  } finally {
    await createSql.end();
  }
  onCleanup(`drop database ${name}`, async () => {
    const dropSql = adminSql();
    try {
      await dropSql.unsafe(`drop database if exists "${name}" with (force)`);
    } finally {
      await dropSql.end();
    }
  });
  const url = new URL(opts.adminUrl);
  url.pathname = `/${name}`;
  return {
    kind,
    location: describeUrl(url.toString()),
    open: () => openDatabase({ url: url.toString() }),
    env: { DATABASE_URL: url.toString(), LATCHKEY_DATA_DIR: "" },
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
// The production server

interface Server {
  baseUrl: string;
  child: ChildProcess;
  logTail(): string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function startServer(target: Target): Promise<Server> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  delete env.LATCHKEY_DATA_DIR;
  Object.assign(env, target.env, {
    PORT: String(port),
    AUTH_SECRET: randomBytes(32).toString("base64url"),
    LATCHKEY_DEMO: "0",
    NEXT_TELEMETRY_DISABLED: "1",
  });

  // Next renames its process title to next-server: keep this handle, it is the only way to stop it.
  const child = spawn(process.execPath, [NEXT_BIN, "start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  onCleanup("stop the server", () => stopChild(child));

  const log: string[] = [];
  const keep = (chunk: Buffer) => {
    log.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    if (log.length > 200) log.splice(0, log.length - 200);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);

  const server: Server = { baseUrl: `http://127.0.0.1:${port}`, child, logTail: () => log.slice(-40).join("\n") };
  await waitForHealth(server);
  return server;
}

async function waitForHealth(server: Server): Promise<void> {
  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null || server.child.signalCode !== null)
      throw new Error(`the server exited (${server.child.exitCode ?? server.child.signalCode}) before it was healthy.\n${server.logTail()}`);
    const status = await probe(`${server.baseUrl}/api/health`);
    if (status === 200) return;
    // Next answers only once it is ready, so a 404 is final.
    if (status === 404) throw new Error(`GET /api/health answered 404: is it implemented, and built?\n${server.logTail()}`);
    last = typeof status === "number" ? `HTTP ${status}` : status;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the server was not healthy after ${SERVER_START_TIMEOUT_MS / 1000} s: ${last}.\n${server.logTail()}`);
}

/** The HTTP status of a GET, or why there was none. */
async function probe(url: string): Promise<number | string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    await res.arrayBuffer();
    return res.status;
  } catch (err) {
    return (err as Error).message;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
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
  keys: number;
  seedSeconds: number;
  serverStartSeconds: number;
  routes: RouteResult[];
  targetMet: boolean;
}

async function benchDatabase(kind: DatabaseKind, opts: Options): Promise<DatabaseResult> {
  console.log(`\n== ${kind === "pglite" ? "PGlite (embedded)" : "PostgreSQL"} ==`);
  try {
    const target = await prepareDatabase(kind, opts);
    console.log(`  database: ${target.location}`);

    let t = performance.now();
    const secrets = await seedDatabase(target, opts.keys);
    const seedSeconds = (performance.now() - t) / 1000;
    console.log(`  migrated and seeded in ${seedSeconds.toFixed(1)} s`);

    t = performance.now();
    const server = await startServer(target);
    const serverStartSeconds = (performance.now() - t) / 1000;
    console.log(`  server healthy on ${server.baseUrl} after ${serverStartSeconds.toFixed(1)} s`);

    const routes: Route[] = routesFor(secrets);
    const results: RouteResult[] = [];
    for (const route of routes) {
      process.stdout.write(`  ${route.label}: warm-up ${WARMUP_SECONDS} s, measure ${opts.duration} s … `);
      const r = await measureRoute(server, route, opts);
      console.log(`${Math.round(r.reqPerSec)} req/s`);
      results.push(r);
    }
    const health = results[0].reqPerSec;
    for (const [i, r] of results.entries()) if (routes[i].authenticated) r.ratioToHealth = health > 0 ? round(r.reqPerSec / health, 3) : 0;
    const targetMet = results.every((r) => r.ratioToHealth === null || r.ratioToHealth >= TARGET_RATIO);
    return {
      database: kind,
      keys: opts.keys,
      seedSeconds: round(seedSeconds, 2),
      serverStartSeconds: round(serverStartSeconds, 2),
      routes: results,
      targetMet,
    };
  } finally {
    await runCleanups();
  }
}

function round(n: number, digits: number): number {
  return Number(n.toFixed(digits));
}

function printTable(result: DatabaseResult, opts: Options): void {
  const header = ["route", "req/s", "p50 ms", "p99 ms", "× health"];
  const rows = result.routes.map((r) => [
    r.route,
    Math.round(r.reqPerSec).toString(),
    formatMs(r.p50Ms),
    formatMs(r.p99Ms),
    r.ratioToHealth === null ? "—" : `${r.ratioToHealth.toFixed(2)}×`,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ");
  console.log(
    `\n${result.database}: ${opts.keys.toLocaleString("en-US")} keys, ${opts.connections} connections, ${opts.duration} s per route`,
  );
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row));
  console.log(
    `target: authenticated routes ≥ ${TARGET_RATIO}× /api/health — ${result.targetMet ? "MET" : "NOT MET"}`,
  );
}

function formatMs(ms: number): string {
  return ms < 10 ? ms.toFixed(1) : ms.toFixed(0);
}

function gitRevision(): string | null {
  try {
    const rev = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain"], { cwd: ROOT, encoding: "utf8" }).trim() !== "";
    return dirty ? `${rev}-dirty` : rev;
  } catch {
    return null;
  }
}

/** The production build that was measured (it may lag behind the working tree). */
function buildInfo(): { id: string; builtAt: string } | null {
  try {
    const file = path.join(ROOT, ".next", "BUILD_ID");
    return { id: fs.readFileSync(file, "utf8").trim(), builtAt: fs.statSync(file).mtime.toISOString() };
  } catch {
    return null;
  }
}

function writeResults(startedAt: Date, opts: Options, results: DatabaseResult[], error: string | null): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
  const cpus = os.cpus();
  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    git: gitRevision(),
    build: buildInfo(),
    machine: { cpus: cpus.length, cpuModel: cpus[0]?.model ?? null, memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1), node: process.version, platform: `${os.platform()} ${os.release()}` },
    options: { keys: opts.keys, duration: opts.duration, connections: opts.connections, warmupSeconds: WARMUP_SECONDS, targetRatio: TARGET_RATIO },
    results,
    error,
  };
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return path.relative(ROOT, file);
}

async function main(): Promise<void> {
  const opts = parseOptions();
  if (!fs.existsSync(path.join(ROOT, "db", "migrations")) || !fs.existsSync(NEXT_BIN))
    fail("run this from the repository root (npx tsx bench/api.ts).");
  if (!fs.existsSync(path.join(ROOT, ".next", "BUILD_ID")))
    fail("no production build found: run `npm run build` first, then run the benchmark again.");

  console.log(
    `Latchkey API benchmark: ${opts.databases.join(" + ")}, ${opts.keys.toLocaleString("en-US")} keys, ` +
      `${opts.connections} connections, ${WARMUP_SECONDS} s warm-up + ${opts.duration} s per route, ` +
      `${os.cpus().length} CPUs shared by autocannon, the server and the database.`,
  );
  const startedAt = new Date();
  const results: DatabaseResult[] = [];
  let error: string | null = null;
  try {
    for (const kind of opts.databases) {
      const result = await benchDatabase(kind, opts);
      results.push(result);
      printTable(result, opts);
    }
  } catch (err) {
    error = (err as Error).message;
  }
  if (interrupted) return;
  if (results.length > 0 || error) console.log(`\nresults: ${writeResults(startedAt, opts, results, error)}`);
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
