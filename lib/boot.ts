import { getDatabase } from "@/db";
import { DEMO_PASSWORD, DEMO_USERS, isEmpty, seedDemo } from "@/db/seed";
import { flushAccessLogs } from "./access-log/writer";
import { startAuthCache } from "./api-keys/cache";
import { startThrottlePurge } from "./auth/sign-in-throttle";
import { installDemoGate, refreshDemoExposure } from "./demo";
import { checkEnv, env } from "./env";
import { ensureAuthSecret } from "./startup";

export async function boot(): Promise<void> {
  try {
    checkEnv();
  } catch (err) {
    // Next would log this with a stack trace and go on answering every request with a 500.
    console.error((err as Error).message);
    process.exit(1);
  }
  const secret = ensureAuthSecret();
  const database = await getDatabase();
  const { db, kind, location } = database;
  await startAuthCache(database);
  const demoSetting = env().LATCHKEY_DEMO;
  const wantDemo = demoSetting === "1" || (kind === "pglite" && demoSetting !== "0");
  let seeded = false;
  if (wantDemo && (await isEmpty(db))) {
    await seedDemo(db);
    seeded = true;
  }
  // Before anything is served to another machine: are published demo passwords still live?
  const demo = await refreshDemoExposure(db);
  installDemoGate();
  startThrottlePurge(async () => db);
  const port = env().PORT;
  const lines = [
    `Latchkey: database ${kind === "pglite" ? "embedded (PGlite)" : "PostgreSQL"} at ${location}; migrations applied.`,
    secret === "generated" ? "Latchkey: generated AUTH_SECRET into .env.local." : null,
    seeded ? "Latchkey: created demo data (workspaces acme and globex)." : null,
    wantDemo || seeded ? `Latchkey: demo sign-in: ${DEMO_USERS.map((u) => u.email).join(", ")}; password "${DEMO_PASSWORD}".` : null,
    demo.exposed
      ? `Latchkey: ${demo.emails.length} demo account(s) still use the published password, so npm start answers only this machine (others get 403) until their passwords are changed.`
      : null,
    `Latchkey: open http://localhost:${port}/login`,
  ];
  for (const l of lines) if (l) console.log(l);

  // What a graceful stop must do before the process goes: write the buffered access-log entries,
  // waiting at most SHUTDOWN_FLUSH_MS. The production server (scripts/server.mjs) first stops
  // accepting and lets the requests in flight finish, then calls this; under a plain `next start`
  // nothing else handles the signal, so it is handled here.
  const g = globalThis as unknown as { __latchkeyShutdown?: () => Promise<void>; __latchkeyOwnsSignals?: boolean };
  g.__latchkeyShutdown = async () => {
    const timeout = new Promise((resolve) => setTimeout(resolve, SHUTDOWN_FLUSH_MS).unref());
    await Promise.race([flushAccessLogs(), timeout]);
  };
  if (!g.__latchkeyOwnsSignals)
    for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => void g.__latchkeyShutdown!().finally(() => process.exit(0)));
}

const SHUTDOWN_FLUSH_MS = 10_000;
