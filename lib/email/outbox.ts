import "server-only";
import { sql } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { emailOutbox } from "@/db/schema";
import { now as clockNow } from "@/lib/clock";
import { describeSendFailure, emailEnabled, sendEmail, type EmailMessage } from "./send";

// Email goes out through a table written in the transaction of what it tells about, so an email
// is sent only for what committed and is not lost when the mail server is down. Each instance's
// worker claims due rows with SKIP LOCKED and a lease (next_attempt_at moved ahead), commits the
// claim, then sends: no transaction stays open while a mail server answers, and a process that
// dies mid-send leaves the row to be tried again when the lease ends (at least once, never lost).

/** Attempts before a message is given up on (status "failed", kept for the operator). */
export const MAX_EMAIL_ATTEMPTS = 8;
/** How long a claimed message is left to the instance sending it before another may try. */
const LEASE_MS = 5 * 60_000;

/** The wait before attempt `attempts + 1`: 1 min, 2, 4, … capped at 6 hours. */
export function emailBackoffMs(attempts: number): number {
  return Math.min(60_000 * 2 ** Math.max(0, attempts - 1), 6 * 60 * 60_000);
}

/**
 * Queues emails with the caller's transaction, due at `now` (the clock the caller judged by, so a
 * test's moved clock and the worker's agree); nothing is queued when email is not configured.
 */
export async function queueEmails(tx: DbOrTx, messages: EmailMessage[], now = clockNow()): Promise<void> {
  if (!emailEnabled() || messages.length === 0) return;
  await tx.insert(emailOutbox).values(messages.map((m) => ({ to: m.to, subject: m.subject, text: m.text, createdAt: now, nextAttemptAt: now })));
}

type Claimed = { id: string; to: string; subject: string; text: string; attempts: number };

function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;
}

/**
 * Sends due queued emails, `batch` at a time until none is due. Returns how many were sent.
 * `send` is replaceable for tests of the retry path.
 */
export async function deliverDueEmails(
  db: Db,
  opts: { now?: () => Date; batch?: number; send?: (m: EmailMessage) => Promise<void> } = {},
): Promise<{ sent: number; failed: number }> {
  const nowOf = opts.now ?? clockNow;
  const send = opts.send ?? sendEmail;
  const batch = opts.batch ?? 20;
  let sent = 0;
  let failed = 0;
  for (;;) {
    const at = nowOf();
    const claimed = rowsOf<Claimed>(
      await db.execute(sql`
        update ${emailOutbox} set attempts = attempts + 1, next_attempt_at = ${new Date(at.getTime() + LEASE_MS).toISOString()}::timestamptz
        where id in (
          select id from ${emailOutbox}
          where status = 'pending' and next_attempt_at <= ${at.toISOString()}::timestamptz
          order by next_attempt_at limit ${batch}
          for update skip locked
        )
        returning id, "to", subject, text, attempts`),
    );
    if (claimed.length === 0) return { sent, failed };
    for (const row of claimed) {
      try {
        await send({ to: row.to, subject: row.subject, text: row.text });
        await db.execute(
          sql`update ${emailOutbox} set status = 'sent', sent_at = ${nowOf().toISOString()}::timestamptz, last_error = null where id = ${row.id}`,
        );
        sent++;
      } catch (err) {
        failed++;
        const giveUp = row.attempts >= MAX_EMAIL_ATTEMPTS;
        const next = new Date(nowOf().getTime() + emailBackoffMs(row.attempts));
        await db.execute(sql`
          update ${emailOutbox} set status = ${giveUp ? "failed" : "pending"}, next_attempt_at = ${next.toISOString()}::timestamptz,
            last_error = ${describeSendFailure(err)}
          where id = ${row.id}`);
      }
    }
    if (claimed.length < batch) return { sent, failed };
  }
}

/** How long a sent message is kept (for an operator asking "was it sent?"). Failed ones stay until someone looks. */
const KEEP_SENT_DAYS = 7;

/** Deletes sent messages older than a week, 1000 at a time; returns how many. */
export async function purgeSentEmails(db: Db, now = clockNow()): Promise<number> {
  const before = new Date(now.getTime() - KEEP_SENT_DAYS * 86_400_000).toISOString();
  let purged = 0;
  for (;;) {
    const rows = rowsOf<{ id: string }>(
      await db.execute(sql`
        delete from ${emailOutbox} where id in (
          select id from ${emailOutbox} where status = 'sent' and sent_at < ${before}::timestamptz limit 1000
        ) returning id`),
    );
    purged += rows.length;
    if (rows.length < 1000) return purged;
  }
}
