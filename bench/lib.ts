// Shared by the on-demand benchmarks (bench/api.ts, bench/pages.ts; see bench/README.md):
// throwaway databases, the production server, clean-up on exit and Ctrl-C, and the results file.
// Never touches a developer's data: every database here is created for the run and dropped after.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { describeUrl, openDatabase, type DatabaseKind, type OpenDatabase } from "@/db";
import { env } from "@/lib/env";

export const ROOT = process.cwd();
// The production server `npm start` runs: Next for pages, lib/api/listener.ts for the REST API.
export const SERVER_SCRIPT = path.join(ROOT, "scripts", "server.mjs");
export const RESULTS_DIR = path.join(ROOT, "bench", "results");
export const DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);
const SERVER_START_TIMEOUT_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// Options and failures

export function positiveInt(name: string, raw: string, min: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min} (got "${raw}").`);
  return n;
}

export function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(1);
}

/** The admin URL for throwaway PostgreSQL databases: BENCH_ADMIN_URL or the local default. */
export function adminUrlFromEnv(): string {
  return env().BENCH_ADMIN_URL ?? DEFAULT_ADMIN_URL;
}

/** Exits unless run from the repository root with a production build present. */
export function requireRepoRootAndBuild(script: string): void {
  if (!fs.existsSync(path.join(ROOT, "db", "migrations")) || !fs.existsSync(SERVER_SCRIPT))
    fail(`run this from the repository root (npx tsx --conditions=react-server ${script}).`);
  if (!fs.existsSync(path.join(ROOT, ".next", "BUILD_ID")))
    fail("no production build found: run `npm run build` first, then run the benchmark again.");
}

// ---------------------------------------------------------------------------------------------
// Cleanup: a stack run in reverse order after each database, on error, and on Ctrl-C.

const cleanups: { label: string; run: () => Promise<unknown> | void }[] = [];

export function onCleanup(label: string, run: () => Promise<unknown> | void): void {
  cleanups.push({ label, run });
}

export async function runCleanups(): Promise<void> {
  for (let c = cleanups.pop(); c; c = cleanups.pop()) {
    try {
      await c.run();
    } catch (err) {
      console.error(`bench: cleanup "${c.label}" failed: ${(err as Error).message}`);
    }
  }
}

let interruptedBy: NodeJS.Signals | null = null;

/** True once SIGINT / SIGTERM arrived (the handler cleans up and exits 130). */
export function interrupted(): boolean {
  return interruptedBy !== null;
}

/** On Ctrl-C or SIGTERM: run the clean-up stack (stop the server, drop the database) and exit 130. */
export function cleanUpOnSignals(): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (interruptedBy) return;
      interruptedBy = signal;
      console.error(`\nbench: ${signal}: stopping the server and removing the throwaway database…`);
      void runCleanups().finally(() => process.exit(130));
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Throwaway databases

export interface Target {
  kind: DatabaseKind;
  /** Where the data lives, for the log. */
  location: string;
  /** postgres:// URL of the throwaway database (PostgreSQL only). */
  url: string | null;
  open(): Promise<OpenDatabase>;
  /** Environment for the server process (the other driver's variable is set empty so .env files cannot supply it). */
  env: Record<string, string>;
}

/**
 * Creates an empty database for one run and registers its removal: a temporary directory for
 * PGlite, or `latchkey_bench_<random>` on a local PostgreSQL server. `keep` skips the removal
 * (for investigating afterwards) and says how to remove it by hand.
 */
export async function prepareDatabase(kind: DatabaseKind, adminUrl: string, opts: { keep?: boolean } = {}): Promise<Target> {
  if (kind === "pglite") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "latchkey-bench-"));
    if (opts.keep) onCleanup("keep PGlite directory", () => console.log(`  kept ${dir} (--keep): remove it with rm -rf ${dir}`));
    else onCleanup("remove PGlite directory", () => fs.rmSync(dir, { recursive: true, force: true }));
    const dataDir = path.join(dir, "pglite");
    return {
      kind,
      location: dataDir,
      url: null,
      open: () => openDatabase({ dataDir }),
      env: { LATCHKEY_DATA_DIR: dataDir, DATABASE_URL: "" },
    };
  }

  const admin = new URL(adminUrl);
  if (!LOCAL_HOSTS.has(admin.hostname || "localhost"))
    throw new Error(`refusing to create a benchmark database on a non-local server (${describeUrl(adminUrl)}).`);
  const name = `latchkey_bench_${randomBytes(4).toString("hex")}`;
  const { default: postgres } = await import("postgres");
  const adminSql = () => postgres(adminUrl, { max: 1, onnotice: () => {} });
  const createSql = adminSql();
  try {
    await createSql.unsafe(`create database "${name}"`);
  } finally {
    await createSql.end();
  }
  if (opts.keep) {
    onCleanup(`keep database ${name}`, () =>
      console.log(`  kept database ${name} (--keep): drop it with psql ${describeUrl(adminUrl)} -c 'drop database "${name}" with (force)'`),
    );
  } else {
    onCleanup(`drop database ${name}`, async () => {
      const dropSql = adminSql();
      try {
        await dropSql.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await dropSql.end();
      }
    });
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    kind,
    location: describeUrl(url.toString()),
    url: url.toString(),
    open: () => openDatabase({ url: url.toString() }),
    env: { DATABASE_URL: url.toString(), LATCHKEY_DATA_DIR: "" },
  };
}

// ---------------------------------------------------------------------------------------------
// The production server

export interface Server {
  baseUrl: string;
  child: ChildProcess;
  logTail(): string;
  /**
   * Stops it now with SIGTERM (it is also on the clean-up stack), SIGKILL after `killAfterMs`
   * (default 5 s); resolves with how it exited.
   */
  stop(opts?: { killAfterMs?: number }): Promise<ChildExit>;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
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

/**
 * The production server (scripts/server.mjs, as `npm start`) on a free port against the target
 * database, with a random AUTH_SECRET and without demo seeding; resolves once /api/health answers 200. Its stop is on the clean-up stack.
 * `nodeArgs` go to node before the script (e.g. `--cpu-prof`).
 */
export async function startServer(target: Target, extraEnv: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Server> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  delete env.LATCHKEY_DATA_DIR;
  Object.assign(env, target.env, {
    PORT: String(port),
    AUTH_SECRET: randomBytes(32).toString("base64url"),
    LATCHKEY_DEMO: "0",
    NEXT_TELEMETRY_DISABLED: "1",
    ...extraEnv,
  });

  // Keep this handle: it is the way to stop the server (Next may rename the process title).
  const child = spawn(process.execPath, [...nodeArgs, SERVER_SCRIPT, "-p", String(port), "-H", "127.0.0.1"], {
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

  const server: Server = {
    baseUrl: `http://127.0.0.1:${port}`,
    child,
    logTail: () => log.slice(-40).join("\n"),
    stop: (opts) => stopChild(child, opts?.killAfterMs),
  };
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

/** SIGTERM, then SIGKILL after `killAfterMs`; resolves with how the child exited. */
export async function stopChild(child: ChildProcess, killAfterMs = 5_000): Promise<ChildExit> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  const exited = new Promise<ChildExit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
  const exit = await exited;
  clearTimeout(timer);
  return exit;
}

// ---------------------------------------------------------------------------------------------
// A process's memory and CPU time, from /proc (Linux)

export interface ProcessMemory {
  /** Resident set size now (VmRSS), MiB. */
  rssMiB: number;
  /** The largest resident set size so far (VmHWM, the high-water mark), MiB. */
  peakRssMiB: number;
}

/** VmRSS and VmHWM of a running process, or null where /proc cannot tell (not Linux, gone). */
export function processMemory(pid: number | undefined): ProcessMemory | null {
  if (pid === undefined) return null;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    const rss = kib("VmRSS");
    const peak = kib("VmHWM");
    if (Number.isNaN(rss) || Number.isNaN(peak)) return null;
    return { rssMiB: round(rss / 1024, 1), peakRssMiB: round(peak / 1024, 1) };
  } catch {
    return null;
  }
}

/** A process and its descendants (a LATCHKEY_WORKERS primary and its workers), from /proc's parent ids. */
export function processTree(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  const parents = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(parents.get(tree[i]) ?? []));
  return tree;
}

/** The memory of each process of the tree, largest first. */
export function treeMemory(pid: number | undefined): ProcessMemory[] {
  return processTree(pid)
    .map((p) => processMemory(p))
    .filter((m): m is ProcessMemory => m !== null)
    .sort((a, b) => b.rssMiB - a.rssMiB);
}

/** User + system CPU time of a process and its descendants, in ms, or null where /proc cannot tell. */
export function treeCpuMs(pid: number | undefined): number | null {
  const tree = processTree(pid);
  if (tree.length === 0) return null;
  let sum = 0;
  for (const p of tree) sum += processCpuMs(p) ?? 0;
  return sum;
}

let clockTicks: number | null = null;

/** The unit of /proc/<pid>/stat's CPU times: USER_HZ, 100 on every Linux we know of. */
function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** User + system CPU time a process has used so far, in ms, or null where /proc cannot tell. */
export function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces), which ends at the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    clockTicks ??= clockTicksPerSecond();
    // utime and stime are fields 14 and 15 of the line; fields[0] here is field 3 (the state).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Figures, tables and the results file

export function round(n: number, digits: number): number {
  return Number(n.toFixed(digits));
}

export function formatMs(ms: number): string {
  return ms < 10 ? ms.toFixed(1) : ms.toFixed(0);
}

/** The value below which `p` (0–1) of the sorted samples fall (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** A plain-text table: the first column left-aligned, the others right-aligned, unless `leftAligned` names other columns. */
export function printTable(header: string[], rows: string[][], leftAligned: readonly number[] = [0]): void {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (leftAligned.includes(c) ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
      .join("  ")
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row));
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

export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? null,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

/** The 1-, 5- and 15-minute load averages, two decimals. */
export function loadAverage(): [number, number, number] {
  const [a, b, c] = os.loadavg();
  return [round(a, 2), round(b, 2), round(c, 2)];
}

/**
 * Writes `bench/results/<prefix><timestamp>.json` (gitignored) with the run's context (git
 * revision, build, machine, Node) around `fields`; returns its path relative to the root.
 */
export function writeResults(prefix: string, startedAt: Date, fields: Record<string, unknown>): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${prefix}${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    git: gitRevision(),
    build: buildInfo(),
    machine: machineInfo(),
    ...fields,
  };
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return path.relative(ROOT, file);
}
