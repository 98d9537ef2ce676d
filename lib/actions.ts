import "server-only";
import { headers } from "next/headers";
import { getDb, type Db } from "@/db";
import { sessionClaims } from "@/lib/account/session";
import { loadSessionUserForClaims, resolveWorkspaceContext, type SignedInUser, type WorkspaceContext } from "@/lib/auth/context";
import { AppError, DATABASE_UNAVAILABLE, INTERNAL_ERROR_MESSAGE, isConnectionFailure, type FieldErrors } from "@/lib/errors";
import { clientAddressFrom } from "@/lib/net/client-address";

export type ActionResult<T = undefined> =
  | { ok: true; data: T }
  | { ok: false; error: string; fieldErrors?: FieldErrors };

export async function requestMeta(): Promise<{ ip: string | null; userAgent: string | null }> {
  const h = await headers();
  // The same rule as the REST API and sign-in: the socket, or the entry a trusted proxy appended.
  const ip = clientAddressFrom(h);
  return { ip, userAgent: h.get("user-agent")?.slice(0, 512) ?? null };
}

/** Turns anything thrown into an ActionResult; never lets an exception (or its details) reach the client. */
export function toActionError(err: unknown): { ok: false; error: string; fieldErrors?: FieldErrors } {
  if (err instanceof AppError) return { ok: false, error: err.message, fieldErrors: err.fieldErrors };
  // A read outside any transaction that could not reach the database changed nothing.
  if (isConnectionFailure(err)) return { ok: false, error: DATABASE_UNAVAILABLE };
  // Log the kind of failure only: driver messages can carry query parameters.
  console.error(`[action] unexpected ${(err as Error)?.name ?? "error"}: ${(err as { code?: string })?.code ?? ""}`);
  return { ok: false, error: INTERNAL_ERROR_MESSAGE };
}

/**
 * The session's user, refused when the session no longer counts (deleted, disabled, cut off)
 * or, unless `passwordChangeAllowed`, while they still have to replace a one-time password.
 */
export async function requireSessionUser(db: Db, opts: { passwordChangeAllowed?: boolean } = {}): Promise<SignedInUser> {
  const claims = await sessionClaims();
  const user = claims ? await loadSessionUserForClaims(db, claims) : null;
  if (!user) throw new AppError("unauthenticated", "Your session has ended. Sign in again.");
  if (user.mustChangePassword && !opts.passwordChangeAllowed) throw new AppError("forbidden", "Choose a new password on your account page first.");
  return user;
}

/**
 * The one wrapper every workspace server action goes through: session → membership → (the core
 * function checks permission and input). Anyone can POST to a server action; this is the gate.
 */
export async function workspaceAction<T>(
  slug: unknown,
  run: (ctx: WorkspaceContext, db: Db) => Promise<T>,
): Promise<ActionResult<T>> {
  try {
    const db = await getDb();
    const user = await requireSessionUser(db);
    if (typeof slug !== "string") throw new AppError("not_found", "Workspace not found.");
    const ctx = await resolveWorkspaceContext(db, { user, slug, ...(await requestMeta()) });
    return { ok: true, data: await run(ctx, db) };
  } catch (err) {
    return toActionError(err);
  }
}
