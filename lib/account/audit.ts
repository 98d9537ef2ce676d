import type { DbOrTx } from "@/db";
import { auditEvents } from "@/db/schema";
import type { AuditAction } from "@/lib/audit/record";

/** Who did something to an account, and from where (a signed-in user, never a key). */
export interface AccountActor {
  userId: string;
  isGlobalAdmin: boolean;
  ip?: string | null;
  userAgent?: string | null;
}

export interface AccountAuditEntry {
  action: AuditAction;
  /** null: the event belongs to no workspace (an account change); the global audit log lists it. */
  workspaceId: string | null;
  apiKeyId?: string | null;
  targetName?: string | null;
  changes?: Record<string, { from: unknown; to: unknown }> | null;
  metadata?: Record<string, unknown> | null;
}

/**
 * Writes account audit events with the caller's transaction. recordAudit needs a workspace
 * context; account events may have no workspace, and a key revoked by its owner is recorded
 * in the key's own workspace.
 */
export async function recordAccountAudit(tx: DbOrTx, actor: AccountActor, entries: AccountAuditEntry | AccountAuditEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  for (let i = 0; i < list.length; i += 1000) {
    await tx.insert(auditEvents).values(
      list.slice(i, i + 1000).map((e) => ({
        workspaceId: e.workspaceId,
        actorUserId: actor.userId,
        actorApiKeyId: null,
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
}
