// Starts a production server for Playwright on its own, throwaway database:
// a temporary PGlite directory, or — when DATABASE_URL is set — a fresh database on that
// local server, dropped on exit. Demo data is always seeded. Never touches a developer's data.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const port = process.env.E2E_PORT ?? "3210";
const env = { ...process.env, PORT: port, LATCHKEY_DEMO: "1", NEXT_TELEMETRY_DISABLED: "1" };
// The specs stand in for a reverse proxy: each names its client address in X-Forwarded-For.
env.LATCHKEY_TRUSTED_PROXY_HOPS ??= "1";
env.AUTH_SECRET ??= randomBytes(32).toString("base64url");
let cleanup = async () => {};

if (process.env.DATABASE_URL) {
  const { default: postgres } = await import("postgres");
  const admin = new URL(process.env.DATABASE_URL);
  if (!["localhost", "127.0.0.1", "::1", "[::1]"].includes(admin.hostname)) {
    console.error("e2e: refusing a non-local DATABASE_URL");
    process.exit(1);
  }
  const name = `latchkey_e2e_${process.pid}_${randomBytes(3).toString("hex")}`;
  const sql = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
  await sql.unsafe(`create database "${name}"`);
  await sql.end();
  const url = new URL(process.env.DATABASE_URL);
  url.pathname = `/${name}`;
  env.DATABASE_URL = url.toString();
  cleanup = async () => {
    const s = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
    await s.unsafe(`drop database if exists "${name}" with (force)`);
    await s.end();
  };
  console.log(`e2e: PostgreSQL database ${name}`);
} else {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "latchkey-e2e-"));
  env.LATCHKEY_DATA_DIR = path.join(dir, "pglite");
  cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
  console.log(`e2e: embedded database in ${dir}`);
}

const logFile = process.env.E2E_SERVER_LOG;
if (logFile) fs.mkdirSync(path.dirname(logFile), { recursive: true });
const child = spawn(process.execPath, ["scripts/server.mjs", "-p", port], {
  env,
  stdio: logFile ? ["ignore", "pipe", "pipe"] : "inherit",
});
if (logFile) {
  const out = fs.createWriteStream(logFile);
  child.stdout.pipe(out);
  child.stderr.pipe(out);
}

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  child.kill("SIGTERM");
  await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
  await cleanup().catch((e) => console.error("e2e: cleanup failed", e.message));
  process.exit(code);
}
process.on("SIGTERM", () => stop(0));
process.on("SIGINT", () => stop(0));
child.on("exit", (code) => stop(code ?? 1));
