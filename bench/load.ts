// The load generator for bench/api.ts (see bench/README.md): wrk in its own process when it is
// installed (apt-get install -y wrk), with bench/wrk/*.lua for the request and its exact figures;
// otherwise autocannon inside this process, which competes with the server for the same cores
// and lowers every figure — the output says which one measured.
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import autocannon from "autocannon";
import { ROOT } from "./lib";

export type LoadTool = "wrk" | "autocannon";

const WRK_DIR = path.join(ROOT, "bench", "wrk");
/** A request slower than this counts as a timeout (and fails the run). */
const TIMEOUT_SECONDS = 10;

/** wrk when it is on the PATH, else autocannon. */
export function loadTool(): LoadTool {
  try {
    execFileSync("wrk", ["--version"], { stdio: "ignore" });
    return "wrk";
  } catch (err) {
    // wrk --version prints its usage and exits 1: that still means it is there.
    return (err as NodeJS.ErrnoException).code === "ENOENT" ? "autocannon" : "wrk";
  }
}

export interface LoadSpec {
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
  /**
   * Instead of one fixed request: a GET whose X-ApiKey is the next line of `file` on every
   * request, starting at line `offset` (0-based, wrapping round at the end).
   */
  cycleKeys?: { file: string; offset: number };
  connections: number;
  threads: number;
  seconds: number;
}

export interface LoadErrors {
  connect: number;
  read: number;
  write: number;
  /** Answers with status ≥ 400 (wrk) or any non-2xx (autocannon). */
  status: number;
  timeout: number;
}

export interface LoadResult {
  tool: LoadTool;
  requests: number;
  seconds: number;
  reqPerSec: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  errors: LoadErrors;
}

/** Why the run's figures mean nothing (any failed request), or null. */
export function describeLoadFailures(r: LoadResult): string | null {
  const e = r.errors;
  if (e.connect + e.read + e.write + e.status + e.timeout === 0) return null;
  return (
    `${e.status} answers with an error status, ${e.timeout} timeouts (> ${TIMEOUT_SECONDS} s), ` +
    `${e.connect} connect / ${e.read} read / ${e.write} write errors, out of ${r.requests} requests ` +
    `(${Math.round(r.reqPerSec)} req/s; of the answered, p50 ${r.latencyMs.p50.toFixed(1)} ms, p99 ${r.latencyMs.p99.toFixed(1)} ms, max ${r.latencyMs.max.toFixed(0)} ms)`
  );
}

/** Runs the load for `spec.seconds`; rejects if the generator itself fails. */
export function runLoad(tool: LoadTool, spec: LoadSpec, scratchDir: string): Promise<LoadResult> {
  return tool === "wrk" ? runWrk(spec, scratchDir) : runAutocannon(spec);
}

// ---------------------------------------------------------------------------------------------
// wrk

interface WrkJson {
  durationUs: number;
  requests: number;
  errors: LoadErrors;
  latencyUs: { mean: number; max: number; p50: number; p90: number; p99: number };
}

let requestFiles = 0;

async function runWrk(spec: LoadSpec, scratchDir: string): Promise<LoadResult> {
  const args = [`-t${spec.threads}`, `-c${spec.connections}`, `-d${spec.seconds}s`, "--timeout", `${TIMEOUT_SECONDS}s`];
  if (spec.cycleKeys) {
    args.push("-s", path.join(WRK_DIR, "cycle-keys.lua"), spec.url, "--", spec.cycleKeys.file, String(spec.cycleKeys.offset), String(spec.threads));
  } else {
    const file = path.join(scratchDir, `request-${++requestFiles}.txt`);
    const headers = Object.entries(spec.headers).map(([name, value]) => `${name}: ${value}\n`);
    fs.writeFileSync(file, `${spec.method}\n${headers.join("")}\n${spec.body ?? ""}`, { mode: 0o600 });
    args.push("-s", path.join(WRK_DIR, "request.lua"), spec.url, "--", file);
  }
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile("wrk", args, { maxBuffer: 1 << 20, timeout: (spec.seconds + 30) * 1000 }, (err, out, errText) => {
      if (err) reject(new Error(`wrk failed (${err.message.split("\n")[0]}): ${errText || out}`));
      else resolve(out);
    });
  });
  const line = stdout.split("\n").find((l) => l.startsWith("WRK_JSON "));
  if (!line) throw new Error(`wrk printed no WRK_JSON line (bench/wrk/report.lua):\n${stdout}`);
  const j = JSON.parse(line.slice("WRK_JSON ".length)) as WrkJson;
  const seconds = j.durationUs / 1e6;
  const ms = (us: number) => us / 1000;
  return {
    tool: "wrk",
    requests: j.requests,
    seconds,
    reqPerSec: seconds > 0 ? j.requests / seconds : 0,
    latencyMs: { mean: ms(j.latencyUs.mean), p50: ms(j.latencyUs.p50), p90: ms(j.latencyUs.p90), p99: ms(j.latencyUs.p99), max: ms(j.latencyUs.max) },
    errors: j.errors,
  };
}

// ---------------------------------------------------------------------------------------------
// autocannon (the fallback)

async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  let requests: autocannon.Request[] | undefined;
  if (spec.cycleKeys) {
    const keys = fs.readFileSync(spec.cycleKeys.file, "utf8").split("\n").filter(Boolean);
    let position = spec.cycleKeys.offset;
    requests = [
      {
        method: "GET",
        setupRequest: (req) => {
          req.headers = { ...req.headers, "x-apikey": keys[position++ % keys.length] };
          return req;
        },
      },
    ];
  }
  const r = await autocannon({
    url: spec.url,
    method: spec.method,
    headers: spec.headers,
    body: spec.body,
    requests,
    connections: spec.connections,
    duration: spec.seconds,
    timeout: TIMEOUT_SECONDS,
  });
  return {
    tool: "autocannon",
    requests: r.requests.total,
    seconds: r.duration,
    reqPerSec: r.duration > 0 ? r.requests.total / r.duration : 0,
    latencyMs: { mean: r.latency.average, p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
    errors: { connect: 0, read: r.errors, write: 0, status: r.non2xx, timeout: r.timeouts },
  };
}
