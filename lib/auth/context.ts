import { and, eq, isNull } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { memberships, users, workspaces, type Role, type Workspace } from "@/db/schema";
import { AppError, forbidden, notFound } from "@/lib/errors";
import { can, type Permission, type Principal } from "./permissions";

/** Who is acting, in which workspace, from where: what every core function takes. */
export interface WorkspaceContext extends Principal {
  /** The acting user (a key's owner when called through the API); null for a service key. */
  userId: string | null;
  /** The key used, when the call came through the REST API. */
  apiKeyId: string | null;
  /** That key's scopes; null for a signed-in person (not limited by scopes). */
  scopes: readonly string[] | null;
  /**
   * The person answerable for the action: the signed-in user, or the person who made the key
   * used (who may differ from the key's owner, `userId`). Recorded as the creator of anything
   * made through a key.
   */
  humanId: string | null;
  workspace: Workspace;
  ip: string | null;
  userAgent: string | null;
  /**
   * The IP rules of the key used, when the call came through the REST API: whatever it creates
   * or whose rules it changes must be at least as strict, so a restricted key cannot mint or
   * loosen its way out of its own restriction.
   */
  keyIpRules?: { allow: readonly string[]; deny: readonly string[] };
  /** The key used has a rate limit or a quota: it may not mint credentials or change limits (assertNotLimitedCaller). */
  keyLimited?: boolean;
  /** The call came with a secret a rotation replaced (still in its overlap): it may not rotate. */
  viaPreviousSecret?: boolean;
}

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  isGlobalAdmin: boolean;
}

/** A live user by id: deleted and disabled users are nobody. */
export async function loadSessionUser(db: DbOrTx, userId: string): Promise<SessionUser | null> {
  const user = await loadLiveUser(db, userId);
  if (!user) return null;
  const { mustChangePassword: _m, sessionsValidAfter: _s, ...rest } = user;
  return rest;
}

/** What the signed session cookie says: who, and when they typed their password. */
export interface SessionClaims {
  userId: string;
  /** Milliseconds; null for a session issued before the claim existed. */
  signedInAt: number | null;
}

export interface SignedInUser extends SessionUser {
  mustChangePassword: boolean;
}

/**
 * The user a session cookie stands for, or null when that session no longer counts: the user
 * was deleted or disabled, or signed out everywhere / changed their password after this
 * session began. Read fresh on every request so a cut-off takes effect on the next one.
 */
export async function loadSessionUserForClaims(db: DbOrTx, claims: SessionClaims): Promise<SignedInUser | null> {
  const user = await loadLiveUser(db, claims.userId);
  if (!user) return null;
  // A session without the claim predates any cut-off bookkeeping: it counts only while no cut-off exists.
  if (user.sessionsValidAfter && (claims.signedInAt === null || user.sessionsValidAfter.getTime() > claims.signedInAt)) return null;
  const { sessionsValidAfter: _s, ...rest } = user;
  return rest;
}

async function loadLiveUser(db: DbOrTx, userId: string) {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(userId)) return null;
  const [user] = await db
    .select({
      id: users.id,
      email: users.email,
      name: users.name,
      isGlobalAdmin: users.isGlobalAdmin,
      mustChangePassword: users.mustChangePassword,
      sessionsValidAfter: users.sessionsValidAfter,
    })
    .from(users)
    .where(and(eq(users.id, userId), isNull(users.deletedAt), isNull(users.disabledAt)))
    .limit(1);
  return user ?? null;
}

/**
 * The user's standing in a workspace, read fresh from the database on every call so that a
 * demotion or removal takes effect on the very next request. A workspace the user may not
 * see is "not found", never "forbidden": its existence is not revealed.
 */
export async function resolveWorkspaceContext(
  db: DbOrTx,
  opts: { user: SessionUser; slug: string; ip?: string | null; userAgent?: string | null },
): Promise<WorkspaceContext> {
  const [row] = await db
    .select({ workspace: workspaces, role: memberships.role, canManageApiKeys: memberships.canManageApiKeys })
    .from(workspaces)
    .leftJoin(memberships, and(eq(memberships.workspaceId, workspaces.id), eq(memberships.userId, opts.user.id)))
    .where(eq(workspaces.slug, opts.slug))
    .limit(1);
  if (!row || (!row.role && !opts.user.isGlobalAdmin)) throw notFound("Workspace not found.");
  return {
    userId: opts.user.id,
    apiKeyId: null,
    scopes: null,
    humanId: opts.user.id,
    isGlobalAdmin: opts.user.isGlobalAdmin,
    role: (row.role as Role | null) ?? null,
    canManageApiKeys: row.canManageApiKeys ?? false,
    workspace: row.workspace,
    ip: opts.ip ?? null,
    userAgent: opts.userAgent ?? null,
  };
}

export function assertCan(ctx: Principal, permission: Permission, message: string): void {
  if (!can(ctx, permission)) throw forbidden(message);
}

export function requireUser(ctx: WorkspaceContext): string {
  if (!ctx.userId) throw new AppError("forbidden", "This action needs a user; a workspace service key has none.");
  return ctx.userId;
}
