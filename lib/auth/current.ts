import "server-only";
import { cache } from "react";
import { notFound, redirect } from "next/navigation";
import { and, asc, eq } from "drizzle-orm";
import { getDb } from "@/db";
import { memberships, workspaces, type Role } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { requestMeta } from "@/lib/actions";
import { sessionUserId } from "./index";
import { loadSessionUser, resolveWorkspaceContext, type SessionUser, type WorkspaceContext } from "./context";

/** The signed-in user as the database knows them now (a deleted user counts as signed out). */
export const getCurrentUser = cache(async (): Promise<SessionUser | null> => {
  const id = await sessionUserId();
  return id ? loadSessionUser(await getDb(), id) : null;
});

export async function requireCurrentUser(): Promise<SessionUser> {
  const user = await getCurrentUser();
  if (!user) redirect("/login");
  return user;
}

/** For pages: the workspace context, or the 404 page when the user may not see the workspace. */
export const getPageWorkspaceContext = cache(async (slug: string): Promise<WorkspaceContext> => {
  const user = await requireCurrentUser();
  try {
    return await resolveWorkspaceContext(await getDb(), { user, slug, ...(await requestMeta()) });
  } catch (err) {
    if (err instanceof AppError && err.code === "not_found") notFound();
    throw err;
  }
});

export interface WorkspaceSummary {
  slug: string;
  name: string;
  role: Role | null;
}

/** Workspaces the user belongs to; a Global Admin sees every workspace. */
export const listMyWorkspaces = cache(async (): Promise<WorkspaceSummary[]> => {
  const user = await requireCurrentUser();
  const db = await getDb();
  if (user.isGlobalAdmin) {
    return db
      .select({ slug: workspaces.slug, name: workspaces.name, role: memberships.role })
      .from(workspaces)
      .leftJoin(memberships, and(eq(memberships.workspaceId, workspaces.id), eq(memberships.userId, user.id)))
      .orderBy(asc(workspaces.name));
  }
  return db
    .select({ slug: workspaces.slug, name: workspaces.name, role: memberships.role })
    .from(memberships)
    .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
    .where(eq(memberships.userId, user.id))
    .orderBy(asc(workspaces.name));
});
