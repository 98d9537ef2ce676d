import { and, desc, eq, isNull } from "drizzle-orm";
import type { Db, DbOrTx, Tx } from "@/db";
import { apiKeys, type ApiKey } from "@/db/schema";
import { assertCan, requireUser, type WorkspaceContext } from "@/lib/auth/context";
import { PERMISSIONS, permissionsOf } from "@/lib/auth/permissions";
import { recordAudit } from "@/lib/audit/record";
import { forbidden, invalid, isUniqueViolation, notFound } from "@/lib/errors";
import { API_KEY_SCOPES, createTokenSchema, fieldErrorsOf, type CreateTokenInput } from "@/lib/validations/api-keys";
import { assertNotLimitedCaller, defaultLimitsOf, isUuid, parseRevocation, resolveExpiry, revokeKeysInTx } from "./core";
import { displayPrefix, generateSecret, hashSecret } from "./format";

// Personal access tokens (TeamGantt): each user's own keys, acting as that user, where the
// workspace allows them. Stored in api_keys with kind "personal"; deleting one revokes it,
// through the same revocation as every other key. As in core.ts, each mutation takes the
// caller's transaction (`xInTx`) and is wrapped once for callers without one.

export interface PersonalTokenView {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

function assertTokensAllowed(ctx: WorkspaceContext): string {
  const userId = requireUser(ctx);
  assertCan(ctx, "tokens.own", "You don't have permission to use personal tokens in this workspace.");
  // A key someone else made for this user must not let its maker read, mint or delete the
  // user's own tokens: these endpoints act only for the user, or a key the user made.
  if (ctx.apiKeyId && ctx.humanId !== userId)
    throw forbidden("This key was made for its owner by someone else, so it cannot manage the owner's personal tokens.");
  if (!ctx.workspace.personalTokensAllowed)
    throw forbidden("Personal tokens are turned off in this workspace. An Admin can allow them in the workspace settings.");
  return userId;
}

const tokenColumns = {
  id: apiKeys.id,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  createdAt: apiKeys.createdAt,
  expiresAt: apiKeys.expiresAt,
  lastUsedAt: apiKeys.lastUsedAt,
};

const mine = (ctx: WorkspaceContext, userId: string) =>
  and(eq(apiKeys.workspaceId, ctx.workspace.id), eq(apiKeys.kind, "personal"), eq(apiKeys.ownerId, userId), isNull(apiKeys.revokedAt));

export async function listMyTokens(db: DbOrTx, ctx: WorkspaceContext): Promise<PersonalTokenView[]> {
  const userId = assertTokensAllowed(ctx);
  // A user has a handful of tokens; capped all the same.
  return db.select(tokenColumns).from(apiKeys).where(mine(ctx, userId)).orderBy(desc(apiKeys.createdAt)).limit(500);
}

export async function createMyToken(
  db: Db,
  ctx: WorkspaceContext,
  rawInput: CreateTokenInput | unknown,
): Promise<{ token: PersonalTokenView; secret: string }> {
  return db.transaction((tx) => createMyTokenInTx(tx, ctx, rawInput));
}

async function createMyTokenInTx(
  tx: Tx,
  ctx: WorkspaceContext,
  rawInput: CreateTokenInput | unknown,
): Promise<{ token: PersonalTokenView; secret: string }> {
  const userId = assertTokensAllowed(ctx);
  const parsed = createTokenSchema.safeParse(rawInput ?? {});
  if (!parsed.success) throw invalid(fieldErrorsOf(parsed.error));
  const expiresAt = resolveExpiry(parsed.data.expiresAt, ctx.workspace);
  assertNotLimitedCaller(ctx);
  const limits = defaultLimitsOf(ctx.workspace);
  const secret = generateSecret();
  const [row] = await tx
    .insert(apiKeys)
    .values({
      workspaceId: ctx.workspace.id,
      kind: "personal",
      ownerId: userId,
      name: parsed.data.name,
      secretHash: hashSecret(secret),
      prefix: displayPrefix(secret),
      // Through the API, a token carries the calling key's scopes and never more.
      scopes: API_KEY_SCOPES.filter((sc) => ctx.scopes === null || ctx.scopes.includes(sc)),
      expiresAt,
      createdById: userId,
      createdViaKeyId: ctx.apiKeyId,
      permissionCeiling: PERMISSIONS.filter((p) => permissionsOf(ctx).has(p)),
      // And its IP rules: a key restricted to some addresses cannot mint a token that works from others.
      ipAllow: [...(ctx.keyIpRules?.allow ?? [])],
      ipDeny: [...(ctx.keyIpRules?.deny ?? [])],
      // The workspace's default rate limit and quota, as for its keys.
      rateLimit: limits.rateLimit?.limit ?? null,
      rateLimitWindow: limits.rateLimit?.window ?? null,
      quotaLimit: limits.quota?.limit ?? null,
      quotaPeriod: limits.quota?.period ?? null,
    })
    .returning(tokenColumns)
    .catch((err: unknown) => {
      if (isUniqueViolation(err, "api_keys_live_token_name_idx"))
        throw invalid({ name: [`You already have a token named "${parsed.data.name}". Choose another name.`] });
      throw err;
    });
  await recordAudit(tx, ctx, {
    action: "personal_token.created",
    apiKeyId: row.id,
    targetName: row.name,
    changes: { name: { from: null, to: row.name }, expiresAt: { from: null, to: row.expiresAt } },
  });
  return { token: row, secret };
}

const toTokenView = (k: ApiKey): PersonalTokenView => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  createdAt: k.createdAt,
  expiresAt: k.expiresAt,
  lastUsedAt: k.lastUsedAt,
});

/** Deleting a token revokes it; `revocation` is why (`{ reason, reasonText }`), omitted: no reason. */
export async function deleteMyToken(db: Db, ctx: WorkspaceContext, id: string, revocation?: unknown): Promise<PersonalTokenView> {
  return db.transaction((tx) => deleteMyTokenInTx(tx, ctx, id, revocation));
}

export async function deleteMyTokenInTx(tx: Tx, ctx: WorkspaceContext, id: string, rawRevocation?: unknown): Promise<PersonalTokenView> {
  const userId = assertTokensAllowed(ctx);
  const revocation = parseRevocation(rawRevocation);
  if (!isUuid(id)) throw notFound("Token not found.");
  const [row] = await revokeKeysInTx(tx, ctx, and(eq(apiKeys.id, id), mine(ctx, userId)), { action: "personal_token.deleted", revocation });
  if (!row) throw notFound("Token not found.");
  return toTokenView(row);
}

export async function deleteAllMyTokens(db: Db, ctx: WorkspaceContext, revocation?: unknown): Promise<{ deleted: number }> {
  return db.transaction((tx) => deleteAllMyTokensInTx(tx, ctx, revocation));
}

export async function deleteAllMyTokensInTx(tx: Tx, ctx: WorkspaceContext, rawRevocation?: unknown): Promise<{ deleted: number }> {
  const userId = assertTokensAllowed(ctx);
  const revocation = parseRevocation(rawRevocation);
  const rows = await revokeKeysInTx(tx, ctx, mine(ctx, userId), {
    action: "personal_token.deleted",
    metadata: { via: "delete_all" },
    revocation,
  });
  await recordAudit(tx, ctx, {
    action: "personal_token.deleted_all",
    metadata: { count: rows.length, reason: revocation.reason, ...(revocation.text ? { reasonText: revocation.text } : {}) },
  });
  return { deleted: rows.length };
}
