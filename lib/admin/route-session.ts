import "server-only";
import type { DbOrTx } from "@/db";
import { sessionUserId } from "@/lib/auth";
import { loadSessionUser, type SessionUser } from "@/lib/auth/context";

/** The signed-in user for a route handler, read fresh (a deleted user counts as signed out). */
export async function routeSessionUser(db: DbOrTx): Promise<SessionUser | null> {
  const id = await sessionUserId();
  return id ? loadSessionUser(db, id) : null;
}

/** What someone who may not see an admin resource gets: the same answer as for no resource at all. */
export function notFoundResponse(): Response {
  return new Response("Not found", { status: 404, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
}
