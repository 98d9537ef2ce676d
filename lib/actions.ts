import "server-only";
import { revalidatePath } from "next/cache";
import { headers } from "next/headers";
import { getDb, type Db } from "@/db";
import type { AccountActor } from "@/lib/account/audit";
import { sessionClaims } from "@/lib/account/session";
import { loadSessionUserForClaims, resolveWorkspaceContext, type SignedInUser, type WorkspaceContext } from "@/lib/auth/context";
import { can, type Permission, type Principal } from "@/lib/auth/permissions";
import { AppError, DATABASE_UNAVAILABLE, forbidden, INTERNAL_ERROR_MESSAGE, isConnectionFailure, notFound, type FieldErrors } from "@/lib/errors";
import { clientAddressFrom } from "@/lib/net/client-address";

// The one gate for every server action and every console route handler: session (read fresh)
// → workspace membership when there is a slug → the permission the caller names → input (left
// to the core, which checks its permission again). Anyone can POST to a server action or GET a
// route; the UI hiding a button proves nothing.

export type ActionResult<T = undefined> = { ok: true; data: T } | { ok: false; error: string; fieldErrors?: FieldErrors };

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

export async function requestMeta(): Promise<RequestMeta> {
  const h = await headers();
  // The same rule as the REST API and sign-in: the socket, or the entry a trusted proxy appended.
  const ip = clientAddressFrom(h);
  return { ip, userAgent: h.get("user-agent")?.slice(0, 512) ?? null };
}

/** Turns anything thrown into an ActionResult; never lets an exception (or its details) reach the client. */
function toActionError(err: unknown): { ok: false; error: string; fieldErrors?: FieldErrors } {
  if (err instanceof AppError) return { ok: false, error: err.message, fieldErrors: err.fieldErrors };
  // A read outside any transaction that could not reach the database changed nothing.
  if (isConnectionFailure(err)) return { ok: false, error: DATABASE_UNAVAILABLE };
  // Log the kind of failure only: driver messages can carry query parameters.
  console.error(`[action] unexpected ${(err as Error)?.name ?? "error"}: ${(err as { code?: string })?.code ?? ""}`);
  return { ok: false, error: INTERNAL_ERROR_MESSAGE };
}

/**
 * A permission the caller must hold, and the words a caller without it reads. The words are
 * the action's own (the same as its core's), so the wrapper refusing first changes nothing a
 * user sees.
 */
export interface Requirement {
  permission: Permission;
  denied: string;
}

/** A signed-in person acting outside any workspace, and from where: the actor the account cores take. */
export interface SessionCaller extends RequestMeta, Pick<AccountActor, "userId" | "isGlobalAdmin"> {
  user: SignedInUser;
}

/**
 * The session's user, refused when the session no longer counts (deleted, disabled, cut off)
 * or, unless `passwordChangeAllowed`, while they still have to replace a one-time password.
 */
async function requireSessionUser(db: Db, opts: { passwordChangeAllowed?: boolean } = {}): Promise<SignedInUser> {
  const claims = await sessionClaims();
  const user = claims ? await loadSessionUserForClaims(db, claims) : null;
  if (!user) throw new AppError("unauthenticated", "Your session has ended. Sign in again.");
  if (user.mustChangePassword && !opts.passwordChangeAllowed) throw forbidden("Choose a new password on your account page first.");
  return user;
}

function requirePermission(principal: Principal, need: Requirement | undefined): void {
  if (need && !can(principal, need.permission)) throw forbidden(need.denied);
}

/** Outside a workspace a user stands as no member anywhere: only a Global Admin holds anything. */
const globalStanding = (user: SignedInUser): Principal => ({ isGlobalAdmin: user.isGlobalAdmin, role: null, canManageApiKeys: false });

async function signedInCaller(db: Db, need: Requirement | undefined, opts: { passwordChangeAllowed?: boolean }): Promise<SessionCaller> {
  const user = await requireSessionUser(db, opts);
  requirePermission(globalStanding(user), need);
  return { user, userId: user.id, isGlobalAdmin: user.isGlobalAdmin, ...(await requestMeta()) };
}

async function workspaceCaller(db: Db, slug: unknown, need: Requirement): Promise<WorkspaceContext> {
  const user = await requireSessionUser(db);
  if (typeof slug !== "string") throw notFound("Workspace not found.");
  const ctx = await resolveWorkspaceContext(db, { user, slug, ...(await requestMeta()) });
  requirePermission(ctx, need);
  return ctx;
}

async function asActionResult<T>(run: (db: Db) => Promise<T>): Promise<ActionResult<T>> {
  try {
    return { ok: true, data: await run(await getDb()) };
  } catch (err) {
    return toActionError(err);
  }
}

/** What a successful action has made stale: a page, or (`type: "layout"`) everything under a path. */
export interface Revalidate {
  path: string;
  type?: "layout" | "page";
}

/** A server action in a workspace: session → membership of `slug` → `need` → `run` (input and the core's own checks). */
export async function workspaceAction<T>(
  slug: unknown,
  need: Requirement,
  run: (ctx: WorkspaceContext, db: Db) => Promise<T>,
  opts: { revalidate?: Revalidate } = {},
): Promise<ActionResult<T>> {
  const result = await asActionResult(async (db) => run(await workspaceCaller(db, slug, need), db));
  if (result.ok && opts.revalidate) revalidatePath(opts.revalidate.path, opts.revalidate.type);
  return result;
}

/** A server action on the signed-in person's own account: session → `run`. */
export async function sessionAction<T>(
  run: (caller: SessionCaller, db: Db) => Promise<T>,
  opts: { passwordChangeAllowed?: boolean } = {},
): Promise<ActionResult<T>> {
  return asActionResult(async (db) => run(await signedInCaller(db, undefined, opts), db));
}

/** A server action across every workspace: session → Global Admin (`users.manage`) → `run`. */
export async function globalAdminAction<T>(denied: string, run: (caller: SessionCaller, db: Db) => Promise<T>): Promise<ActionResult<T>> {
  return asActionResult(async (db) => run(await signedInCaller(db, { permission: "users.manage", denied }, {}), db));
}

/** What someone who may not see a console resource gets: the same answer as for no resource at all. */
function notFoundResponse(): Response {
  return new Response("Not found", { status: 404, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
}

// A refusal from the gate, as opposed to a failure (the database down) that must surface as one.
const REFUSALS = new Set(["unauthenticated", "forbidden", "not_found"]);

async function orNotFound<C>(gate: () => Promise<C>, handler: (caller: C) => Promise<Response>): Promise<Response> {
  let caller: C;
  try {
    caller = await gate();
  } catch (err) {
    if (err instanceof AppError && REFUSALS.has(err.code)) return notFoundResponse();
    throw err;
  }
  return handler(caller);
}

type RouteNeed = { globalAdmin: true } | { workspace: true; permission: Permission };

/**
 * A console route handler (the CSV exports). The same gate as the actions; every refusal is
 * the 404 of a resource that does not exist, so nobody learns what they may not see.
 */
export function consoleRoute(
  need: { globalAdmin: true },
  handler: (request: Request, caller: SessionCaller, db: Db) => Promise<Response>,
): (request: Request) => Promise<Response>;
export function consoleRoute(
  need: { workspace: true; permission: Permission },
  handler: (request: Request, ctx: WorkspaceContext, db: Db) => Promise<Response>,
): (request: Request, context: { params: Promise<{ slug: string }> }) => Promise<Response>;
export function consoleRoute(
  need: RouteNeed,
  handler: (request: Request, caller: never, db: Db) => Promise<Response>,
): (request: Request, context?: { params: Promise<{ slug: string }> }) => Promise<Response> {
  // The words are never shown: every refusal answers 404.
  const required = (permission: Permission): Requirement => ({ permission, denied: "Not found." });
  return async (request, context) => {
    const db = await getDb();
    if ("globalAdmin" in need)
      return orNotFound(
        () => signedInCaller(db, required("users.manage"), {}),
        (caller) => handler(request, caller as never, db),
      );
    const slug = (await context?.params)?.slug;
    return orNotFound(
      () => workspaceCaller(db, slug, required(need.permission)),
      (ctx) => handler(request, ctx as never, db),
    );
  };
}
