import { and, count, eq, isNull } from "drizzle-orm";
import type { Db, DbOrTx, Tx } from "@/db";
import { apiKeys, memberships, users } from "@/db/schema";
import type { WorkspaceContext } from "@/lib/auth/context";
import { recordAudit } from "@/lib/audit/record";
import { forbidden, invalid, notFound } from "@/lib/errors";
import { isUuid, revokeKeysInTx } from "@/lib/api-keys/core";

// Deleting a user (OpenText PPM): Global Admins only. The user can no longer sign in, leaves
// every workspace, and every key they own — in any workspace — is revoked in the same
// transaction, by the same revocation as every other key. The row stays (soft delete) so the
// audit log still names them. Events are placed by workspace id, never the context's workspace:
// Admin > Users calls this with a context that belongs to no workspace.

function assertGlobalAdmin(ctx: WorkspaceContext) {
  if (!ctx.isGlobalAdmin) throw forbidden("Only Global Admins can delete users.");
}

/** How many live keys (all workspaces, keys and personal tokens) a deletion would revoke. */
export async function countUserLiveKeys(db: DbOrTx, ctx: WorkspaceContext, userId: string): Promise<number> {
  assertGlobalAdmin(ctx);
  if (!isUuid(userId)) throw notFound("User not found.");
  const [{ n }] = await db
    .select({ n: count() })
    .from(apiKeys)
    .where(and(eq(apiKeys.ownerId, userId), isNull(apiKeys.revokedAt)));
  return n;
}

export async function deleteUser(db: Db, ctx: WorkspaceContext, userId: string): Promise<{ name: string; revokedKeys: number }> {
  return db.transaction((tx) => deleteUserInTx(tx, ctx, userId));
}

export async function deleteUserInTx(tx: Tx, ctx: WorkspaceContext, userId: string): Promise<{ name: string; revokedKeys: number }> {
  assertGlobalAdmin(ctx);
  if (!isUuid(userId)) throw notFound("User not found.");
  if (userId === ctx.userId) throw invalid({ userId: ["You cannot delete yourself."] }, "You cannot delete yourself.");
  const [user] = await tx
    .select()
    .from(users)
    .where(and(eq(users.id, userId), isNull(users.deletedAt)))
    .for("update");
  if (!user) throw notFound("User not found.");
  if (user.isGlobalAdmin) {
    const [{ n }] = await tx
      .select({ n: count() })
      .from(users)
      .where(and(eq(users.isGlobalAdmin, true), isNull(users.deletedAt)));
    if (n <= 1) throw invalid({ userId: ["This is the last Global Admin."] }, "Latchkey needs at least one Global Admin.");
  }
  // A Global Admin may revoke any key anywhere, so one statement covers every workspace. The
  // signed-in Global Admin revokes (Admin > Users' context names no other person).
  const revoked = await revokeKeysInTx(tx, ctx, eq(apiKeys.ownerId, userId), {
    revokedById: ctx.userId,
    metadata: { via: "user_deleted", userId },
    revocation: { reason: "owner_left", text: null },
  });
  const their = await tx.delete(memberships).where(eq(memberships.userId, userId)).returning({ workspaceId: memberships.workspaceId });
  await tx.update(users).set({ deletedAt: new Date() }).where(eq(users.id, userId));
  // One event per affected workspace, besides the one per revoked key.
  const workspaceIds = [...new Set([...their.map((m) => m.workspaceId), ...revoked.map((k) => k.workspaceId)])];
  await recordAudit(
    tx,
    ctx,
    workspaceIds.map((workspaceId) => ({
      action: "user.deleted" as const,
      workspaceId,
      targetName: user.name,
      metadata: { userId, email: user.email, revokedKeys: revoked.filter((k) => k.workspaceId === workspaceId).length },
    })),
  );
  return { name: user.name, revokedKeys: revoked.length };
}
