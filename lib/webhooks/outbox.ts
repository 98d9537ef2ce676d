import { randomBytes } from "node:crypto";
import { and, arrayOverlaps, eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { apiKeys, webhookDeliveries, webhookEndpoints } from "@/db/schema";
import { now } from "@/lib/clock";
import { webhookEventFor, type WebhookEventType } from "./events";

// The outbox's writer. recordAudit calls it with the audit entries it writes, in the same
// transaction: a change that rolls back leaves no delivery, and one that commits cannot lose its
// webhooks to a crash between the two.

export interface OutboxEvent {
  action: string;
  workspaceId: string | null;
  apiKeyId?: string | null;
  targetName?: string | null;
  changes?: Record<string, { from: unknown; to: unknown }> | null;
  metadata?: Record<string, unknown> | null;
}

/** A Standard Webhooks message id: the same on every retry of one delivery. */
export function newMessageId(): string {
  return `msg_${randomBytes(16).toString("base64url")}`;
}

// Metadata is written by Latchkey's own code and holds no secret today; a payload leaves the
// system, so anything named like one is dropped all the same rather than trusted to stay so.
const SECRET_LIKE = /secret|hash|password|token/i;

function safeMetadata(metadata: Record<string, unknown> | null | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(metadata ?? {}).filter(([k]) => !SECRET_LIKE.test(k) && k !== "workspaceId" && k !== "apiKey"));
}

export function webhookPayload(type: WebhookEventType, data: Record<string, unknown>, at = now()): Record<string, unknown> {
  return { type, timestamp: at.toISOString(), data };
}

const BATCH = 1000;

/** Queues a delivery per enabled, subscribed endpoint of each event's workspace. One endpoint query per call. */
export async function enqueueWebhooks(tx: DbOrTx, events: OutboxEvent[]): Promise<void> {
  const typed = events
    .map((e) => ({ e, type: webhookEventFor(e.action, e.metadata), workspaceId: e.workspaceId }))
    .filter((x): x is { e: OutboxEvent; type: WebhookEventType; workspaceId: string } => x.type !== null && !!x.workspaceId);
  if (typed.length === 0) return;
  const workspaceIds = [...new Set(typed.map((x) => x.workspaceId))];
  const types = [...new Set(typed.map((x) => x.type))];
  const endpoints = await tx
    .select({ id: webhookEndpoints.id, workspaceId: webhookEndpoints.workspaceId, events: webhookEndpoints.events })
    .from(webhookEndpoints)
    .where(
      and(eq(webhookEndpoints.enabled, true), inArray(webhookEndpoints.workspaceId, workspaceIds), arrayOverlaps(webhookEndpoints.events, types)),
    );
  if (endpoints.length === 0) return;

  const keyIds = [...new Set(typed.map((x) => x.e.apiKeyId).filter((id): id is string => !!id))];
  const prefixes = new Map<string, string>();
  for (let i = 0; i < keyIds.length; i += BATCH) {
    const rows = await tx
      .select({ id: apiKeys.id, prefix: apiKeys.prefix })
      .from(apiKeys)
      .where(inArray(apiKeys.id, keyIds.slice(i, i + BATCH)));
    for (const r of rows) prefixes.set(r.id, r.prefix);
  }

  const at = now();
  const rows: (typeof webhookDeliveries.$inferInsert)[] = [];
  for (const { e, type, workspaceId } of typed) {
    const targets = endpoints.filter((ep) => ep.workspaceId === workspaceId && ep.events.includes(type));
    if (targets.length === 0) continue;
    const extra: Record<string, unknown> = {};
    // A revocation's reason is kept in the audit entry's changes; a receiver wants it too.
    if ((type === "api_key.revoked" || type === "api_key.leaked") && e.changes?.revokedReason) extra.reason = e.changes.revokedReason.to;
    const data = {
      workspaceId,
      ...(e.apiKeyId ? { apiKey: { id: e.apiKeyId, name: e.targetName ?? null, prefix: prefixes.get(e.apiKeyId) ?? null } } : {}),
      ...safeMetadata(e.metadata),
      ...extra,
    };
    const payload = webhookPayload(type, data, at);
    for (const ep of targets)
      rows.push({ endpointId: ep.id, workspaceId, eventType: type, messageId: newMessageId(), payload, nextAttemptAt: at, createdAt: at });
  }
  for (let i = 0; i < rows.length; i += BATCH) await tx.insert(webhookDeliveries).values(rows.slice(i, i + BATCH));
}
