import { connectDatabase, describeUrl, setWaitingForDatabase, type Db } from "@/db";
import { purgeIdempotencyKeys } from "./api/idempotency";
import { DEMO_PASSWORD, DEMO_USERS, isEmpty, seedDemo } from "@/db/seed";
import { flushAccessLogs, prepareAccessLogPartitions } from "./access-log/writer";
import { flushKeyUse } from "./api-keys/usage";
import { flushPreviousSecretUse } from "./api-keys/previous-use";
import { flushQuotaUse } from "./api-keys/limits";
import { retireDuePreviousSecrets } from "./api-keys/core";
import { startAuthCache } from "./api-keys/cache";
import { startReminderWorkers } from "./reminders/worker";
import { startThrottlePurge } from "./auth/sign-in-throttle";
import { installDemoGate, refreshDemoExposure } from "./demo";
import { checkEnv, env } from "./env";
import { AppError, isConnectionFailure } from "./errors";
import { ensureAuthSecret } from "./startup";
import { connectRedis } from "./redis";
import { startWebhookDelivery } from "./webhooks/deliver";

export async function boot(): Promise<void> {
  try {
    checkEnv();
  } catch (err) {
    // Next would log this with a stack trace and go on answering every request with a 500.
    console.error((err as Error).message);
    process.exit(1);
  }
  const secret = ensureAuthSecret();
  handleShutdown();
  try {
    await startServing(secret);
  } catch (err) {
    exitUnlessUnreachable(err);
    // Started while the database is down: listen anyway (health and every request answer 503,
    // so a load balancer and an operator see why), and keep trying in the background.
    setWaitingForDatabase(true);
    console.error(
      `Latchkey: cannot reach the database at ${databaseLocation()} (${reasonOf(err)}). Every request gets a 503 until it answers; trying again every ${RETRY_MS / 1000} s.`,
    );
    void retryUntilServing(secret);
  }
}

/** How often a server that started without its database tries again: it serves within a second of the database's return. */
const RETRY_MS = 250;

async function retryUntilServing(secret: "generated" | "present"): Promise<void> {
  let told = false;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    try {
      await startServing(secret, () => {
        // Requests may use it from now on; the rest below does not have to hold them up (until the
        // demo gate is set, other machines are told the server is starting).
        if (told) return;
        told = true;
        setWaitingForDatabase(false);
        console.log("Latchkey: the database answers now; serving normally.");
      });
      return;
    } catch (err) {
      exitUnlessUnreachable(err);
    }
  }
}

/** A failure other than an unreachable database (a migration that fails, a data directory in use) is not waited out. */
function exitUnlessUnreachable(err: unknown): void {
  if (isConnectionFailure(err) || (err instanceof AppError && err.code === "unavailable")) return;
  console.error(`Latchkey: cannot start: ${(err as Error)?.message ?? String(err)}`);
  process.exit(1);
}

function databaseLocation(): string {
  const url = env().DATABASE_URL;
  return url ? describeUrl(url) : "the embedded data directory";
}

/** The driver's error code and message, which name the host and port but never a password. */
function reasonOf(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  return [typeof e?.code === "string" ? e.code : null, typeof e?.message === "string" ? e.message : null].filter(Boolean).join(": ") || "no answer";
}

/** Everything that needs the database before requests are served: each step may be repeated after a failure. */
async function startServing(secret: "generated" | "present", onConnected = () => {}): Promise<void> {
  const database = await connectDatabase();
  onConnected();
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
  await prepareAccessLogPartitions(db);
  startThrottlePurge(async () => db);
  startIdempotencyPurge(db);
  startPreviousSecretRetirement(db);
  const redis = connectRedis();
  startWebhookDelivery(db);
  startReminderWorkers(db);
  const port = env().PORT;
  const lines = [
    `Latchkey: database ${kind === "pglite" ? "embedded (PGlite)" : "PostgreSQL"} at ${location}; migrations applied.`,
    secret === "generated" ? "Latchkey: generated AUTH_SECRET into .env.local." : null,
    seeded ? "Latchkey: created demo data (workspaces acme and globex)." : null,
    wantDemo || seeded ? `Latchkey: demo sign-in: ${DEMO_USERS.map((u) => u.email).join(", ")}; password "${DEMO_PASSWORD}".` : null,
    demo.exposed
      ? `Latchkey: ${demo.emails.length} demo account(s) still use the published password, so npm start answers only this machine (others get 403) until their passwords are changed.`
      : null,
    redis
      ? `Latchkey: per-key rate limits and quotas counted in Redis at ${redis}, shared by every instance.`
      : "Latchkey: per-key rate limits counted in this process (set LATCHKEY_REDIS_URL to share them between instances).",
    env().LATCHKEY_TEST_CLOCK_FILE ? `Latchkey: TEST CLOCK: the time is moved by the seconds in ${env().LATCHKEY_TEST_CLOCK_FILE}.` : null,
    `Latchkey: open http://localhost:${port}/login`,
  ];
  for (const l of lines) if (l) console.log(l);
}

function handleShutdown(): void {
  // What a graceful stop must do before the process goes: write the buffered access-log entries, last-used times and quota use,
  // waiting at most SHUTDOWN_FLUSH_MS. The production server (scripts/server.mjs) first stops
  // accepting and lets the requests in flight finish, then calls this; under a plain `next start`
  // nothing else handles the signal, so it is handled here.
  const g = globalThis as unknown as { __latchkeyShutdown?: () => Promise<void>; __latchkeyOwnsSignals?: boolean };
  g.__latchkeyShutdown = async () => {
    const timeout = new Promise((resolve) => setTimeout(resolve, SHUTDOWN_FLUSH_MS).unref());
    await Promise.race([Promise.all([flushAccessLogs(), flushKeyUse(), flushPreviousSecretUse(), flushQuotaUse()]), timeout]);
  };
  if (!g.__latchkeyOwnsSignals)
    for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => void g.__latchkeyShutdown!().finally(() => process.exit(0)));
}

const SHUTDOWN_FLUSH_MS = 10_000;

/** Idempotency records of every credential past their 24 hours, every 10 minutes (once per process). */
function startIdempotencyPurge(db: Db): void {
  const g = globalThis as unknown as { __latchkeyIdempotencyPurge?: NodeJS.Timeout };
  g.__latchkeyIdempotencyPurge ??= setInterval(
    () => void purgeIdempotencyKeys(db).catch(() => console.error("[idempotency] purging old records failed")),
    10 * 60_000,
  ).unref();
}

/**
 * Marks rotated-out secrets retired once due, every 15 seconds (once per process), so the console
 * shows when and why. Verification refuses them by itself; several instances running this at
 * once retire each secret once (the update's own condition).
 */
function startPreviousSecretRetirement(db: Db): void {
  const g = globalThis as unknown as { __latchkeyPreviousSecretRetirement?: NodeJS.Timeout };
  g.__latchkeyPreviousSecretRetirement ??= setInterval(
    () =>
      void flushPreviousSecretUse()
        .then(() => retireDuePreviousSecrets(db))
        .catch(() => console.error("[rotation] retiring old secrets failed")),
    15_000,
  ).unref();
}
