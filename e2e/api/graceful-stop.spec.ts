import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { expect, screensOf, test } from "../fixtures";
import { recordSecret } from "./api-helpers";
import { createDatabase, portAt, serverEnv, startServer } from "./server-process";

// SIGTERM under load, on a production server of this test's own (its own database). The clients
// behave as behind a load balancer: they stop sending once /api/health says 503. Health turns
// 503 while the server still accepts (the drain), every request sent is answered (none reset),
// the server then refuses connections and exits 0, and every answered request is counted in the
// key's usage (written in batches) once the process has exited: N requests, N counted.

const port = portAt(7);

/** One request on its own connection (no keep-alive: a closing server may not reuse one). */
function get(pathname: string, headers: Record<string, string> = {}): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.request({ host: "127.0.0.1", port, path: pathname, headers, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
      res.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    });
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end();
  });
}

test("SIGTERM under load: health turns 503, requests in flight are answered, and each is counted in the key's usage", async ({ browser }) => {
  test.setTimeout(180_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "latchkey-stop-"));
  const env = serverEnv({ LATCHKEY_DRAIN_SECONDS: "1" });
  // PostgreSQL when the suite runs on it (a database of this test's own), else a PGlite directory.
  let counted: (keyName: string) => Promise<number>;
  let dropDatabase = async () => {};
  if (process.env.DATABASE_URL) {
    const { default: postgres } = await import("postgres");
    const database = await createDatabase("stop");
    env.DATABASE_URL = database.url;
    counted = async (keyName) => {
      const sql = postgres(database.url, { max: 1, onnotice: () => {} });
      const [{ n }] =
        await sql`select coalesce(sum(u.succeeded + u.refused), 0)::int as n from key_usage_minutes u join api_keys k on k.id = u.api_key_id where k.name = ${keyName}`;
      await sql.end();
      return n as number;
    };
    dropDatabase = database.drop;
  } else {
    delete env.DATABASE_URL;
    env.LATCHKEY_DATA_DIR = path.join(dir, "pglite");
    counted = async (keyName) => {
      const { PGlite } = await import("@electric-sql/pglite");
      const db = new PGlite(env.LATCHKEY_DATA_DIR);
      const { rows } = await db.query<{ n: number }>(
        "select coalesce(sum(u.succeeded + u.refused), 0)::int as n from key_usage_minutes u join api_keys k on k.id = u.api_key_id where k.name = $1",
        [keyName],
      );
      await db.close();
      return rows[0].n;
    };
  }

  const { child, exited } = await startServer(port, env);
  try {
    // A key, made the way an Admin makes one.
    const context = await browser.newContext({ baseURL: `http://127.0.0.1:${port}` });
    const screens = screensOf(await context.newPage());
    await screens.loginPage.signIn("admin@acme.test");
    await screens.apiKeysPage.open();
    const keyName = `Stopping ${randomBytes(3).toString("hex")}`;
    const secret = await screens.apiKeysPage.createKey(keyName);
    recordSecret(secret);
    await context.close();

    // Steady load from 16 clients; SIGTERM once 150 requests have been answered. A "load balancer"
    // polls health and takes the instance out of rotation at its first answer that is not a 200.
    const answers: ({ status: number } | { error: string })[] = [];
    let signalled = false;
    let inRotation = true;
    let stopping: Promise<string> | undefined;
    const healthAfterSignal = async (): Promise<string> => {
      for (;;) {
        const h = await get("/api/health");
        if ("error" in h || h.status !== 200) {
          inRotation = false;
          return "error" in h ? h.error : String(h.status);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const client = async () => {
      while (inRotation) {
        const answer = await get("/api/data/me", { "x-apikey": secret });
        answers.push(answer);
        if (!signalled && answers.length >= 150) {
          signalled = true;
          child.kill("SIGTERM");
          stopping = healthAfterSignal();
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, client));
    // Out of rotation on a 503 during the drain, not on a refused connection.
    expect(await stopping).toBe("503");
    // Refused once the drain is over, then gone.
    await expect
      .poll(async () => await get("/api/health/live").then((a) => ("error" in a ? a.error : String(a.status))), { timeout: 15_000 })
      .toBe("ECONNREFUSED");
    expect(await exited).toBe(0);

    const ok = answers.filter((a) => "status" in a && a.status === 200).length;
    const errors = answers.flatMap((a) => ("error" in a ? [a.error] : []));
    const others = answers.filter((a) => "status" in a && a.status !== 200);
    expect(ok).toBeGreaterThanOrEqual(150);
    expect(others).toEqual([]);
    // Every request sent while in rotation was answered: none refused, none reset.
    expect(errors).toEqual([]);
    // Every answered request was counted before the process exited.
    expect(await counted(keyName)).toBe(ok);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    await dropDatabase();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
