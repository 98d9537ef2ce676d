import "server-only";
import { cache } from "react";
import { notFound, redirect } from "next/navigation";
import { and, asc, eq } from "drizzle-orm";
import { getDb } from "@/db";
import { memberships, workspaces, type Role } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { requestMeta } from "@/lib/actions";
import { sessionClaims } from "@/lib/account/session";
import { loadSessionUserForClaims, resolveWorkspaceContext, type SignedInUser, type WorkspaceContext } from "./context";

/** The request's session cookie and the user it still stands for (null when it no longer counts). */
const currentSession = cache(async () => {
  const claims = await sessionClaims();
  return { hasCookie: claims !== null, user: claims ? await loadSessionUserForClaims(await getDb(), claims) : null };
});

/** The signed-in user as the database knows them now (deleted, disabled or cut off counts as signed out). */
export const getCurrentUser = cache(async (): Promise<SignedInUser | null> => (await currentSession()).user);

/** Where a request whose session no longer counts is sent: the login page, saying why when it had one. */
const SESSION_ENDED_LOGIN = "/login?reason=session_ended";
const PASSWORD_CHANGE_PATH = "/account/password";

/**
 * For pages. A user who must replace a one-time password is sent to the password page from
 * every page but the ones that let them do it (`passwordChangeAllowed`). Pages, not the
 * console layout, decide: a layout does not know its path and is not re-rendered on a
 * client-side navigation, so only a page-level check holds on every navigation.
 */
export async function requireCurrentUser(opts: { passwordChangeAllowed?: boolean } = {}): Promise<SignedInUser> {
  const { hasCookie, user } = await currentSession();
  if (!user) redirect(hasCookie ? SESSION_ENDED_LOGIN : "/login");
  if (user.mustChangePassword && !opts.passwordChangeAllowed) redirect(PASSWORD_CHANGE_PATH);
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
  // The console frame lists these on the password page too; the workspace pages themselves redirect.
  const user = await requireCurrentUser({ passwordChangeAllowed: true });
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
