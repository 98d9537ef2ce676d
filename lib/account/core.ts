import { aliasedTable, and, desc, eq, isNull } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { apiKeys, memberships, users, workspaces, type ApiKey } from "@/db/schema";
import { isUuid, parseRevocation, revokeKeysInTx, stateOf, type ApiKeyState } from "@/lib/api-keys/core";
import { hashPassword, verifyPassword } from "@/lib/auth/password";
import {
  ACCOUNT_FREE_FAILURES,
  accountKey,
  clearSignInFailures,
  recordSignInFailure,
  signInBlockedFor,
  throttleMessage,
} from "@/lib/auth/sign-in-throttle";
import { AppError, invalid, notFound } from "@/lib/errors";
import { fieldErrorsOf } from "@/lib/validations/api-keys";
import type { AccountActor } from "./audit";
import { recordAudit } from "@/lib/audit/record";
import { changePasswordSchema, profileSchema, type ChangePasswordInput, type ProfileInput } from "./validation";

// A signed-in person's own account: profile, password, sessions and the keys that act as
// them. Every function acts on the actor's own row only; the caller has checked the session.

export type { AccountActor } from "./audit";

export interface AccountView {
  id: string;
  name: string;
  email: string;
  isGlobalAdmin: boolean;
  createdAt: Date;
  passwordChangedAt: Date | null;
  mustChangePassword: boolean;
}

const ACCOUNT_GONE = "Your account no longer exists. Sign in again.";

async function liveAccount(db: DbOrTx, userId: string) {
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.id, userId), isNull(users.deletedAt), isNull(users.disabledAt)))
    .limit(1);
  if (!row) throw new AppError("unauthenticated", ACCOUNT_GONE);
  return row;
}

export async function getAccount(db: DbOrTx, actor: AccountActor): Promise<AccountView> {
  const u = await liveAccount(db, actor.userId);
  return {
    id: u.id,
    name: u.name,
    email: u.email,
    isGlobalAdmin: u.isGlobalAdmin,
    createdAt: u.createdAt,
    passwordChangedAt: u.passwordChangedAt,
    mustChangePassword: u.mustChangePassword,
  };
}

export async function updateProfile(db: Db, actor: AccountActor, rawInput: ProfileInput | unknown): Promise<{ name: string }> {
  const parsed = profileSchema.safeParse(rawInput ?? {});
  if (!parsed.success) throw invalid(fieldErrorsOf(parsed.error));
  const { name } = parsed.data;
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select({ name: users.name })
      .from(users)
      .where(and(eq(users.id, actor.userId), isNull(users.deletedAt), isNull(users.disabledAt)))
      .for("update");
    if (!before) throw new AppError("unauthenticated", ACCOUNT_GONE);
    if (before.name === name) return { name };
    await tx.update(users).set({ name }).where(eq(users.id, actor.userId));
    await recordAudit(tx, actor, {
      action: "user.profile_updated",
      workspaceId: null,
      targetName: name,
      changes: { name: { from: before.name, to: name } },
      metadata: { userId: actor.userId },
    });
    return { name };
  });
}

/**
 * Replaces the actor's password after checking the current one. Every session that began
 * before `now` stops counting (sessionsValidAfter): the caller signs the current one in again
 * if it should continue. Neither password is ever recorded, only that it changed.
 */
export async function changePassword(
  db: Db,
  actor: AccountActor,
  rawInput: ChangePasswordInput | unknown,
  now = new Date(),
): Promise<{ email: string; changedAt: Date }> {
  const parsed = changePasswordSchema.safeParse(rawInput ?? {});
  if (!parsed.success) throw invalid(fieldErrorsOf(parsed.error));
  const input = parsed.data;
  const current = await liveAccount(db, actor.userId);
  // A stolen session must not become a way to guess the password (and keep the account after
  // "sign out everywhere"): wrong guesses here count against the same per-account budget as
  // the login form's.
  const throttleKey = accountKey(current.email);
  const wait = await signInBlockedFor(db, [throttleKey]);
  if (wait > 0) throw new AppError("rate_limited", throttleMessage(wait));
  // scrypt runs outside the transaction (it takes a while); the update below only lands if
  // the hash it checked is still the one stored.
  if (!(await verifyPassword(input.currentPassword, current.passwordHash))) {
    await recordSignInFailure(db, [{ key: throttleKey, free: ACCOUNT_FREE_FAILURES }]);
    throw invalid({ currentPassword: ["That is not your current password."] }, "That is not your current password. Nothing was changed.");
  }
  await clearSignInFailures(db, current.email);
  const passwordHash = await hashPassword(input.newPassword);
  return db.transaction(async (tx) => {
    const done = await tx
      .update(users)
      .set({ passwordHash, passwordChangedAt: now, sessionsValidAfter: now, mustChangePassword: false })
      .where(and(eq(users.id, actor.userId), eq(users.passwordHash, current.passwordHash), isNull(users.deletedAt), isNull(users.disabledAt)))
      .returning({ email: users.email });
    if (done.length === 0) throw new AppError("conflict", "Your password was changed somewhere else meanwhile. Nothing was changed here.");
    await recordAudit(tx, actor, {
      action: "user.password_changed",
      workspaceId: null,
      targetName: current.name,
      metadata: { userId: actor.userId, via: "self", wasOneTime: current.mustChangePassword },
    });
    return { email: done[0].email, changedAt: now };
  });
}

/** Ends every session of the actor's, this one included, from their next request. */
export async function signOutEverywhere(db: Db, actor: AccountActor, now = new Date()): Promise<{ at: Date }> {
  return db.transaction(async (tx) => {
    const done = await tx
      .update(users)
      .set({ sessionsValidAfter: now })
      .where(and(eq(users.id, actor.userId), isNull(users.deletedAt)))
      .returning({ name: users.name });
    if (done.length === 0) throw new AppError("unauthenticated", ACCOUNT_GONE);
    await recordAudit(tx, actor, {
      action: "user.signed_out_everywhere",
      workspaceId: null,
      targetName: done[0].name,
      metadata: { userId: actor.userId, via: "self" },
    });
    return { at: now };
  });
}

export interface KeyActingAsRow {
  id: string;
  kind: ApiKey["kind"];
  name: string;
  workspaceSlug: string;
  workspaceName: string;
  prefix: string;
  createdById: string | null;
  createdByName: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  state: ApiKeyState;
  /** false when the actor has left the key's workspace: the key is refused there until they are back. */
  memberOfWorkspace: boolean;
}

const creators = aliasedTable(users, "creators");

/** Every live (not revoked) key and personal token, in any workspace, whose owner is the actor. */
export async function listKeysActingAs(db: DbOrTx, actor: AccountActor, now = new Date()): Promise<KeyActingAsRow[]> {
  const rows = await db
    .select({
      id: apiKeys.id,
      kind: apiKeys.kind,
      name: apiKeys.name,
      workspaceSlug: workspaces.slug,
      workspaceName: workspaces.name,
      prefix: apiKeys.prefix,
      createdById: apiKeys.createdById,
      createdByName: creators.name,
      createdAt: apiKeys.createdAt,
      lastUsedAt: apiKeys.lastUsedAt,
      expiresAt: apiKeys.expiresAt,
      enabled: apiKeys.enabled,
      revokedAt: apiKeys.revokedAt,
      membershipId: memberships.id,
    })
    .from(apiKeys)
    .innerJoin(workspaces, eq(workspaces.id, apiKeys.workspaceId))
    .leftJoin(creators, eq(creators.id, apiKeys.createdById))
    .leftJoin(memberships, and(eq(memberships.workspaceId, apiKeys.workspaceId), eq(memberships.userId, actor.userId)))
    .where(and(eq(apiKeys.ownerId, actor.userId), isNull(apiKeys.revokedAt)))
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
    .limit(1000);
  return rows.map(({ enabled, revokedAt, membershipId, ...r }) => ({
    ...r,
    state: stateOf({ enabled, revokedAt, expiresAt: r.expiresAt }, now),
    memberOfWorkspace: membershipId !== null,
  }));
}

/**
 * The owner revokes a key that acts as them, in whichever workspace it lives. A key owned by
 * anyone else is "not found", whatever the actor's role: this is the owner's door only.
 */
export async function revokeKeyActingAsMe(
  db: Db,
  actor: AccountActor,
  keyId: unknown,
  rawRevocation?: unknown,
): Promise<{ id: string; name: string }> {
  const revocation = parseRevocation(rawRevocation);
  if (!isUuid(keyId)) throw notFound("Key not found.");
  return db.transaction(async (tx) => {
    // Only a live key that acts as the actor; locked, so of two revokes the second finds none.
    const mine = and(eq(apiKeys.id, keyId), eq(apiKeys.ownerId, actor.userId), isNull(apiKeys.revokedAt));
    const [row] = await tx.select({ kind: apiKeys.kind }).from(apiKeys).where(mine).for("update");
    if (!row) throw notFound("Key not found.");
    const [revoked] = await revokeKeysInTx(tx, actor, mine, { metadata: { via: "owner", kind: row.kind }, revocation });
    return { id: revoked.id, name: revoked.name };
  });
}
