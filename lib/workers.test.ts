import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

// LATCHKEY_WORKERS runs several server processes on one port, which only a database server can
// take: the embedded database is one process's. The refusal comes before anything starts.

const SERVER = path.join(__dirname, "..", "scripts", "server.mjs");

function start(env: Record<string, string>) {
  // A directory of its own, so no .env file of the developer's is read.
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "latchkey-workers-"));
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k !== "DATABASE_URL" && k !== "LATCHKEY_WORKERS"),
  ) as NodeJS.ProcessEnv;
  const run = spawnSync(process.execPath, [SERVER, "-p", "0"], { cwd, env: { ...clean, ...env }, encoding: "utf8", timeout: 20_000 });
  fs.rmSync(cwd, { recursive: true, force: true });
  return { status: run.status, stderr: run.stderr };
}

describe("LATCHKEY_WORKERS", () => {
  it("is refused on the embedded database, saying why and what to do", () => {
    expect(start({ LATCHKEY_WORKERS: "2" })).toEqual({
      status: 1,
      stderr: expect.stringContaining(
        "LATCHKEY_WORKERS needs PostgreSQL (DATABASE_URL): the embedded database can be opened by one process only. Unset LATCHKEY_WORKERS, or set DATABASE_URL.",
      ),
    });
  });

  it("must be a whole number from 1 to 64", () => {
    for (const bad of ["0", "65", "two", "1.5"])
      expect(start({ LATCHKEY_WORKERS: bad, DATABASE_URL: "postgres://postgres@127.0.0.1:5432/postgres" })).toEqual({
        status: 1,
        stderr: expect.stringContaining(`LATCHKEY_WORKERS must be a whole number from 1 to 64 (got "${bad}").`),
      });
  });
});
