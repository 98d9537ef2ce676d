import "server-only";
import type { DbOrTx } from "@/db";
import { auditEvents, type AuditChanges } from "@/db/schema";
import { enqueueWebhooks } from "@/lib/webhooks/outbox";

export const AUDIT_ACTIONS = [
  "api_key.created",
  "api_key.updated",
  "api_key.enabled",
  "api_key.disabled",
  "api_key.bearer_enabled",
  "api_key.bearer_disabled",
  "api_key.revoked",
  "api_key.revoked_all",
  "api_key.rotated",
  "api_key.expiring",
  "api_key.expired",
  "api_key.quota_threshold",
  "personal_token.created",
  "personal_token.deleted",
  "personal_token.deleted_all",
  "workspace.settings_updated",
  "member.role_changed",
  "member.grant_changed",
  "member.added",
  "member.removed",
  "user.deleted",
  "user.created",
  "user.disabled",
  "user.enabled",
  "user.password_changed",
  "user.signed_out_everywhere",
  "user.profile_updated",
  "webhook.created",
  "webhook.updated",
  "webhook.deleted",
  "webhook.secret_rotated",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  action: AuditAction;
  /**
   * The event's workspace when it is not the actor's (deleting a user revokes keys in every
   * workspace); null for an event of no workspace (an account change: the global log lists it).
   */
  workspaceId?: string | null;
  apiKeyId?: string | null;
  targetName?: string | null;
  changes?: AuditChanges | null;
  metadata?: Record<string, unknown> | null;
}

/** Who acted and from where: a workspace context, or a signed-in person outside any workspace. */
export interface AuditActor {
  userId: string | null;
  /** The key the change was made through, over the API. */
  apiKeyId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** The workspace an entry belongs to when it names none. */
  workspace?: { id: string };
}

/**
 * Writes audit events with the caller's transaction, so the record and the change commit together;
 * the webhooks those events send are queued in the same transaction (lib/webhooks/outbox.ts).
 */
export async function recordAudit(tx: DbOrTx, actor: AuditActor, entries: AuditEntry | AuditEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  const workspaceOf = (e: AuditEntry) => (e.workspaceId === undefined ? (actor.workspace?.id ?? null) : e.workspaceId);
  // Batches keep a revoke-all of thousands of keys under the parameter limit of one statement.
  for (let i = 0; i < list.length; i += 1000) {
    await tx.insert(auditEvents).values(
      list.slice(i, i + 1000).map((e) => ({
        workspaceId: workspaceOf(e),
        actorUserId: actor.userId,
        actorApiKeyId: actor.apiKeyId ?? null,
        action: e.action,
        apiKeyId: e.apiKeyId ?? null,
        targetName: e.targetName ?? null,
        changes: e.changes ?? null,
        metadata: e.metadata ?? null,
        ip: actor.ip ?? null,
        userAgent: actor.userAgent ?? null,
      })),
    );
  }
  await enqueueWebhooks(
    tx,
    list.map((e) => ({ ...e, workspaceId: workspaceOf(e) })),
  );
}

/** Before/after of the fields that actually changed. Dates compare by instant. */
export function diffFields<T extends Record<string, unknown>>(before: T, after: Partial<T>): AuditChanges {
  const changes: AuditChanges = {};
  for (const [field, to] of Object.entries(after)) {
    if (to === undefined) continue;
    const from = before[field];
    if (normalise(from) !== normalise(to)) changes[field] = { from: from ?? null, to: to ?? null };
  }
  return changes;
}

function normalise(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v ?? null);
}
