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
  workspace: Workspace;
  ip: string | null;
  userAgent: string | null;
}

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  isGlobalAdmin: boolean;
}

export async function loadSessionUser(db: DbOrTx, userId: string): Promise<SessionUser | null> {
  const [user] = await db
    .select({ id: users.id, email: users.email, name: users.name, isGlobalAdmin: users.isGlobalAdmin })
    .from(users)
    .where(and(eq(users.id, userId), isNull(users.deletedAt)))
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
