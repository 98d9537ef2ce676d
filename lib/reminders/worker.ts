import "server-only";
import type { Db } from "@/db";
import { deliverDueEmails, purgeSentEmails } from "@/lib/email/outbox";
import { emailEnabled } from "@/lib/email/send";
import { env } from "@/lib/env";
import { sendDueReminders } from "./run";

/** How often this process looks for due reminders; each is sent once whichever instance finds it first. */
const REMINDER_EVERY_MS = 60_000;
/** How often queued email is sent: soon after the reminder, and a retry close to its backoff's end. */
const EMAIL_EVERY_MS = 15_000;
const PURGE_EVERY_MS = 60 * 60_000;

/**
 * Starts the reminder and email workers, once per process (Next may load this module more than
 * once). A round still running when the next is due is not started twice; a failed round is
 * logged by kind only (a driver's message can carry query parameters) and tried again next time.
 */
export function startReminderWorkers(db: Db): void {
  const g = globalThis as unknown as { __latchkeyReminderWorkers?: NodeJS.Timeout[] };
  if (g.__latchkeyReminderWorkers) return;
  // End-to-end specs move the clock past a reminder day and cannot wait a minute for the next round.
  const testInterval = env().LATCHKEY_TEST_WORKER_INTERVAL_MS;
  if (testInterval) console.log(`Latchkey: TEST WORKER INTERVAL: reminders and email every ${testInterval} ms.`);
  g.__latchkeyReminderWorkers = [
    every(testInterval ?? REMINDER_EVERY_MS, "reminders", () => sendDueReminders(db)),
    every(testInterval ?? EMAIL_EVERY_MS, "email", async () => {
      if (emailEnabled()) await deliverDueEmails(db);
    }),
    every(PURGE_EVERY_MS, "email purge", () => purgeSentEmails(db)),
  ];
}

function every(ms: number, what: string, run: () => Promise<unknown>): NodeJS.Timeout {
  let running = false;
  return setInterval(() => {
    if (running) return;
    running = true;
    run()
      .catch((err: unknown) => console.error(`[${what}] round failed: ${(err as Error)?.name ?? "error"} ${(err as { code?: string })?.code ?? ""}`))
      .finally(() => {
        running = false;
      });
  }, ms).unref();
}
