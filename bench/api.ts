// npx tsx --conditions=react-server bench/api.ts [--db pglite|postgres|both] [--transport listener|next|both] [--keys 100000]
//                        [--duration 10] [--connections 50] [--threads 1] [--rounds 2] [--cold-keys N] [--workers 1,2] [--profile cold|me|verify|health] [--profile-top 25]
//                        [--redis redis://127.0.0.1:6379]
// On-demand REST API benchmark (see bench/README.md): seeds a throwaway database with N keys,
// starts the production server on it and, with wrk, measures a bare node:http server (the
// ceiling, in its own process), /api/health, /api/data/me and /api/data/verify with one key, and
// /api/data/me cycling through the other keys (each request a cache miss), in alternating rounds.
// `--profile <route>` instead CPU-profiles the server on one route (cold: the last) and prints where its time
// goes. Needs a prior `npm run build`. Never touches a developer's data.
import { spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { eq, sql } from "drizzle-orm";
import type { DatabaseKind } from "@/db";
import { apiKeys, users, workspaces, type NewApiKey } from "@/db/schema";
import { seedDemo } from "@/db/seed";
import { displayPrefix, generateSecret, hashSecret } from "@/lib/api-keys/format";
import { API_KEY_SCOPES } from "@/lib/validations/api-keys";
import { LIMIT_MAX } from "@/lib/validations/limits";
import { findMainThreadProfile, summariseProfile, type ProfileSummary } from "./cpuprofile";
import { describeLoadFailures, loadTool, runLoad, type LoadSpec, type LoadTool } from "./load";
import {
  adminUrlFromEnv,
  cleanUpOnSignals,
  DEFAULT_ADMIN_URL,
  fail,
  formatMs,
  interrupted,
  loadAverage,
  onCleanup,
  positiveInt,
  prepareDatabase,
  printTable as printRows,
  treeCpuMs,
  treeMemory,
  requireRepoRootAndBuild,
  RESULTS_DIR,
  ROOT,
  round,
  runCleanups,
  startServer,
  stopChild,
  writeResults,
  type ProcessMemory,
  type Server,
  type Target,
} from "./lib";

const INSERT_BATCH = 5_000; // ≈ 8 bound parameters per row: well under PostgreSQL's 65,535
const WARMUP_SECONDS = 2;
const BARE_SERVER = path.join(ROOT, "bench", "bare-server.mjs");

/** The targets (bench/README.md): each printed MET or NOT MET; none changes the exit code. */
const TARGETS = {
  /** One-key /me and /verify, req/s as a share of the bare server's. */
  oneKeyRatio: 0.25,
  /** /me over many keys (each a cache miss), as a share of the bare server's. */
  coldRatio: 0.12,
  /** Every Latchkey route's p99 at 50 connections. */
  p99Ms: 10,
  /** The server's resident memory after all the rounds. */
  rssMiB: 300,
} as const;
/** The connection count the p99 target is stated for. */
const TARGET_CONNECTIONS = 50;
/** The fewest distinct keys the cold route's target is stated for. */
const COLD_KEYS_FOR_TARGET = 10_000;

// ---------------------------------------------------------------------------------------------
// Options

/** How the production server answers the REST API: lib/api/listener.ts, or Next's route pipeline. */
type Transport = "listener" | "next";

interface Options {
  databases: DatabaseKind[];
  transports: Transport[];
  /** Server processes (LATCHKEY_WORKERS) to measure, each in turn: PostgreSQL only beyond 1. */
  workers: number[];
  keys: number;
  duration: number;
  connections: number;
  threads: number;
  rounds: number;
  /** How many of the seeded keys the cold route cycles through (null: all but the three fixed ones). */
  coldKeys: number | null;
  profile: ProfiledRoute | null;
  profileTop: number;
  adminUrl: string;
  /** LATCHKEY_REDIS_URL for the server; null: limits counted in the process. */
  redis: string | null;
}

const USAGE =
  "Usage: npx tsx --conditions=react-server bench/api.ts [--db pglite|postgres|both] [--transport listener|next|both] [--keys 100000]\n" +
  "         [--duration 10] [--connections 50] [--threads 1] [--rounds 2] [--cold-keys N] [--workers 1,2] [--profile cold|me|verify|health] [--profile-top 25]";

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      db: { type: "string", default: "both" },
      transport: { type: "string", default: "listener" },
      keys: { type: "string", default: "100000" },
      duration: { type: "string", default: "10" },
      connections: { type: "string", default: "50" },
      threads: { type: "string", default: "1" },
      rounds: { type: "string", default: "2" },
      "cold-keys": { type: "string" },
      profile: { type: "string" },
      "profile-top": { type: "string", default: "25" },
      workers: { type: "string", default: "1" },
      redis: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    console.log("--transport next runs the server with LATCHKEY_API_LISTENER=0: the REST API through Next's own pipeline.");
    console.log("--cold-keys: how many keys the cold route cycles through (default: every seeded key but the two the one-key routes use).");
    console.log("--workers 1,2: measure the server with each number of processes in turn (LATCHKEY_WORKERS; PostgreSQL only beyond 1).");
    console.log(
      "--profile cold|me|verify|health: instead of the rounds, CPU-profile the server (node --cpu-prof) while that route (cold: the cold route) runs for --duration s.",
    );
    console.log(
      "--redis URL: run the server with LATCHKEY_REDIS_URL, so the limited key's rate limit and quota are counted in Redis (without it: in the process).",
    );
    console.log(`PostgreSQL runs create a throwaway database on BENCH_ADMIN_URL (default ${DEFAULT_ADMIN_URL}).`);
    process.exit(0);
  }
  const db = values.db;
  if (db !== "pglite" && db !== "postgres" && db !== "both") fail(`--db must be pglite, postgres or both (got "${db}").`);
  const transport = values.transport;
  if (transport !== "listener" && transport !== "next" && transport !== "both")
    fail(`--transport must be listener, next or both (got "${transport}").`);
  const profiled = values.profile;
  if (profiled !== undefined && !PROFILED_ROUTES.includes(profiled as ProfiledRoute))
    fail(`--profile must be one of ${PROFILED_ROUTES.join(", ")} (got "${profiled}").`);
  const workers = [...new Set(values.workers.split(",").map((w) => positiveInt("workers", w.trim(), 1)))];
  const keys = positiveInt("keys", values.keys, 4);
  const connections = positiveInt("connections", values.connections, 1);
  const threads = positiveInt("threads", values.threads, 1);
  if (threads > connections) fail(`--threads (${threads}) may not exceed --connections (${connections}).`);
  const coldKeys = values["cold-keys"] === undefined ? null : positiveInt("cold-keys", values["cold-keys"], 1);
  if (coldKeys !== null && coldKeys > keys - 3) fail(`--cold-keys may be at most --keys − 3 (${keys - 3}).`);
  return {
    databases: db === "both" ? ["pglite", "postgres"] : [db],
    transports: transport === "both" ? ["listener", "next"] : [transport],
    workers,
    keys,
    duration: positiveInt("duration", values.duration, 1),
    connections,
    threads,
    rounds: positiveInt("rounds", values.rounds, 1),
    coldKeys,
    profile: (profiled as ProfiledRoute | undefined) ?? null,
    profileTop: positiveInt("profile-top", values["profile-top"], 1),
    adminUrl: adminUrlFromEnv(),
    redis: values.redis ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// Seeding

interface Secrets {
  /** The caller's key (all scopes), sent in X-ApiKey by the one-key routes. */
  caller: string;
  /** Another live key, sent as the token to verify. */
  token: string;
  /** A key like the caller's with a rate limit and a quota too high to be reached: what counting them costs. */
  limited: string;
  /** Every other key (all live, all scopes), for the cold route. */
  pool: string[];
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
    let limitedIndex = randomInt(keyCount - 2);
    while (limitedIndex === callerIndex || limitedIndex === tokenIndex) limitedIndex = (limitedIndex + 1) % keyCount;
    let caller = "";
    let token = "";
    let limited = "";
    const pool: string[] = [];
    const expiresAt = new Date(Date.now() + 365 * 86_400_000);
    const width = String(keyCount).length;

    for (let start = 0; start < keyCount; start += INSERT_BATCH) {
      const rows: NewApiKey[] = [];
      for (let i = start; i < Math.min(start + INSERT_BATCH, keyCount); i++) {
        const secret = generateSecret();
        if (i === callerIndex) caller = secret;
        else if (i === tokenIndex) token = secret;
        else if (i === limitedIndex) limited = secret;
        else pool.push(secret);
        rows.push({
          workspaceId: acme.id,
          ownerId: admin.id,
          name: `Bench key ${String(i + 1).padStart(width, "0")}`,
          secretHash: hashSecret(secret),
          prefix: displayPrefix(secret),
          scopes: [...API_KEY_SCOPES],
          expiresAt,
          createdById: admin.id,
          ...(i === limitedIndex
            ? { rateLimit: LIMIT_MAX, rateLimitWindow: "second" as const, quotaLimit: LIMIT_MAX, quotaPeriod: "month" as const }
            : {}),
        });
      }
      await db.insert(apiKeys).values(rows);
      if (process.stdout.isTTY)
        process.stdout.write(`\r  seeded ${(start + rows.length).toLocaleString("en-US")} / ${keyCount.toLocaleString("en-US")} keys`);
    }
    if (process.stdout.isTTY) process.stdout.write("\n");
    // Fresh statistics, as on a database that has been running for a while.
    await db.execute(sql`analyze`);
    return { caller, token, limited, pool };
  } finally {
    await handle.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Routes

type RouteId = "bare" | "health" | "me" | "limited" | "verify" | "cold";
/** The routes `--profile` can profile: any but the bare server, which is not Latchkey. */
const PROFILED_ROUTES = ["cold", "me", "verify", "health"] as const;
type ProfiledRoute = (typeof PROFILED_ROUTES)[number];

interface Route {
  id: RouteId;
  label: string;
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** The bare server rather than Latchkey. */
  bare?: boolean;
  /** A different key from the pool on every request. */
  cold?: boolean;
  /** Checks one response body before measuring, so the benchmark times the success path. */
  check(body: Envelope): string | null;
}

interface Envelope {
  success?: unknown;
  data?: unknown;
}

const envelopeOk = (b: Envelope) => (b.success === true ? null : "the envelope's success is not true");

function routesFor(secrets: Secrets, coldKeys: number): Route[] {
  return [
    { id: "bare", label: "bare node:http (ceiling)", method: "GET", path: "/", headers: {}, bare: true, check: envelopeOk },
    { id: "health", label: "GET /api/health", method: "GET", path: "/api/health", headers: {}, check: envelopeOk },
    { id: "me", label: "GET /api/data/me", method: "GET", path: "/api/data/me", headers: { "x-apikey": secrets.caller }, check: envelopeOk },
    {
      id: "limited",
      label: "GET /api/data/me, a key with a rate limit and quota",
      method: "GET",
      path: "/api/data/me",
      headers: { "x-apikey": secrets.limited },
      check: envelopeOk,
    },
    {
      id: "verify",
      label: "POST /api/data/verify",
      method: "POST",
      path: "/api/data/verify",
      headers: { "x-apikey": secrets.caller, "content-type": "application/json" },
      body: JSON.stringify({ token: secrets.token }),
      check: (b) => envelopeOk(b) ?? ((b.data as { valid?: unknown } | undefined)?.valid === true ? null : "data.valid is not true"),
    },
    {
      id: "cold",
      label: `GET /api/data/me, ${coldKeys.toLocaleString("en-US")} keys`,
      method: "GET",
      path: "/api/data/me",
      headers: {},
      cold: true,
      check: envelopeOk,
    },
  ];
}

/** One request, checked; returns the response so the bare server can copy its shape. */
async function smokeTest(baseUrl: string, route: Route, headers = route.headers): Promise<{ body: string; headers: Headers }> {
  const res = await fetch(baseUrl + route.path, { method: route.method, headers, body: route.body });
  const text = await res.text();
  let problem: string | null = res.status === 200 ? null : `HTTP ${res.status}`;
  if (!problem) {
    try {
      problem = route.check(JSON.parse(text) as Envelope);
    } catch {
      problem = "the body is not JSON";
    }
  }
  if (problem) throw new Error(`${route.label} does not answer as expected (${problem}): ${text.slice(0, 500)}`);
  return { body: text, headers: res.headers };
}

// ---------------------------------------------------------------------------------------------
// The bare server

interface BareServer {
  baseUrl: string;
  pid: number | undefined;
  stop(): Promise<unknown>;
}

/** bench/bare-server.mjs in its own process, answering a body as long as `like`'s, with its headers. */
async function startBareServer(like: { body: string; headers: Headers }): Promise<BareServer> {
  const headers: Record<string, string> = {};
  const skip = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding"]);
  like.headers.forEach((value, name) => {
    if (!skip.has(name)) headers[name] = value;
  });
  const child = spawn(process.execPath, [BARE_SERVER, "--body-bytes", String(Buffer.byteLength(like.body)), "--headers", JSON.stringify(headers)], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  onCleanup("stop the bare server", () => stopChild(child));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`the bare server did not start within 10 s: ${out}`)), 10_000);
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
    child.once("exit", (code) => reject(new Error(`the bare server exited (${code}): ${out}`)));
  });
  return { baseUrl, pid: child.pid, stop: () => stopChild(child) };
}

// ---------------------------------------------------------------------------------------------
// Measuring

/** The cold route's keys: a file for wrk, and how far into it the runs so far have gone. */
interface KeyPool {
  file: string;
  size: number;
  /** Keys sent so far in this server's life (all runs, warm-ups included); the next run starts here. */
  sent: number;
}

interface RouteRun {
  round: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  requests: number;
  seconds: number;
  /** CPU time the answering process (Latchkey's server or the bare one) used per request, ms. */
  cpuMsPerRequest: number | null;
  /** Cold route: the share of requests that presented a key not presented before (so certainly a cache miss), %. */
  firstUsePct?: number;
}

interface RouteResult {
  id: RouteId;
  route: string;
  runs: RouteRun[];
  /** Medians over the rounds. */
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuMsPerRequest: number | null;
  firstUsePct?: number;
  /** Median req/s as a share of the bare server's median; null for the bare server itself. */
  ratioToBare: number | null;
}

interface TargetCheck {
  name: string;
  met: boolean;
  detail: string;
}

interface DatabaseResult {
  database: DatabaseKind;
  transport: Transport;
  /** LATCHKEY_WORKERS: how many server processes answered (CPU and memory are summed over all of them). */
  workers: number;
  tool: LoadTool;
  keys: number;
  coldKeys: number;
  seedSeconds: number;
  serverStartSeconds: number;
  loadBefore: [number, number, number];
  loadAfter: [number, number, number];
  routes: RouteResult[];
  /** The server's memory once every round had run: its largest process (with several workers), and the sum of all. */
  memory: ProcessMemory | null;
  memoryTotalMiB: number | null;
  targets: TargetCheck[];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

interface LoadTarget {
  baseUrl: string;
  pid: number | undefined;
  logTail(): string;
}

function specFor(target: LoadTarget, route: Route, opts: Options, seconds: number, pool: KeyPool): LoadSpec {
  return {
    url: target.baseUrl + route.path,
    method: route.method,
    headers: route.headers,
    body: route.body,
    cycleKeys: route.cold ? { file: pool.file, offset: pool.sent % pool.size } : undefined,
    connections: opts.connections,
    threads: opts.threads,
    seconds,
  };
}

/** One load run; throws if any request failed. Advances the pool past the keys it sent. */
async function load(tool: LoadTool, target: LoadTarget, route: Route, opts: Options, seconds: number, pool: KeyPool, scratch: string, what: string) {
  const spec = specFor(target, route, opts, seconds, pool);
  const cpuBefore = treeCpuMs(target.pid);
  const r = await runLoad(tool, spec, scratch);
  const cpuAfter = treeCpuMs(target.pid);
  const failure = describeLoadFailures(r);
  if (failure) throw new Error(`${route.label} (${what}): ${failure}\n${target.logTail()}`);
  let firstUsePct: number | undefined;
  if (route.cold) {
    const before = pool.sent;
    // Requests still in flight when the run stopped were sent too: one per connection at most.
    pool.sent += r.requests + opts.connections;
    const fresh = Math.max(0, Math.min(before + r.requests, pool.size) - Math.min(before, pool.size));
    firstUsePct = r.requests > 0 ? round((fresh * 100) / r.requests, 1) : 0;
  }
  const cpuMsPerRequest = cpuBefore !== null && cpuAfter !== null && r.requests > 0 ? round((cpuAfter - cpuBefore) / r.requests, 4) : null;
  return { r, cpuMsPerRequest, firstUsePct };
}

async function measure(
  tool: LoadTool,
  target: LoadTarget,
  route: Route,
  roundNo: number,
  opts: Options,
  pool: KeyPool,
  scratch: string,
): Promise<RouteRun> {
  await load(tool, target, route, opts, WARMUP_SECONDS, pool, scratch, `round ${roundNo} warm-up`);
  const { r, cpuMsPerRequest, firstUsePct } = await load(tool, target, route, opts, opts.duration, pool, scratch, `round ${roundNo}`);
  return {
    round: roundNo,
    reqPerSec: round(r.reqPerSec, 1),
    p50Ms: round(r.latencyMs.p50, 3),
    p99Ms: round(r.latencyMs.p99, 3),
    meanMs: round(r.latencyMs.mean, 3),
    maxMs: round(r.latencyMs.max, 3),
    requests: r.requests,
    seconds: round(r.seconds, 3),
    cpuMsPerRequest,
    ...(firstUsePct !== undefined ? { firstUsePct } : {}),
  };
}

function summarise(route: Route, runs: RouteRun[]): RouteResult {
  const cpu = runs.map((r) => r.cpuMsPerRequest).filter((c): c is number => c !== null);
  return {
    id: route.id,
    route: route.label,
    runs,
    reqPerSec: round(median(runs.map((r) => r.reqPerSec)), 1),
    p50Ms: round(median(runs.map((r) => r.p50Ms)), 3),
    p99Ms: round(median(runs.map((r) => r.p99Ms)), 3),
    cpuMsPerRequest: cpu.length === runs.length ? round(median(cpu), 4) : null,
    ...(route.cold ? { firstUsePct: round(median(runs.map((r) => r.firstUsePct ?? 0)), 1) } : {}),
    ratioToBare: null,
  };
}

function evaluateTargets(routes: RouteResult[], memory: ProcessMemory | null, opts: Options): TargetCheck[] {
  const byId = new Map(routes.map((r) => [r.id, r]));
  const ratio = (id: RouteId) => byId.get(id)?.ratioToBare ?? 0;
  const targets: TargetCheck[] = [];
  for (const id of ["me", "verify"] as const)
    targets.push({
      name: `${byId.get(id)!.route} ≥ ${TARGETS.oneKeyRatio}× bare`,
      met: ratio(id) >= TARGETS.oneKeyRatio,
      detail: `${ratio(id).toFixed(3)}×`,
    });
  targets.push({
    name: `${byId.get("cold")!.route} ≥ ${TARGETS.coldRatio}× bare`,
    met: ratio("cold") >= TARGETS.coldRatio,
    detail: `${ratio("cold").toFixed(3)}×`,
  });
  const latchkey = routes.filter((r) => r.id !== "bare");
  const worst = latchkey.reduce((a, b) => (b.p99Ms > a.p99Ms ? b : a));
  const at = opts.connections === TARGET_CONNECTIONS ? "" : ` (measured at ${opts.connections} connections; the target is for ${TARGET_CONNECTIONS})`;
  targets.push({
    name: `p99 < ${TARGETS.p99Ms} ms on every Latchkey route at ${TARGET_CONNECTIONS} connections`,
    met: worst.p99Ms < TARGETS.p99Ms,
    detail: `worst ${formatMs(worst.p99Ms)} ms (${worst.route})${at}`,
  });
  targets.push({
    name: `server RSS after the runs ≤ ${TARGETS.rssMiB} MiB`,
    met: memory !== null && memory.rssMiB <= TARGETS.rssMiB,
    detail: memory ? `${memory.rssMiB} MiB (peak ${memory.peakRssMiB} MiB)` : "could not read /proc",
  });
  return targets;
}

// ---------------------------------------------------------------------------------------------
// One database end to end

const describeTransport = (t: Transport) => (t === "listener" ? "the listener (lib/api/listener.ts)" : "Next's route pipeline");
const label = (kind: DatabaseKind) => (kind === "pglite" ? "PGlite (embedded)" : "PostgreSQL");

interface Prepared {
  target: Target;
  secrets: Secrets;
  seedSeconds: number;
  keysFile: string;
  coldKeys: number;
  scratch: string;
}

/** Creates and seeds the database and writes the cold route's keys file; both are removed by runCleanups(). */
async function prepare(kind: DatabaseKind, opts: Options): Promise<Prepared> {
  const target = await prepareDatabase(kind, opts.adminUrl);
  console.log(`  database: ${target.location}`);
  const t = performance.now();
  const secrets = await seedDatabase(target, opts.keys);
  const seedSeconds = (performance.now() - t) / 1000;
  console.log(`  migrated and seeded in ${seedSeconds.toFixed(1)} s`);

  // The secrets are throwaway keys of a throwaway database; still, only this user may read them.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "latchkey-bench-load-"));
  onCleanup("remove the load files", () => fs.rmSync(scratch, { recursive: true, force: true }));
  const coldKeys = opts.coldKeys ?? secrets.pool.length;
  const keysFile = path.join(scratch, "cold-keys.txt");
  fs.writeFileSync(keysFile, `${secrets.pool.slice(0, coldKeys).join("\n")}\n`, { mode: 0o600 });
  return { target, secrets, seedSeconds, keysFile, coldKeys, scratch };
}

async function startLatchkey(target: Target, transport: Transport, extraEnv: Record<string, string> = {}, nodeArgs: string[] = []) {
  const t = performance.now();
  const server = await startServer(target, { LATCHKEY_API_LISTENER: transport === "listener" ? "1" : "0", ...extraEnv }, nodeArgs);
  await confirmTransport(server, transport);
  const serverStartSeconds = (performance.now() - t) / 1000;
  console.log(`  server (REST API through ${describeTransport(transport)}) ready on ${server.baseUrl} after ${serverStartSeconds.toFixed(1)} s`);
  return { server, serverStartSeconds };
}

/** Seeds one database, then measures each transport on it in turn (one server at a time: PGlite allows one process). */
async function benchDatabase(kind: DatabaseKind, opts: Options, tool: LoadTool, report: (r: DatabaseResult) => void): Promise<void> {
  console.log(`\n== ${label(kind)} ==`);
  try {
    const p = await prepare(kind, opts);
    const workerCounts = kind === "pglite" ? opts.workers.filter((w) => w === 1) : opts.workers;
    if (workerCounts.length < opts.workers.length)
      console.log("  (the embedded database runs in one process only: LATCHKEY_WORKERS > 1 is measured on PostgreSQL)");
    for (const transport of opts.transports) for (const workers of workerCounts) await benchServer(kind, p, transport, workers, opts, tool, report);
  } finally {
    await runCleanups();
  }
}

/** One server (with `workers` processes) on the prepared database: the bare server and every route, in rounds. */
async function benchServer(
  kind: DatabaseKind,
  p: Awaited<ReturnType<typeof prepare>>,
  transport: Transport,
  workers: number,
  opts: Options,
  tool: LoadTool,
  report: (r: DatabaseResult) => void,
): Promise<void> {
  {
    {
      const loadBefore = loadAverage();
      const { server, serverStartSeconds } = await startLatchkey(p.target, transport, {
        ...(workers > 1 ? { LATCHKEY_WORKERS: String(workers) } : {}),
        ...(opts.redis ? { LATCHKEY_REDIS_URL: opts.redis } : {}),
      });
      const routes = routesFor(p.secrets, p.coldKeys);
      const pool: KeyPool = { file: p.keysFile, size: p.coldKeys, sent: 0 };

      // Every route answers as expected before anything is timed; the bare server copies /me's answer.
      let meAnswer: { body: string; headers: Headers } | null = null;
      for (const route of routes) {
        if (route.bare) continue;
        // The cold route's check uses the pool's last key, which the runs reach last.
        const answer = await smokeTest(server.baseUrl, route, route.cold ? { "x-apikey": p.secrets.pool[p.coldKeys - 1] } : route.headers);
        if (route.id === "me") meAnswer = answer;
      }
      const bare = await startBareServer(meAnswer!);
      await smokeTest(bare.baseUrl, routes[0]);
      console.log(`  bare server on ${bare.baseUrl}, answering ${Buffer.byteLength(meAnswer!.body)} bytes with /api/data/me's headers`);

      const runs = new Map<RouteId, RouteRun[]>(routes.map((r) => [r.id, []]));
      for (let n = 1; n <= opts.rounds; n++) {
        for (const route of routes) {
          process.stdout.write(`  round ${n}/${opts.rounds} ${route.label}: warm-up ${WARMUP_SECONDS} s, measure ${opts.duration} s … `);
          const target: LoadTarget = route.bare ? { baseUrl: bare.baseUrl, pid: bare.pid, logTail: () => "" } : { ...server, pid: server.child.pid };
          const run = await measure(tool, target, route, n, opts, pool, p.scratch);
          runs.get(route.id)!.push(run);
          const extra = run.firstUsePct !== undefined ? `, ${run.firstUsePct}% first-use keys` : "";
          console.log(`${Math.round(run.reqPerSec)} req/s, p99 ${formatMs(run.p99Ms)} ms${extra}`);
        }
      }
      const memories = treeMemory(server.child.pid);
      const memory = memories[0] ?? null;
      const memoryTotalMiB =
        memories.length > 0
          ? round(
              memories.reduce((sum, m) => sum + m.rssMiB, 0),
              1,
            )
          : null;
      await server.stop();
      await bare.stop();

      const results = routes.map((route) => summarise(route, runs.get(route.id)!));
      const ceiling = results[0].reqPerSec;
      for (const r of results) if (r.id !== "bare") r.ratioToBare = ceiling > 0 ? round(r.reqPerSec / ceiling, 3) : 0;
      report({
        database: kind,
        transport,
        workers,
        tool,
        keys: opts.keys,
        coldKeys: p.coldKeys,
        seedSeconds: round(p.seedSeconds, 2),
        serverStartSeconds: round(serverStartSeconds, 2),
        loadBefore,
        loadAfter: loadAverage(),
        routes: results,
        memory,
        memoryTotalMiB,
        targets: evaluateTargets(results, memory, opts),
      });
    }
  }
}

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
    `\n${label(result.database)}, REST API through ${describeTransport(result.transport)}${result.workers > 1 ? `, LATCHKEY_WORKERS=${result.workers}` : ""}: ${opts.keys.toLocaleString("en-US")} keys, ` +
      `${result.tool === "wrk" ? `wrk -t${opts.threads}` : "autocannon (in this process)"} -c${opts.connections}, ${opts.duration} s per route and round, median of ${opts.rounds} round${opts.rounds > 1 ? "s" : ""}` +
      ` (load ${result.loadBefore[0]} → ${result.loadAfter[0]})`,
  );
  const rounds = Array.from({ length: opts.rounds }, (_, i) => `r${i + 1}`).join(" / ");
  printRows(
    ["route", `req/s (${rounds})`, "req/s", "p50 ms", "p99 ms", "CPU ms/req", "× bare"],
    result.routes.map((r) => [
      r.route,
      r.runs.map((run) => Math.round(run.reqPerSec)).join(" / "),
      Math.round(r.reqPerSec).toString(),
      formatMs(r.p50Ms),
      formatMs(r.p99Ms),
      r.cpuMsPerRequest === null ? "—" : r.cpuMsPerRequest.toFixed(3),
      r.ratioToBare === null ? "—" : `${r.ratioToBare.toFixed(3)}×`,
    ]),
  );
  const cold = result.routes.find((r) => r.id === "cold");
  if (cold?.firstUsePct !== undefined) {
    console.log(
      `cold route: ${result.coldKeys.toLocaleString("en-US")} keys in rotation; ${cold.runs.map((r) => `${r.firstUsePct}%`).join(" / ")} of its measured requests presented a key for the first time` +
        (cold.firstUsePct < 90 ? " — NOTE: the rest may have been cache hits; seed more keys (--keys) for a colder route" : ""),
    );
  }
  console.log(
    "CPU ms/req: CPU time of the answering process (Latchkey's server, or the bare server) per request" +
      (result.database === "pglite" ? ", PGlite's included (it runs inside the server)." : "; the PostgreSQL server's own is not included."),
  );
  if (result.coldKeys < COLD_KEYS_FOR_TARGET)
    console.log(
      `NOTE: the cold route cycled through ${result.coldKeys.toLocaleString("en-US")} keys; its target is stated for ≥ ${COLD_KEYS_FOR_TARGET.toLocaleString("en-US")}.`,
    );
  if (result.tool !== "wrk")
    console.log(
      "NOTE: measured with autocannon in this process, not wrk: the targets are stated for wrk, and these ratios are not comparable to them.",
    );
  if (result.workers > 1)
    console.log(
      `${result.workers} workers: CPU ms/req sums every server process; server memory ${result.memoryTotalMiB ?? "?"} MiB in all, the RSS target is checked against the largest process.`,
    );
  for (const t of result.targets) console.log(`target: ${t.name} — ${t.met ? "MET" : "NOT MET"} (${t.detail})`);
}

// ---------------------------------------------------------------------------------------------
// --profile <route>

interface ProfileResult {
  database: DatabaseKind;
  route: ProfiledRoute;
  transport: Transport;
  tool: LoadTool;
  reqPerSec: number;
  p99Ms: number;
  requests: number;
  /** The server process's CPU time per request over the profiled run (with the profiler's own overhead). */
  cpuMsPerRequest: number | null;
  profileFile: string;
  summary: ProfileSummary;
}

async function profileDatabase(kind: DatabaseKind, opts: Options, tool: LoadTool, startedAt: Date, report: (r: ProfileResult) => void) {
  const routeId = opts.profile!;
  console.log(`\n== ${label(kind)}: CPU profile of the ${routeId === "cold" ? "cold route" : `${routeId} route`} ==`);
  try {
    const p = await prepare(kind, opts);
    for (const transport of opts.transports) {
      const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), "latchkey-bench-prof-"));
      onCleanup("remove the profile directory", () => fs.rmSync(profileDir, { recursive: true, force: true }));
      // No drain on SIGTERM: nothing balances load here, and the profile should end with the load.
      const { server } = await startLatchkey(p.target, transport, { LATCHKEY_DRAIN_SECONDS: "0" }, ["--cpu-prof", `--cpu-prof-dir=${profileDir}`]);
      const route = routesFor(p.secrets, p.coldKeys).find((r) => r.id === routeId)!;
      await smokeTest(server.baseUrl, route, route.cold ? { "x-apikey": p.secrets.pool[p.coldKeys - 1] } : undefined);
      const pool: KeyPool = { file: p.keysFile, size: p.coldKeys, sent: 0 };
      const target: LoadTarget = { ...server, pid: server.child.pid };
      process.stdout.write(`  ${route.label}: warm-up ${WARMUP_SECONDS} s, profile ${opts.duration} s … `);
      await load(tool, target, route, opts, WARMUP_SECONDS, pool, p.scratch, "warm-up");
      const from = Number(process.hrtime.bigint() / 1000n);
      const { r, firstUsePct, cpuMsPerRequest } = await load(tool, target, route, opts, opts.duration, pool, p.scratch, "profiled run");
      const to = Number(process.hrtime.bigint() / 1000n);
      console.log(`${Math.round(r.reqPerSec)} req/s under the profiler${firstUsePct !== undefined ? `, ${firstUsePct}% first-use keys` : ""}`);

      const pid = server.child.pid!;
      const exit = await server.stop({ killAfterMs: 60_000 });
      if (exit.code !== 0)
        throw new Error(`the profiled server did not exit 0 on SIGTERM (${exit.code ?? exit.signal}): no profile.\n${server.logTail()}`);
      const file = findMainThreadProfile(profileDir, pid);
      if (!file) throw new Error(`the server exited 0 but wrote no profile to ${profileDir}.`);
      fs.mkdirSync(RESULTS_DIR, { recursive: true });
      const kept = path.join(RESULTS_DIR, `${routeId}-${kind}-${transport}-${startedAt.toISOString().replace(/[:.]/g, "-")}.cpuprofile`);
      fs.copyFileSync(file, kept);
      report({
        database: kind,
        route: routeId,
        transport,
        tool,
        reqPerSec: round(r.reqPerSec, 1),
        p99Ms: round(r.latencyMs.p99, 3),
        requests: r.requests,
        cpuMsPerRequest,
        profileFile: path.relative(ROOT, kept),
        summary: summariseProfile(file, opts.profileTop, [from, to], cpuMsPerRequest ?? undefined),
      });
    }
  } finally {
    await runCleanups();
  }
}

function printProfile(result: ProfileResult): void {
  const s = result.summary;
  const pct = (n: number) => (s.samples > 0 ? ((n * 100) / s.samples).toFixed(0) : "0");
  console.log(
    `\n${label(result.database)}, REST API through ${describeTransport(result.transport)}: ${result.reqPerSec.toFixed(0)} req/s on ${result.route === "cold" ? "the cold route" : `the ${result.route} route`} under the profiler, ` +
      `p99 ${formatMs(result.p99Ms)} ms, server CPU ${result.cpuMsPerRequest?.toFixed(3) ?? "?"} ms per request. ` +
      `${s.windowed ? "The load's" : "The whole profile's (the load's window did not overlap it)"} ${(s.windowMs / 1000).toFixed(1)} s: ` +
      `${s.samples} samples: ${pct(s.busySamples)}% busy (GC ${pct(s.gcSamples)}%), ${pct(s.samples - s.busySamples)}% idle.`,
  );
  console.log(`profile: ${result.profileFile} (open it in Chrome DevTools › Performance, or VS Code)`);
  const usPerReq = (n: number | null) => (n === null ? "—" : n.toFixed(1));
  printRows(
    ["samples", "% busy", "µs/req", "function", "where"],
    s.top.map((f) => [String(f.samples), f.sharePct.toFixed(1), usPerReq(f.usPerRequest), f.name, f.location]),
    [3, 4],
  );
  console.log("\nby origin:");
  printRows(
    ["samples", "% busy", "µs/req", "origin"],
    s.byOrigin.map((o) => [String(o.samples), o.sharePct.toFixed(1), usPerReq(o.usPerRequest), o.origin]),
    [3],
  );
  console.log(
    "µs/req: the share of busy samples × the server's CPU time per request (which also counts its other threads, and the profiler's overhead). " +
      "A native function is listed with its nearest JavaScript caller (←) and its first caller outside node's own modules (… ←).",
  );
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const opts = parseOptions();
  requireRepoRootAndBuild("bench/api.ts");
  cleanUpOnSignals();
  const tool = loadTool();

  console.log(
    `Latchkey API benchmark${opts.profile ? ` (--profile ${opts.profile})` : ""}: ${opts.databases.join(" + ")}, ${opts.keys.toLocaleString("en-US")} keys, ` +
      `${opts.connections} connections, ${WARMUP_SECONDS} s warm-up + ${opts.duration} s per route` +
      `${opts.profile ? "" : `, ${opts.rounds} round${opts.rounds > 1 ? "s" : ""}`}; limits counted ${opts.redis ? "in Redis" : "in the process"}; ` +
      `${os.cpus().length} CPUs, load ${loadAverage().join(" ")}.`,
  );
  console.log(
    tool === "wrk"
      ? `load generator: wrk -t${opts.threads} -c${opts.connections} (bench/wrk/*.lua), in its own process.`
      : "load generator: wrk is not installed (apt-get install -y wrk), so autocannon runs inside this process instead: " +
          "it shares the CPUs with the server and lowers every figure; compare ratios only with other autocannon runs.",
  );
  const startedAt = new Date();
  const results: DatabaseResult[] = [];
  const profiles: ProfileResult[] = [];
  let error: string | null = null;
  try {
    for (const kind of opts.databases) {
      if (opts.profile)
        await profileDatabase(kind, opts, tool, startedAt, (r) => {
          profiles.push(r);
          printProfile(r);
        });
      else
        await benchDatabase(kind, opts, tool, (r) => {
          results.push(r);
          printTable(r, opts);
        });
    }
  } catch (err) {
    error = (err as Error).message;
  }
  if (interrupted()) return;
  if (results.length > 0 || profiles.length > 0 || error) {
    const options = {
      keys: opts.keys,
      duration: opts.duration,
      connections: opts.connections,
      threads: opts.threads,
      rounds: opts.rounds,
      coldKeys: opts.coldKeys,
      transports: opts.transports,
      profile: opts.profile,
      warmupSeconds: WARMUP_SECONDS,
      loadGenerator: tool,
      targets: TARGETS,
    };
    const file = writeResults(opts.profile ? "profile-" : "", startedAt, opts.profile ? { options, profiles, error } : { options, results, error });
    console.log(`\nresults: ${file}`);
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
