import { and, count, eq, isNull } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { apiKeys, auditEvents, memberships, users } from "@/db/schema";
import type { WorkspaceContext } from "@/lib/auth/context";
import { forbidden, invalid, notFound } from "@/lib/errors";
import { isUuid } from "@/lib/api-keys/core";

// Deleting a user (OpenText PPM): Global Admins only. The user can no longer sign in, leaves
// every workspace, and every key they own — in any workspace — is revoked in the same
// transaction. The row stays (soft delete) so the audit log still names them.

function assertGlobalAdmin(ctx: WorkspaceContext) {
  if (!ctx.isGlobalAdmin) throw forbidden("Only Global Admins can delete users.");
}

/** How many live keys (all workspaces, keys and personal tokens) a deletion would revoke. */
export async function countUserLiveKeys(db: DbOrTx, ctx: WorkspaceContext, userId: string): Promise<number> {
  assertGlobalAdmin(ctx);
  if (!isUuid(userId)) throw notFound("User not found.");
  const [{ n }] = await db.select({ n: count() }).from(apiKeys).where(and(eq(apiKeys.ownerId, userId), isNull(apiKeys.revokedAt)));
  return n;
}

export async function deleteUser(db: Db, ctx: WorkspaceContext, userId: string): Promise<{ name: string; revokedKeys: number }> {
  assertGlobalAdmin(ctx);
  if (!isUuid(userId)) throw notFound("User not found.");
  if (userId === ctx.userId) throw invalid({ userId: ["You cannot delete yourself."] }, "You cannot delete yourself.");
  const now = new Date();
  return db.transaction(async (tx) => {
    const [user] = await tx.select().from(users).where(and(eq(users.id, userId), isNull(users.deletedAt))).for("update");
    if (!user) throw notFound("User not found.");
    if (user.isGlobalAdmin) {
      const [{ n }] = await tx.select({ n: count() }).from(users).where(and(eq(users.isGlobalAdmin, true), isNull(users.deletedAt)));
      if (n <= 1) throw invalid({ userId: ["This is the last Global Admin."] }, "Latchkey needs at least one Global Admin.");
    }
    const revoked = await tx
      .update(apiKeys)
      .set({ revokedAt: now, revokedById: ctx.userId, updatedAt: now })
      .where(and(eq(apiKeys.ownerId, userId), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id, name: apiKeys.name, workspaceId: apiKeys.workspaceId });
    const their = await tx.delete(memberships).where(eq(memberships.userId, userId)).returning({ workspaceId: memberships.workspaceId, role: memberships.role });
    await tx.update(users).set({ deletedAt: now }).where(eq(users.id, userId));
    // One event per affected workspace plus one per revoked key, each in its own workspace.
    const workspaceIds = [...new Set([...their.map((m) => m.workspaceId), ...revoked.map((k) => k.workspaceId)])];
    const base = { actorUserId: ctx.userId, actorApiKeyId: ctx.apiKeyId, ip: ctx.ip, userAgent: ctx.userAgent };
    const rows = [
      ...workspaceIds.map((workspaceId) => ({
        ...base,
        workspaceId,
        action: "user.deleted",
        targetName: user.name,
        metadata: { userId, email: user.email, revokedKeys: revoked.filter((k) => k.workspaceId === workspaceId).length },
      })),
      ...revoked.map((k) => ({
        ...base,
        workspaceId: k.workspaceId,
        action: "api_key.revoked",
        apiKeyId: k.id,
        targetName: k.name,
        changes: { revokedAt: { from: null, to: now } },
        metadata: { via: "user_deleted", userId },
      })),
    ];
    for (let i = 0; i < rows.length; i += 1000) await tx.insert(auditEvents).values(rows.slice(i, i + 1000));
    return { name: user.name, revokedKeys: revoked.length };
  });
}

