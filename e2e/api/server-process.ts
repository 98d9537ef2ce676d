import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";

// For the specs that need a production server of their own (a graceful stop, a database outage):
// spawn `node scripts/server.mjs` on a port of the spec's, wait until it says it is ready, stop
// or kill it; and a PostgreSQL database of the test's own, made on the server DATABASE_URL names
// and dropped afterwards. Never a developer's data: only a local server is accepted.

const ROOT = path.join(__dirname, "..", "..");

/** The port `offset` above E2E_PORT: each spec keeps to its own few, away from the shared server's. */
export function portAt(offset: number): number {
  return Number(process.env.E2E_PORT ?? 3210) + offset;
}

/** What every spawned server runs with: this environment (the runner's), demo data, no telemetry. */
export function serverEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    LATCHKEY_DEMO: "1",
    AUTH_SECRET: randomBytes(32).toString("base64url"),
    NEXT_TELEMETRY_DISABLED: "1",
    ...overrides,
  };
}

export interface ServerProcess {
  port: number;
  baseURL: string;
  child: ChildProcess;
  /** Resolves with the exit code once the process has gone. */
  exited: Promise<number | null>;
  /** Everything it has printed so far (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGTERM (a graceful stop), SIGKILL after `graceMs`; resolves once the process has gone. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Starts a production server on `port` and resolves once it prints "Latchkey: ready". If it exits
 * first or is not ready within `readyMs`, it is killed and the promise rejects with its output.
 */
export async function startServer(port: number, env: NodeJS.ProcessEnv, { readyMs = 60_000 } = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["scripts/server.mjs", "-p", String(port)], {
    cwd: ROOT,
    env: { ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let log = "";
  // Read for as long as it runs: a full pipe would block the server's writes.
  child.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const stop = async (graceMs = 15_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const late = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(late);
    }
    return child.exitCode;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes("Latchkey: ready")) resolve();
      });
      void exited.then((code) => reject(new Error(`the server on port ${port} exited (${code}) before it was ready:\n${log}`)));
      setTimeout(() => reject(new Error(`the server on port ${port} was not ready in ${readyMs / 1000} s:\n${log}`)), readyMs).unref();
    });
  } catch (err) {
    await stop(0);
    throw err;
  }
  return { port, baseURL: `http://127.0.0.1:${port}`, child, exited, output: () => log, stop };
}

export interface TestDatabase {
  name: string;
  /** Its URL on the server DATABASE_URL names. */
  url: string;
  /** Its URL through another host and port (a proxy in front of the same server). */
  urlVia(host: string, port: number): string;
  /** Where the server DATABASE_URL names listens. */
  host: string;
  port: number;
  /** Drops it (closing whatever is still connected to it). */
  drop(): Promise<void>;
}

/** A fresh, empty database on the local PostgreSQL server DATABASE_URL names; `label` goes into its name. */
export async function createDatabase(label: string): Promise<TestDatabase> {
  if (!process.env.DATABASE_URL) throw new Error("createDatabase needs DATABASE_URL (a local PostgreSQL server)");
  const server = new URL(process.env.DATABASE_URL);
  if (!["localhost", "127.0.0.1", "::1", "[::1]"].includes(server.hostname)) throw new Error("e2e: refusing a non-local DATABASE_URL");
  const { default: postgres } = await import("postgres");
  const name = `latchkey_${label}_${process.pid}_${randomBytes(3).toString("hex")}`;
  const admin = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const urlVia = (host: string, port: number) => {
    const url = new URL(server);
    url.hostname = host;
    url.port = String(port);
    url.pathname = `/${name}`;
    return url.toString();
  };
  const host = server.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = Number(server.port || 5432);
  return {
    name,
    url: urlVia(server.hostname, port),
    urlVia,
    host,
    port,
    drop: async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}
