import "server-only";
import type { DbOrTx } from "@/db";
import { sessionClaims } from "@/lib/account/session";
import { loadSessionUserForClaims, type SessionUser } from "@/lib/auth/context";

/** The signed-in user for a route handler, read fresh (deleted, disabled or cut off counts as signed out). */
export async function routeSessionUser(db: DbOrTx): Promise<SessionUser | null> {
  const claims = await sessionClaims();
  const user = claims ? await loadSessionUserForClaims(db, claims) : null;
  // Someone still holding a one-time password gets nothing but the password page.
  return user && !user.mustChangePassword ? user : null;
}

/** What someone who may not see an admin resource gets: the same answer as for no resource at all. */
export function notFoundResponse(): Response {
  return new Response("Not found", { status: 404, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
}
