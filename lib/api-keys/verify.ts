import "server-only";
import { and, eq } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { apiKeys, memberships, users, workspaces, type ApiKey, type Role, type Workspace } from "@/db/schema";
import { cacheGeneration, cacheVerification, cachedVerification, type Dependency } from "./cache";
import { hashSecret, isWellFormedSecret } from "./format";

// The hot path: one function, at most one indexed query (usually none: see cache.ts), no writes.
// Kept free of Next so it can later be served by a lean HTTP listener. Roles are read with the
// key and a change to the key, its workspace or its owner evicts it from the cache, so a demotion
// or removal of the owner takes effect on the very next request.

export type VerifyFailureCode =
  | "missing_key"
  | "malformed_key"
  | "unknown_key"
  | "key_revoked"
  | "key_expired"
  | "key_disabled"
  | "bearer_not_allowed"
  | "api_keys_disabled"
  | "personal_tokens_disabled"
  | "owner_removed"
  | "owner_disabled";

export type PresentedVia = "bearer" | "x-apikey" | "query" | "form" | "json";

export interface VerifiedKey {
  key: Pick<
    ApiKey,
    | "id"
    | "name"
    | "prefix"
    | "kind"
    | "ownerId"
    | "createdById"
    | "permissionCeiling"
    | "scopes"
    | "expiresAt"
    | "enabled"
    | "bearerAllowed"
    | "logRequests"
    | "logResponses"
    | "revokedAt"
  >;
  workspace: Workspace;
  owner: { id: string; email: string; name: string; isGlobalAdmin: boolean } | null;
  /** The owner's role in the key's workspace now; "admin" for a service key. */
  role: Role | null;
  canManageApiKeys: boolean;
}

type Found = VerifiedKey & { ownerGone: boolean; ownerDisabled: boolean };

export type VerifyResult =
  { ok: true; value: VerifiedKey } | { ok: false; code: VerifyFailureCode; status: 401 | 403; message: string; hint?: string; found?: VerifiedKey };

export const KEY_DISABLED = { message: "This API key is disabled.", hint: "A workspace admin can re-enable it on the API tab." } as const;

const fail = (code: VerifyFailureCode, status: 401 | 403, message: string, hint?: string, found?: VerifiedKey): VerifyResult => ({
  ok: false,
  code,
  status,
  message,
  hint,
  found,
});

export const MISSING_KEY = fail(
  "missing_key",
  401,
  "No API key was sent.",
  "Send the key as Authorization: Bearer <key>, X-ApiKey: <key>, ?key=<key>, a form field key, or a JSON property API_Key.",
);

export async function verifyApiKey(db: DbOrTx, secret: string, opts: { via: PresentedVia; now?: Date }): Promise<VerifyResult> {
  // The checksum rejects typos and forgeries without touching the database.
  if (!isWellFormedSecret(secret))
    return fail(
      "malformed_key",
      401,
      "The API key is malformed.",
      "A Latchkey key is lk_ followed by 38 letters and digits; check it was copied whole.",
    );
  const found = await lookupKey(db, hashSecret(secret));
  if (!found) return fail("unknown_key", 401, "The API key is not recognised.");
  return evaluate(found, opts.via, opts.now ?? new Date());
}

/** The key and everything its verification depends on: from the cache, or one indexed query. */
async function lookupKey(db: DbOrTx, hash: string): Promise<Found | null> {
  const cached = cachedVerification<Found>(hash);
  if (cached) return cached;
  const startedAt = cacheGeneration();
  const [row] = await db
    .select({
      key: {
        id: apiKeys.id,
        name: apiKeys.name,
        prefix: apiKeys.prefix,
        kind: apiKeys.kind,
        ownerId: apiKeys.ownerId,
        createdById: apiKeys.createdById,
        permissionCeiling: apiKeys.permissionCeiling,
        scopes: apiKeys.scopes,
        expiresAt: apiKeys.expiresAt,
        enabled: apiKeys.enabled,
        bearerAllowed: apiKeys.bearerAllowed,
        logRequests: apiKeys.logRequests,
        logResponses: apiKeys.logResponses,
        revokedAt: apiKeys.revokedAt,
      },
      workspace: workspaces,
      ownerEmail: users.email,
      ownerName: users.name,
      ownerIsGlobalAdmin: users.isGlobalAdmin,
      ownerDeletedAt: users.deletedAt,
      ownerDisabledAt: users.disabledAt,
      role: memberships.role,
      canManageApiKeys: memberships.canManageApiKeys,
    })
    .from(apiKeys)
    .innerJoin(workspaces, eq(workspaces.id, apiKeys.workspaceId))
    .leftJoin(users, eq(users.id, apiKeys.ownerId))
    .leftJoin(memberships, and(eq(memberships.userId, apiKeys.ownerId), eq(memberships.workspaceId, apiKeys.workspaceId)))
    .where(eq(apiKeys.secretHash, hash))
    .limit(1);
  // Unknown keys are not cached: anyone could fill the cache with them.
  if (!row) return null;
  const isService = row.key.ownerId === null;
  const found: Found = {
    key: row.key,
    workspace: row.workspace,
    owner:
      isService || row.ownerEmail === null
        ? null
        : { id: row.key.ownerId!, email: row.ownerEmail, name: row.ownerName!, isGlobalAdmin: row.ownerIsGlobalAdmin! },
    role: isService ? "admin" : ((row.role as Role | null) ?? null),
    canManageApiKeys: isService ? false : (row.canManageApiKeys ?? false),
    ownerGone: !isService && (row.ownerDeletedAt !== null || row.ownerEmail === null || (row.role === null && !row.ownerIsGlobalAdmin)),
    ownerDisabled: !isService && row.ownerDisabledAt != null,
  };
  // What this verification depends on: a change to any of them evicts it (cache.ts).
  const deps: Dependency[] = [`k:${found.key.id}`, `w:${found.workspace.id}`];
  if (found.key.ownerId) deps.push(`u:${found.key.ownerId}`);
  cacheVerification(hash, found, deps, startedAt);
  return found;
}

/** The checks, in order, against the key as it is now (expiry against the current time). */
function evaluate({ ownerGone, ownerDisabled, ...found }: Found, via: PresentedVia, now: Date): VerifyResult {
  const { key, workspace } = found;
  if (key.revokedAt) return fail("key_revoked", 401, "This API key has been revoked.", undefined, found);
  if (key.expiresAt && key.expiresAt <= now)
    return fail("key_expired", 401, `This API key expired on ${key.expiresAt.toISOString().slice(0, 10)}.`, undefined, found);
  if (!key.enabled) return fail("key_disabled", 401, KEY_DISABLED.message, KEY_DISABLED.hint, found);
  if (via === "bearer" && !key.bearerAllowed)
    return fail(
      "bearer_not_allowed",
      401,
      "This API key may not be sent as a bearer token.",
      "Send it in the X-ApiKey header instead, or ask an admin to tick its Bearer token box.",
      found,
    );
  if (!workspace.apiKeysEnabled) return fail("api_keys_disabled", 403, "API key authentication is turned off for this workspace.", undefined, found);
  if (key.kind === "personal" && !workspace.personalTokensAllowed)
    return fail("personal_tokens_disabled", 403, "Personal tokens are turned off in this workspace.", undefined, found);
  if (ownerGone) return fail("owner_removed", 403, "The user this key acts as is no longer a member of the workspace.", undefined, found);
  if (ownerDisabled)
    return fail(
      "owner_disabled",
      403,
      "The user this key acts as has been disabled.",
      "A Global Admin can re-enable the user; the key then works again.",
      found,
    );
  return { ok: true, value: found };
}
