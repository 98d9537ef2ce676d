import { and, eq } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { apiKeys, memberships, users, workspaces, type ApiKey, type Role, type Workspace } from "@/db/schema";
import type { ApiKeyScope } from "@/lib/validations/api-keys";
import { hashSecret, isWellFormedSecret } from "./format";

// The hot path: one function, one indexed query, no writes. Kept free of Next so it can later be
// served by a lean HTTP listener. Roles are read with the key, so a demotion or removal of the
// owner takes effect on the very next request.

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
  | "owner_removed";

export type PresentedVia = "bearer" | "x-apikey" | "query" | "form" | "json";

export interface VerifiedKey {
  key: Pick<
    ApiKey,
    "id" | "name" | "prefix" | "kind" | "ownerId" | "scopes" | "expiresAt" | "enabled" | "bearerAllowed" | "logRequests" | "logResponses" | "revokedAt"
  >;
  workspace: Workspace;
  owner: { id: string; email: string; name: string; isGlobalAdmin: boolean } | null;
  /** The owner's role in the key's workspace now; "admin" for a service key. */
  role: Role | null;
  canManageApiKeys: boolean;
}

export type VerifyResult =
  | { ok: true; value: VerifiedKey }
  | { ok: false; code: VerifyFailureCode; status: 401 | 403; message: string; hint?: string; found?: VerifiedKey };

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
    return fail("malformed_key", 401, "The API key is malformed.", "A Latchkey key is lk_ followed by 38 letters and digits; check it was copied whole.");

  const [row] = await db
    .select({
      key: {
        id: apiKeys.id,
        name: apiKeys.name,
        prefix: apiKeys.prefix,
        kind: apiKeys.kind,
        ownerId: apiKeys.ownerId,
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
      role: memberships.role,
      canManageApiKeys: memberships.canManageApiKeys,
    })
    .from(apiKeys)
    .innerJoin(workspaces, eq(workspaces.id, apiKeys.workspaceId))
    .leftJoin(users, eq(users.id, apiKeys.ownerId))
    .leftJoin(memberships, and(eq(memberships.userId, apiKeys.ownerId), eq(memberships.workspaceId, apiKeys.workspaceId)))
    .where(eq(apiKeys.secretHash, hashSecret(secret)))
    .limit(1);

  if (!row) return fail("unknown_key", 401, "The API key is not recognised.");
  const isService = row.key.ownerId === null;
  const ownerGone = !isService && (row.ownerDeletedAt !== null || row.ownerEmail === null || (row.role === null && !row.ownerIsGlobalAdmin));
  const found: VerifiedKey = {
    key: row.key,
    workspace: row.workspace,
    owner:
      isService || row.ownerEmail === null
        ? null
        : { id: row.key.ownerId!, email: row.ownerEmail, name: row.ownerName!, isGlobalAdmin: row.ownerIsGlobalAdmin! },
    role: isService ? "admin" : ((row.role as Role | null) ?? null),
    canManageApiKeys: isService ? false : (row.canManageApiKeys ?? false),
  };
  const now = opts.now ?? new Date();
  if (row.key.revokedAt) return fail("key_revoked", 401, "This API key has been revoked.", undefined, found);
  if (row.key.expiresAt && row.key.expiresAt <= now)
    return fail("key_expired", 401, `This API key expired on ${row.key.expiresAt.toISOString().slice(0, 10)}.`, undefined, found);
  if (!row.key.enabled) return fail("key_disabled", 401, "This API key is disabled.", "A workspace admin can re-enable it on the API tab.", found);
  if (opts.via === "bearer" && !row.key.bearerAllowed)
    return fail(
      "bearer_not_allowed",
      401,
      "This API key may not be sent as a bearer token.",
      "Send it in the X-ApiKey header instead, or ask an admin to tick its Bearer token box.",
      found,
    );
  if (!row.workspace.apiKeysEnabled)
    return fail("api_keys_disabled", 403, "API key authentication is turned off for this workspace.", undefined, found);
  if (row.key.kind === "personal" && !row.workspace.personalTokensAllowed)
    return fail("personal_tokens_disabled", 403, "Personal tokens are turned off in this workspace.", undefined, found);
  if (ownerGone)
    return fail("owner_removed", 403, "The user this key acts as is no longer a member of the workspace.", undefined, found);
  return { ok: true, value: found };
}

/** The key's scopes as a typed list. */
export const scopesOf = (v: VerifiedKey) => v.key.scopes as ApiKeyScope[];
