import "server-only";
import { and, asc, eq, inArray, lt, lte, ne } from "drizzle-orm";
import type { Db } from "@/db";
import { webhookDeliveries, webhookEndpoints, type WebhookDelivery } from "@/db/schema";
import { now } from "@/lib/clock";
import { decryptSecret } from "./secret-box";
import { signWebhook } from "./sign";

// The outbox's sender. Due deliveries are claimed in one statement (FOR UPDATE SKIP LOCKED, then
// pushed a lease into the future) and sent after it commits, so no connection or lock is held
// while a receiver takes its time, and several instances running this at once never send one
// delivery twice at once. A process that dies mid-send leaves its claim to expire: the delivery is
// sent again (Standard Webhooks is at-least-once; the unchanged webhook-id lets receivers deduplicate).

const TIMEOUT_MS = 10_000;
/** Longer than a send can take, so a claim never expires while its send is still running. */
const LEASE_MS = 60_000;
/** After the nth failed attempt, wait the nth of these (the last repeats): the spec's suggested schedule. */
const BACKOFF_MS = [5_000, 5 * 60_000, 30 * 60_000, 2 * 3600_000, 5 * 3600_000, 10 * 3600_000];
/** Past this age a delivery that still fails is given up on. */
const GIVE_UP_AFTER_MS = 24 * 3600_000;
const BATCH = 20;

export interface DeliveryRun {
  attempted: number;
  delivered: number;
  retrying: number;
  failed: number;
}

/** Claims the deliveries due now and sends them. One call sends each claimed delivery once. */
export async function deliverDueWebhooks(db: Db, limit = BATCH): Promise<DeliveryRun> {
  const claimed = await claimDue(db, limit);
  const run: DeliveryRun = { attempted: claimed.length, delivered: 0, retrying: 0, failed: 0 };
  if (claimed.length === 0) return run;
  const endpointIds = [...new Set(claimed.map((d) => d.endpointId))];
  const endpoints = await db
    .select({
      id: webhookEndpoints.id,
      url: webhookEndpoints.url,
      enabled: webhookEndpoints.enabled,
      secretEncrypted: webhookEndpoints.secretEncrypted,
    })
    .from(webhookEndpoints)
    .where(inArray(webhookEndpoints.id, endpointIds));
  const byId = new Map(endpoints.map((e) => [e.id, e]));
  await Promise.all(
    claimed.map(async (d) => {
      const endpoint = byId.get(d.endpointId);
      // Deleted endpoints take their deliveries with them (cascade); a disabled one sends nothing more.
      const outcome: Outcome = !endpoint
        ? { ok: false, status: null, error: "Endpoint deleted" }
        : !endpoint.enabled
          ? { ok: false, status: null, error: "Endpoint disabled", final: true }
          : await send(endpoint, d);
      run[await record(db, d, outcome)]++;
    }),
  );
  return run;
}

/**
 * One statement, not a transaction: it is atomic by itself, and a db.transaction every second
 * would make every instance's verification cache resynchronise every second (db/index.ts
 * onTransactionEnd), even with nothing to send.
 */
async function claimDue(db: Db, limit: number): Promise<WebhookDelivery[]> {
  const at = now();
  const due = db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.status, "pending"), lte(webhookDeliveries.nextAttemptAt, at)))
    .orderBy(asc(webhookDeliveries.nextAttemptAt))
    .limit(limit)
    .for("update", { skipLocked: true });
  return db
    .update(webhookDeliveries)
    .set({ nextAttemptAt: new Date(at.getTime() + LEASE_MS), lastAttemptAt: at })
    .where(inArray(webhookDeliveries.id, due))
    .returning();
}

interface Outcome {
  ok: boolean;
  status: number | null;
  error: string | null;
  /** No retry can succeed (the endpoint was switched off). */
  final?: boolean;
}

async function send(endpoint: { url: string; secretEncrypted: string }, d: WebhookDelivery): Promise<Outcome> {
  let secret: string;
  try {
    secret = decryptSecret(endpoint.secretEncrypted);
  } catch {
    return { ok: false, status: null, error: "Signing secret unreadable (AUTH_SECRET changed?): rotate the secret" };
  }
  const body = JSON.stringify(d.payload);
  const timestamp = Math.floor(now().getTime() / 1000);
  try {
    const res = await fetch(endpoint.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "Latchkey-Webhooks/1",
        "webhook-id": d.messageId,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signWebhook(secret, d.messageId, timestamp, body),
      },
      body,
      // A redirect is not followed: the receiver is the URL the admin entered, nothing else.
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await res.body?.cancel().catch(() => {});
    const ok = res.status >= 200 && res.status < 300;
    return { ok, status: res.status, error: ok ? null : `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, status: null, error: describeFailure(err) };
  }
}

/** The kind of failure only: never the URL (it may carry a token) nor anything the receiver said. */
function describeFailure(err: unknown): string {
  const e = err as { name?: string; cause?: { code?: unknown } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return `No answer within ${TIMEOUT_MS / 1000} s`;
  const code = typeof e?.cause?.code === "string" ? e.cause.code : null;
  return code ? `Connection failed (${code.slice(0, 40)})` : "Connection failed";
}

/** Writes an attempt's outcome, unless the claim was lost meanwhile (then the newer claim's outcome counts). */
async function record(db: Db, d: WebhookDelivery, o: Outcome): Promise<"delivered" | "retrying" | "failed"> {
  const at = now();
  const attempts = d.attempts + 1;
  const next = new Date(at.getTime() + BACKOFF_MS[Math.min(attempts - 1, BACKOFF_MS.length - 1)]);
  const result = o.ok ? "delivered" : o.final || next.getTime() > d.createdAt.getTime() + GIVE_UP_AFTER_MS ? "failed" : "retrying";
  await db
    .update(webhookDeliveries)
    .set({
      attempts,
      lastStatusCode: o.status,
      lastError: o.error,
      ...(result === "delivered" ? { status: "delivered" as const, deliveredAt: at } : {}),
      ...(result === "failed" ? { status: "failed" as const } : {}),
      ...(result === "retrying" ? { nextAttemptAt: next } : {}),
    })
    .where(and(eq(webhookDeliveries.id, d.id), eq(webhookDeliveries.attempts, d.attempts), eq(webhookDeliveries.status, "pending")));
  return result;
}

/** How long finished (delivered or failed) deliveries stay listed. */
export const DELIVERY_RETENTION_DAYS = 30;
const PURGE_BATCH = 5_000;

/** Deletes finished deliveries older than the retention period, a batch at a time so no statement runs long. Returns how many. */
export async function purgeOldWebhookDeliveries(db: Db, at = now(), days = DELIVERY_RETENTION_DAYS): Promise<number> {
  const cutoff = new Date(at.getTime() - days * 86_400_000);
  let total = 0;
  for (;;) {
    const batch = db
      .select({ id: webhookDeliveries.id })
      .from(webhookDeliveries)
      .where(and(ne(webhookDeliveries.status, "pending"), lt(webhookDeliveries.createdAt, cutoff)))
      .limit(PURGE_BATCH);
    const deleted = await db.delete(webhookDeliveries).where(inArray(webhookDeliveries.id, batch)).returning({ id: webhookDeliveries.id });
    total += deleted.length;
    if (deleted.length < PURGE_BATCH) return total;
  }
}

/** Sends due webhooks every second, one run at a time, and purges old ones every 10 minutes (once per process). */
export function startWebhookDelivery(db: Db): void {
  const g = globalThis as unknown as { __latchkeyWebhookDelivery?: NodeJS.Timeout; __latchkeyWebhookPurge?: NodeJS.Timeout };
  let running = false;
  // Said once per outage, not every second while the database is away.
  let failing = false;
  g.__latchkeyWebhookDelivery ??= setInterval(() => {
    if (running) return;
    running = true;
    void deliverDueWebhooks(db)
      .then(() => (failing = false))
      .catch(() => {
        if (!failing) console.error("[webhooks] sending due deliveries failed; trying again every second");
        failing = true;
      })
      .finally(() => (running = false));
  }, 1_000).unref();
  g.__latchkeyWebhookPurge ??= setInterval(
    () => void purgeOldWebhookDeliveries(db).catch(() => console.error("[webhooks] purging old deliveries failed")),
    10 * 60_000,
  ).unref();
}
