import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, screensOf } from "../fixtures";
import { randomAddress, recordSecret } from "./api-helpers";
import { portAt, serverEnv, startServer, type ServerProcess } from "./server-process";
import { databaseOf, keep, makeKeyInConsole, test, type Defer } from "./two-instances";

// Key rotation through a real production server whose clock the spec moves: the server reads the
// seconds to add from LATCHKEY_TEST_CLOCK_FILE on every request, so an overlap of an hour or a
// quiet window of ten minutes passes in a write. Both modes: the old secret works (with the
// rotation headers) until its overlap ends, or until it has not been used for its quiet window,
// and is then refused as key_rotated while the new secret works on.

const port = portAt(12);

async function rotationServer(defer: Defer): Promise<{ server: ServerProcess; moveClock: (seconds: number) => void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "latchkey-rotation-"));
  defer(() => fs.rmSync(dir, { recursive: true, force: true }));
  const clockFile = path.join(dir, "clock-offset");
  fs.writeFileSync(clockFile, "0");
  const env = serverEnv({ LATCHKEY_TEST_CLOCK_FILE: clockFile, LATCHKEY_DRAIN_SECONDS: "0" });
  if (process.env.DATABASE_URL) env.DATABASE_URL = (await databaseOf(defer, "rotation")).url;
  else {
    delete env.DATABASE_URL;
    env.LATCHKEY_DATA_DIR = path.join(dir, "pglite");
  }
  const server = await startServer(port, env);
  defer(async () => {
    await server.stop(3_000);
    await keep("server.log", server.output());
  });
  expect(server.output()).toContain("TEST CLOCK");
  return { server, moveClock: (seconds) => fs.writeFileSync(clockFile, String(seconds)) };
}

interface Answer {
  status: number;
  code?: string;
  rotated: string | null;
  expires: string | null;
  data?: Record<string, unknown>;
}

async function call(server: ServerProcess, method: string, pathname: string, key: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${server.baseURL}${pathname}`, {
    method,
    headers: { "x-apikey": key, "x-forwarded-for": randomAddress(), ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const envelope = (await res.json()) as { data?: Record<string, unknown>; error?: { code: string } };
  if (typeof envelope.data?.secret === "string") recordSecret(envelope.data.secret);
  return {
    status: res.status,
    code: envelope.error?.code,
    rotated: res.headers.get("latchkey-key-rotated"),
    expires: res.headers.get("latchkey-key-expires"),
    data: envelope.data,
  };
}

const me = (server: ServerProcess, key: string) => call(server, "GET", "/api/data/me", key);

test("rotation on a server whose clock moves: an overlap ends, a quiet old secret retires, the new secrets work on", async ({ browser, defer }) => {
  test.setTimeout(120_000);
  const { server, moveClock } = await rotationServer(defer);
  const first = await makeKeyInConsole(browser, server.baseURL, `Rolled ${randomBytes(3).toString("hex")}`);
  const keyId = ((await me(server, first)).data!.key as { id: string }).id;

  // Overlap of an hour.
  const rolled = await call(server, "POST", `/api/data/api-keys/${keyId}/rotate`, first, { overlap: "1h" });
  expect(rolled.status).toBe(200);
  const second = rolled.data!.secret as string;
  const newPrefix = (rolled.data!.key as { prefix: string }).prefix.replace("…", "");
  const retireAt = (rolled.data!.previous as { retireAt: string }).retireAt;
  const old = await me(server, first);
  expect(old).toMatchObject({ status: 200, rotated: newPrefix, expires: retireAt.replace(/\.\d{3}Z$/, "Z") });
  expect(await me(server, second)).toMatchObject({ status: 200, rotated: null });

  moveClock(59 * 60);
  expect(await me(server, first)).toMatchObject({ status: 200, rotated: newPrefix });
  moveClock(60 * 60 + 1);
  expect(await me(server, first)).toMatchObject({ status: 401, code: "key_rotated", rotated: null });
  expect(await me(server, second)).toMatchObject({ status: 200 });
  // The old secret cannot come back, whatever it sends.
  expect(await call(server, "POST", `/api/data/api-keys/${keyId}/rotate`, first, { overlap: "now" })).toMatchObject({
    status: 401,
    code: "key_rotated",
  });

  // Retire when quiet: ten minutes without a use, deadline a day. Times below are the moved clock's.
  const quiet = await call(server, "POST", `/api/data/api-keys/${keyId}/rotate`, second, { mode: "quiet", quietMinutes: 10, deadlineDays: 1 });
  expect(quiet.status).toBe(200);
  const third = quiet.data!.secret as string;
  const base = 60 * 60 + 1;
  for (const minute of [8, 16, 24]) {
    moveClock(base + minute * 60);
    // Used every 8 minutes: never quiet for 10, so still accepted, and told when it would stop.
    const answer = await me(server, second);
    expect(answer, `minute ${minute}`).toMatchObject({ status: 200, rotated: (quiet.data!.key as { prefix: string }).prefix.replace("…", "") });
  }
  // Ten minutes after its last use (minute 24): retired.
  moveClock(base + 34 * 60 + 1);
  expect(await me(server, second)).toMatchObject({ status: 401, code: "key_rotated" });
  expect(await me(server, third)).toMatchObject({ status: 200, rotated: null });

  // The key's page says which old secrets stopped working, and why.
  const context = await browser.newContext({ baseURL: server.baseURL });
  defer(() => context.close());
  const page = await context.newPage();
  await screensOf(page).loginPage.signIn("admin@acme.test");
  await page.goto(`/w/acme/account/api/${keyId}`);
  const history = page.getByRole("region", { name: "Previous secrets" });
  await expect(history).toContainText("because it went quiet");
  await expect(history).toContainText("because its overlap ended");
  await expect(history).toContainText("3 requests");
});
