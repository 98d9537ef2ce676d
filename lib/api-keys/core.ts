import { addUtcDays } from "@/lib/dates";
import { and, asc, count, desc, eq, gt, isNull, lte, or, sql, type SQL } from "drizzle-orm";
import type { Db, DbOrTx, Tx } from "@/db";
import { alias, type AnyPgColumn } from "drizzle-orm/pg-core";
import {
  apiKeyPreviousSecrets,
  apiKeyQuotaUsage,
  apiKeys,
  auditEvents,
  memberships,
  users,
  type ApiKey,
  type ApiKeyPreviousSecret,
  type Role,
  type Workspace,
} from "@/db/schema";
import { now as clockNow } from "@/lib/clock";
import { assertCan, type WorkspaceContext } from "@/lib/auth/context";
import { can, credentialExceeds, permissionsOf, PERMISSIONS, type Permission, type Principal } from "@/lib/auth/permissions";
import { recordAudit, diffFields, type AuditAction, type AuditActor } from "@/lib/audit/record";
import { AppError, forbidden, invalid, isUniqueViolation, notFound, type FieldErrors } from "@/lib/errors";
import {
  API_KEY_SCOPES,
  createApiKeySchema,
  EXPIRING_SOON_DAYS,
  DEFAULT_DEADLINE_DAYS,
  DEFAULT_QUIET_MINUTES,
  fieldErrorsOf,
  listApiKeysSchema,
  ROTATION_OVERLAPS,
  rotateApiKeySchema,
  updateApiKeySchema,
  type ApiKeyScope,
  type CreateApiKeyInput,
  type ListApiKeysInput,
  type RotateApiKeyInput,
  type UpdateApiKeyInput,
} from "@/lib/validations/api-keys";
import { NO_REASON, optionalRevocationSchema, revocationSchema, type Revocation, type RevocationReason } from "@/lib/validations/revocation";
import { compileRules, hasRules, rulesWithin } from "@/lib/net/ip-rules";
import { evictDependents } from "./cache";
import { unwrittenQuotaUse } from "./limits";
import { LIMIT_MAX, quotaPeriodEnd, quotaPeriodKey, topUpSchema, type Quota, type RateLimit, type TopUpInput } from "@/lib/validations/limits";
import { displayPrefix, generateSecret, hashSecret, isWellFormedSecret, weakSecretReason } from "./format";

// One core function per mutation, called by server actions and REST handlers alike, so the
// console and the API cannot drift. Each checks permission itself and writes its audit event
// in the same transaction as the change. Each exists once as `xInTx(tx, ctx, …)`, which joins
// the caller's transaction (so user deletion, bulk actions and the seed compose them and commit
// or roll back as one), and once as `x(db, ctx, …)`, which opens a transaction for callers that
// have none. Caches are told after the outermost transaction ends (db/index.ts), never here.

export type ApiKeyState = "active" | "disabled" | "expired" | "revoked";

export interface ApiKeyView {
  id: string;
  name: string;
  description: string | null;
  ownerId: string | null;
  ownerName: string | null;
  ownerEmail: string | null;
  prefix: string;
  source: "generated" | "imported";
  scopes: ApiKeyScope[];
  expiresAt: Date | null;
  enabled: boolean;
  bearerAllowed: boolean;
  logRequests: boolean;
  logResponses: boolean;
  createdAt: Date;
  createdById: string | null;
  /** The key this one was minted through over the REST API, if any. */
  createdViaKeyId: string | null;
  /** What this key may ever do (its maker's and owner's permissions when it was made); null: no ceiling recorded. */
  permissionCeiling: string[] | null;
  lastUsedAt: Date | null;
  lastUsedIp: string | null;
  lastUsedIntegration: string | null;
  revokedAt: Date | null;
  /** Why it was revoked; null while live, and for a revocation that gave (or recorded) no reason. */
  revokedReason: RevocationReason | null;
  /** What was written for the reason "other". */
  revokedReasonText: string | null;
  /** IP rules, canonical CIDR text (lib/net/ip-rules.ts): deny wins; an empty allow list allows any address. */
  ipAllow: string[];
  ipDeny: string[];
  /** Refused (key_not_yet_valid) before this time; null: from its creation. */
  notBefore: Date | null;
  /** Requests per window; null: no rate limit. */
  rateLimit: RateLimit | null;
  /** Requests per period, with what the current period has used (as written, within a second); null: no quota. */
  quota: (Quota & { used: number; resetsAt: Date | null }) | null;
  state: ApiKeyState;
}

export function stateOf(key: Pick<ApiKey, "revokedAt" | "expiresAt" | "enabled">, now = new Date()): ApiKeyState {
  if (key.revokedAt) return "revoked";
  if (key.expiresAt && key.expiresAt.getTime() <= now.getTime()) return "expired";
  if (!key.enabled) return "disabled";
  return "active";
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: unknown): s is string => typeof s === "string" && UUID_RE.test(s);

export const MANAGE_DENIED = "You don't have permission to manage API keys in this workspace.";
export const KEY_NOT_FOUND = "API key not found.";
const IMPORT_REFUSED = "This secret cannot be imported. Generate a new key instead, or import another secret.";
const TOKEN_REVOKE_DENIED = "Only Global Admins can revoke another user's personal token.";

const viewColumns = {
  key: apiKeys,
  ownerName: users.name,
  ownerEmail: users.email,
  // "<period key> <used>" of the key's quota, as last written.
  quotaUse: sql<string | null>`(select q.period_key || ' ' || q.used from api_key_quota_usage q where q.api_key_id = ${apiKeys.id})`,
};

type ViewRow = { key: ApiKey; ownerName: string | null; ownerEmail: string | null; quotaUse?: string | null };

function quotaView(k: ApiKey, quotaUse: string | null | undefined, now: Date): ApiKeyView["quota"] {
  if (k.quotaLimit === null || k.quotaPeriod === null) return null;
  const current = quotaPeriodKey(k.quotaPeriod, now.getTime());
  const [periodKey, used] = (quotaUse ?? "").split(" ");
  const end = quotaPeriodEnd(k.quotaPeriod, now.getTime());
  return {
    limit: k.quotaLimit,
    period: k.quotaPeriod,
    used: periodKey === current ? Number(used) + unwrittenQuotaUse(k.id) : unwrittenQuotaUse(k.id),
    resetsAt: end === null ? null : new Date(end),
  };
}

function toView(row: ViewRow, now = new Date()): ApiKeyView {
  const k = row.key;
  return {
    id: k.id,
    name: k.name,
    description: k.description,
    ownerId: k.ownerId,
    ownerName: row.ownerName,
    ownerEmail: row.ownerEmail,
    prefix: k.prefix,
    source: k.source,
    scopes: k.scopes as ApiKeyScope[],
    expiresAt: k.expiresAt,
    enabled: k.enabled,
    bearerAllowed: k.bearerAllowed,
    logRequests: k.logRequests,
    logResponses: k.logResponses,
    createdAt: k.createdAt,
    createdById: k.createdById,
    createdViaKeyId: k.createdViaKeyId,
    permissionCeiling: k.permissionCeiling,
    lastUsedAt: k.lastUsedAt,
    lastUsedIp: k.lastUsedIp,
    lastUsedIntegration: k.lastUsedIntegration,
    revokedAt: k.revokedAt,
    revokedReason: k.revokedReason,
    revokedReasonText: k.revokedReasonText,
    ipAllow: k.ipAllow,
    ipDeny: k.ipDeny,
    notBefore: k.notBefore,
    rateLimit: k.rateLimit !== null && k.rateLimitWindow !== null ? { limit: k.rateLimit, window: k.rateLimitWindow } : null,
    quota: quotaView(k, row.quotaUse, now),
    state: stateOf(k, now),
  };
}

/** The rate limit and quota a key gets when its creator names none: the workspace's defaults. */
export function defaultLimitsOf(
  workspace: Pick<Workspace, "defaultRateLimit" | "defaultRateLimitWindow" | "defaultQuotaLimit" | "defaultQuotaPeriod">,
): { rateLimit: RateLimit | null; quota: Quota | null } {
  return {
    rateLimit:
      workspace.defaultRateLimit !== null && workspace.defaultRateLimitWindow !== null
        ? { limit: workspace.defaultRateLimit, window: workspace.defaultRateLimitWindow }
        : null,
    quota:
      workspace.defaultQuotaLimit !== null && workspace.defaultQuotaPeriod !== null
        ? { limit: workspace.defaultQuotaLimit, period: workspace.defaultQuotaPeriod }
        : null,
  };
}

const LIMITED_CALLER =
  "The key you are calling with has a rate limit or a quota, so it cannot create keys or change limits (nor roll another key, whose new secret would be a credential with a budget of its own). Do it in the console, or with a key that has no limits.";

/**
 * A key with a rate limit or quota may neither mint credentials (a hundred new keys would be a
 * hundred budgets) nor change any key's limits (its own included): otherwise it could spend its
 * way out of its own limit.
 */
export function assertNotLimitedCaller(ctx: WorkspaceContext): void {
  if (ctx.keyLimited) throw forbidden(LIMITED_CALLER);
}

function parse<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import("zod").ZodError } },
  input: unknown,
): T {
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw invalid(fieldErrorsOf(r.error));
  return r.data;
}

/** The latest expiry the workspace allows for a key created now; null when there is no maximum. */
export function maxExpiryFor(workspace: Pick<Workspace, "maxKeyLifetimeDays">, now = new Date()): Date | null {
  return workspace.maxKeyLifetimeDays == null ? null : addUtcDays(now, workspace.maxKeyLifetimeDays);
}

/** Checks an expiry against "in the future" and the workspace's maximum lifetime. */
export function resolveExpiry(requested: Date | null | undefined, workspace: Pick<Workspace, "maxKeyLifetimeDays">, now = new Date()): Date | null {
  const max = maxExpiryFor(workspace, now);
  if (requested === undefined) return max;
  if (requested === null) {
    if (max)
      throw invalid({ expiresAt: [`Keys in this workspace must expire within ${workspace.maxKeyLifetimeDays} days; "Never" is not allowed.`] });
    return null;
  }
  if (Number.isNaN(requested.getTime())) throw invalid({ expiresAt: ["Expiry must be a valid date."] });
  if (requested.getTime() <= now.getTime()) throw invalid({ expiresAt: ["Expiry must be in the future."] });
  // A date-only expiry means the end of that day, so allow up to the end of the maximum's day.
  if (max && requested.getTime() > endOfUtcDay(max).getTime())
    throw invalid({
      expiresAt: [
        `Expiry must be on or before ${max.toISOString().slice(0, 10)} (the workspace's maximum key lifetime is ${workspace.maxKeyLifetimeDays} days).`,
      ],
    });
  return requested;
}

const endOfUtcDay = (d: Date) => new Date(`${d.toISOString().slice(0, 10)}T23:59:59.999Z`);

async function loadLiveKey(
  db: DbOrTx,
  ctx: WorkspaceContext,
  id: string,
  opts: { kind?: ApiKey["kind"]; lock?: boolean; includeRevoked?: boolean } = {},
) {
  if (!isUuid(id)) throw notFound(KEY_NOT_FOUND);
  const query = db
    .select(viewColumns)
    .from(apiKeys)
    .leftJoin(users, eq(users.id, apiKeys.ownerId))
    .where(
      and(
        eq(apiKeys.id, id),
        eq(apiKeys.workspaceId, ctx.workspace.id),
        eq(apiKeys.kind, opts.kind ?? "workspace"),
        opts.includeRevoked ? undefined : isNull(apiKeys.revokedAt),
      ),
    )
    .limit(1);
  // Inside a mutation's transaction: lock the key, so concurrent changes apply one after another
  // and each audit event's "from" is the state the change really started from.
  const [row] = opts.lock ? await query.for("update", { of: apiKeys }) : await query;
  if (!row) throw notFound(KEY_NOT_FOUND);
  return row;
}

export async function getApiKey(db: DbOrTx, ctx: WorkspaceContext, id: string): Promise<ApiKeyView> {
  assertCan(ctx, "api_keys.read", "You don't have permission to view API keys in this workspace.");
  return toView(await loadLiveKey(db, ctx, id));
}

export interface RevocationRecord {
  /** The person who revoked it, if a person did. */
  byName: string | null;
  /** The key it was revoked through (over the REST API, or by presenting itself to /api/revoke). */
  viaKeyId: string | null;
  viaKeyPrefix: string | null;
  ip: string | null;
}

/**
 * A workspace key, revoked or not (the key's page keeps showing a revoked key, with why, who
 * and when); with who revoked it, from its audit event, when it is revoked.
 */
/** A workspace key whether it is live or revoked (a revoked key's page, access log and usage stay readable). */
export async function getApiKeyAnyState(db: DbOrTx, ctx: WorkspaceContext, id: string): Promise<ApiKeyView> {
  assertCan(ctx, "api_keys.read", "You don't have permission to view API keys in this workspace.");
  return toView(await loadLiveKey(db, ctx, id, { includeRevoked: true }));
}

export async function getApiKeyWithRevocation(
  db: DbOrTx,
  ctx: WorkspaceContext,
  id: string,
): Promise<{ key: ApiKeyView; revocation: RevocationRecord | null }> {
  const key = await getApiKeyAnyState(db, ctx, id);
  if (!key.revokedAt) return { key, revocation: null };
  const via = alias(apiKeys, "via_key");
  const [event] = await db
    .select({ byName: users.name, viaKeyId: auditEvents.actorApiKeyId, viaKeyPrefix: via.prefix, ip: auditEvents.ip })
    .from(auditEvents)
    .leftJoin(users, eq(users.id, auditEvents.actorUserId))
    .leftJoin(via, eq(via.id, auditEvents.actorApiKeyId))
    .where(and(eq(auditEvents.apiKeyId, id), eq(auditEvents.workspaceId, ctx.workspace.id), eq(auditEvents.action, "api_key.revoked")))
    .orderBy(desc(auditEvents.id))
    .limit(1);
  return { key, revocation: event ?? { byName: null, viaKeyId: null, viaKeyPrefix: null, ip: null } };
}

export interface WorkspaceMemberOption {
  id: string;
  name: string;
  email: string;
  role: Role;
}

/** How a service key (no owner) stands in its workspace: as an Admin. */
const SERVICE_KEY_STANDING: Principal = { isGlobalAdmin: false, role: "admin", canManageApiKeys: false };

/** Who is making or changing a credential: what they may do, and the scopes limiting them. */
function makerOf(ctx: WorkspaceContext): { permissions: Set<Permission>; scopes: readonly string[] | null } {
  return { permissions: permissionsOf(ctx), scopes: ctx.scopes };
}

const permissionList = (set: ReadonlySet<Permission>) => PERMISSIONS.filter((p) => set.has(p));

/**
 * Members who may own a key this principal creates: those whose every permission here the
 * principal also holds (so a Manager cannot pick an Admin, nor anyone a Global Admin).
 */
export async function listKeyOwnerOptions(db: DbOrTx, ctx: WorkspaceContext): Promise<WorkspaceMemberOption[]> {
  assertCan(ctx, "api_keys.manage", MANAGE_DENIED);
  const rows = await db
    .select({
      id: users.id,
      name: users.name,
      email: users.email,
      role: memberships.role,
      canManageApiKeys: memberships.canManageApiKeys,
      isGlobalAdmin: users.isGlobalAdmin,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.workspaceId, ctx.workspace.id), isNull(users.deletedAt), isNull(users.disabledAt)))
    .orderBy(asc(users.name));
  const maker = makerOf(ctx);
  return rows
    .filter((r) => !credentialExceeds(maker, { permissions: permissionsOf(r), scopes: [] }))
    .map(({ id, name, email, role }) => ({ id, name, email, role }));
}

/** The owner's standing in the workspace now (a service key's for null), or a field error. */
async function ownerStanding(db: DbOrTx, ctx: WorkspaceContext, ownerId: string | null): Promise<Principal> {
  if (ownerId === null) return SERVICE_KEY_STANDING;
  const [m] = await db
    .select({ role: memberships.role, canManageApiKeys: memberships.canManageApiKeys, isGlobalAdmin: users.isGlobalAdmin })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.workspaceId, ctx.workspace.id), eq(memberships.userId, ownerId), isNull(users.deletedAt), isNull(users.disabledAt)))
    .limit(1);
  if (!m) throw invalid({ ownerId: ["The owner must be an active member of this workspace."] });
  return m;
}

/**
 * The escalation check for a credential this principal makes or changes: its owner may do
 * nothing the maker may not, it carries no scope the maker lacks, and a service key needs the
 * service-key permission. Returns the ceiling to store: what the key may ever do, which is what
 * both the maker and the owner may do now.
 */
function assertMayIssue(
  ctx: WorkspaceContext,
  owner: { id: string | null; standing: Principal },
  scopes: readonly string[],
  mode: "create" | "change",
): string[] {
  const refuse = (field: string, message: string) => (mode === "create" ? invalid({ [field]: [message] }) : forbidden(message));
  if (owner.id === null && !can(ctx, "api_keys.service"))
    throw refuse("ownerId", `Only Admins can ${mode} workspace service keys (keys with no owner).`);
  const maker = makerOf(ctx);
  const beyond = credentialExceeds(maker, { permissions: permissionsOf(owner.standing), scopes });
  if (beyond?.permissions.length) {
    const who = owner.id === null ? "A workspace service key acts as an Admin and" : "The owner";
    throw refuse(
      "ownerId",
      `${who} may do things you may not (${beyond.permissions.join(", ")}), so you cannot ${mode === "create" ? "create a key for them" : "change this key"}.`,
    );
  }
  if (beyond?.scopes.length)
    throw refuse(
      "scopes",
      `The key you are calling with lacks ${beyond.scopes.join(", ")}, so it cannot grant ${beyond.scopes.length === 1 ? "that scope" : "those scopes"}.`,
    );
  return permissionList(permissionsOf({ ...owner.standing, ceiling: permissionList(maker.permissions) }));
}

/**
 * A key called with IP rules may only give a key rules at least as strict as its own (every
 * address they allow, its own allow too): otherwise it could mint an unrestricted key, or lift
 * its own restriction, from an address it is allowed at.
 */
function assertRulesWithinCaller(ctx: WorkspaceContext, rules: { allow: readonly string[]; deny: readonly string[] }, mode: "create" | "change") {
  const own = ctx.keyIpRules;
  if (!own || !hasRules(own) || rulesWithin(compileRules(rules), compileRules(own))) return;
  const message = `The key you are calling with is restricted by IP rules (allow: ${own.allow.join(", ") || "any"}; deny: ${own.deny.join(", ") || "none"}), so it can only ${mode === "create" ? "create keys" : "set rules"} at least as strict: every allowed range inside its own allowed ones, each of its denied ranges denied too.`;
  throw mode === "create" ? invalid({ ipAllow: [message] }) : forbidden(message);
}

/** Not before must come before the expiry, when both are set. */
function assertNotBeforeExpiry(notBefore: Date | null, expiresAt: Date | null) {
  if (notBefore && expiresAt && notBefore.getTime() >= expiresAt.getTime())
    throw invalid({ notBefore: [`Not before must be earlier than the expiry (${expiresAt.toISOString()}).`] });
}

function nameTaken(name: string): FieldErrors {
  return { name: [`A key named "${name}" already exists in this workspace. Choose another name.`] };
}

async function assertNameFree(db: DbOrTx, workspaceId: string, name: string, exceptId?: string) {
  const conds: SQL[] = [
    eq(apiKeys.workspaceId, workspaceId),
    eq(apiKeys.kind, "workspace"),
    isNull(apiKeys.revokedAt),
    sql`lower(${apiKeys.name}) = lower(${name})`,
  ];
  if (exceptId) conds.push(sql`${apiKeys.id} <> ${exceptId}`);
  const [hit] = await db
    .select({ id: apiKeys.id })
    .from(apiKeys)
    .where(and(...conds))
    .limit(1);
  if (hit) throw invalid(nameTaken(name));
}

export interface CreatedApiKey {
  key: ApiKeyView;
  /** The plaintext secret: returned once, never stored, never logged. */
  secret: string;
}

export async function createApiKey(db: Db, ctx: WorkspaceContext, rawInput: CreateApiKeyInput | unknown): Promise<CreatedApiKey> {
  return db.transaction((tx) => createApiKeyInTx(tx, ctx, rawInput));
}

/** Creates a key in the caller's transaction; the answer is built from what it wrote. */
export async function createApiKeyInTx(tx: Tx, ctx: WorkspaceContext, rawInput: CreateApiKeyInput | unknown): Promise<CreatedApiKey> {
  assertCan(ctx, "api_keys.manage", MANAGE_DENIED);
  const input = parse(createApiKeySchema, rawInput);
  // A Global Admin who is not a member cannot own a key here: they must pick an owner.
  if (input.ownerId === undefined && ctx.userId && !ctx.role)
    throw invalid({ ownerId: ["You are not a member of this workspace: choose a member as the owner, or none for a service key."] });
  const ownerId = input.ownerId === undefined ? ctx.userId : input.ownerId;
  // Omitted scopes mean everything the maker may grant: all of them for a person, the calling key's own through the API.
  const scopes = input.scopes ?? API_KEY_SCOPES.filter((sc) => ctx.scopes === null || ctx.scopes.includes(sc));
  const ceiling = assertMayIssue(ctx, { id: ownerId, standing: await ownerStanding(tx, ctx, ownerId) }, scopes, "create");
  if (input.importedSecret !== undefined) {
    if (!can(ctx, "api_keys.import")) throw invalid({ importedSecret: ["Only Admins can import an existing secret."] });
    if (!isWellFormedSecret(input.importedSecret))
      throw invalid({ importedSecret: ["This secret starts with lk_ but its checksum is wrong; import it exactly as it was issued."] });
    const weak = weakSecretReason(input.importedSecret);
    if (weak) throw invalid({ importedSecret: [weak] });
  }
  const expiresAt = resolveExpiry(input.expiresAt, ctx.workspace);
  const ipAllow = input.ipAllow ?? [];
  const ipDeny = input.ipDeny ?? [];
  const notBefore = input.notBefore ?? null;
  assertNotBeforeExpiry(notBefore, expiresAt);
  assertRulesWithinCaller(ctx, { allow: ipAllow, deny: ipDeny }, "create");
  assertNotLimitedCaller(ctx);
  const defaults = defaultLimitsOf(ctx.workspace);
  const rateLimit = input.rateLimit === undefined ? defaults.rateLimit : input.rateLimit;
  const quota = input.quota === undefined ? defaults.quota : input.quota;
  await assertNameFree(tx, ctx.workspace.id, input.name);

  const secret = input.importedSecret ?? generateSecret();
  const values = {
    workspaceId: ctx.workspace.id,
    kind: "workspace" as const,
    ownerId,
    name: input.name,
    description: input.description ?? null,
    secretHash: hashSecret(secret),
    prefix: displayPrefix(secret, input.importedSecret ? "imported" : "generated"),
    source: input.importedSecret ? ("imported" as const) : ("generated" as const),
    scopes,
    expiresAt,
    enabled: input.enabled,
    bearerAllowed: input.bearerAllowed,
    // The person, also when the key is minted through another key: that key's maker.
    createdById: ctx.humanId,
    createdViaKeyId: ctx.apiKeyId,
    permissionCeiling: ceiling,
    ipAllow,
    ipDeny,
    notBefore,
    rateLimit: rateLimit?.limit ?? null,
    rateLimitWindow: rateLimit?.window ?? null,
    quotaLimit: quota?.limit ?? null,
    quotaPeriod: quota?.period ?? null,
  };
  // A refused insert has aborted the caller's transaction too: the clear error rolls it all back.
  const [key] = await tx
    .insert(apiKeys)
    .values(values)
    .returning()
    .catch((err: unknown) => {
      if (isUniqueViolation(err, "api_keys_live_name_idx")) throw invalid(nameTaken(input.name));
      if (isUniqueViolation(err, "api_keys_secret_hash_idx"))
        // The same words whoever holds the other key: whether a secret exists elsewhere is not told.
        throw invalid({ importedSecret: [IMPORT_REFUSED] });
      throw err;
    });
  await recordAudit(tx, ctx, {
    action: "api_key.created",
    apiKeyId: key.id,
    targetName: key.name,
    changes: diffFields(
      {},
      {
        name: key.name,
        description: key.description,
        ownerId: key.ownerId,
        scopes: key.scopes,
        expiresAt: key.expiresAt,
        enabled: key.enabled,
        bearerAllowed: key.bearerAllowed,
        source: key.source,
        ...(key.ipAllow.length ? { ipAllow: key.ipAllow } : {}),
        ...(key.ipDeny.length ? { ipDeny: key.ipDeny } : {}),
        ...(key.notBefore ? { notBefore: key.notBefore } : {}),
        ...(key.rateLimit !== null ? { rateLimit: key.rateLimit, rateLimitWindow: key.rateLimitWindow } : {}),
        ...(key.quotaLimit !== null ? { quotaLimit: key.quotaLimit, quotaPeriod: key.quotaPeriod } : {}),
      },
    ),
  });
  // Read in the transaction: nothing read after commit can make a committed create look failed.
  const [owner] = key.ownerId ? await tx.select({ name: users.name, email: users.email }).from(users).where(eq(users.id, key.ownerId)) : [];
  return { key: toView({ key, ownerName: owner?.name ?? null, ownerEmail: owner?.email ?? null }), secret };
}

/** Edits a live key. Which audit action is written depends on what changed. */
export async function updateApiKey(db: Db, ctx: WorkspaceContext, id: string, rawInput: UpdateApiKeyInput | unknown): Promise<ApiKeyView> {
  return db.transaction((tx) => updateApiKeyInTx(tx, ctx, id, rawInput));
}

export async function updateApiKeyInTx(tx: Tx, ctx: WorkspaceContext, id: string, rawInput: UpdateApiKeyInput | unknown): Promise<ApiKeyView> {
  assertCan(ctx, "api_keys.manage", MANAGE_DENIED);
  const input = parse(updateApiKeySchema, rawInput);
  if (!isUuid(id)) throw notFound(KEY_NOT_FOUND);
  const patch: Partial<ApiKey> = {};
  if (input.name !== undefined) patch.name = input.name;
  if (input.description !== undefined) patch.description = input.description;
  if (input.enabled !== undefined) patch.enabled = input.enabled;
  if (input.bearerAllowed !== undefined) patch.bearerAllowed = input.bearerAllowed;
  if (input.scopes !== undefined) patch.scopes = input.scopes;
  if (input.logRequests !== undefined) patch.logRequests = input.logRequests;
  if (input.logResponses !== undefined) patch.logResponses = input.logResponses;
  if (input.expiresAt !== undefined) patch.expiresAt = resolveExpiry(input.expiresAt, ctx.workspace);
  if (input.ipAllow !== undefined) patch.ipAllow = input.ipAllow;
  if (input.ipDeny !== undefined) patch.ipDeny = input.ipDeny;
  if (input.notBefore !== undefined) patch.notBefore = input.notBefore;
  if (input.rateLimit !== undefined) {
    patch.rateLimit = input.rateLimit?.limit ?? null;
    patch.rateLimitWindow = input.rateLimit?.window ?? null;
  }
  if (input.quota !== undefined) {
    patch.quotaLimit = input.quota?.limit ?? null;
    patch.quotaPeriod = input.quota?.period ?? null;
  }

  const current = await loadLiveKey(tx, ctx, id, { lock: true });
  const changes = diffFields(current.key as unknown as Record<string, unknown>, patch);
  if (Object.keys(changes).length === 0) return toView(current);
  if (changes.rateLimit || changes.rateLimitWindow || changes.quotaLimit || changes.quotaPeriod) assertNotLimitedCaller(ctx);
  // A quota that now counts in another kind of period starts from nothing.
  let quotaUse = current.quotaUse;
  if (changes.quotaPeriod) {
    await tx.delete(apiKeyQuotaUsage).where(eq(apiKeyQuotaUsage.apiKeyId, id));
    quotaUse = null;
  }
  if (changes.notBefore || changes.expiresAt)
    assertNotBeforeExpiry(
      patch.notBefore !== undefined ? patch.notBefore : current.key.notBefore,
      patch.expiresAt !== undefined ? patch.expiresAt : current.key.expiresAt,
    );
  if (changes.ipAllow || changes.ipDeny)
    assertRulesWithinCaller(ctx, { allow: patch.ipAllow ?? current.key.ipAllow, deny: patch.ipDeny ?? current.key.ipDeny }, "change");
  if (changes.name) await assertNameFree(tx, ctx.workspace.id, input.name!, id);

  const fields = Object.keys(changes);
  let action: AuditAction = "api_key.updated";
  if (fields.length === 1 && fields[0] === "enabled") action = patch.enabled ? "api_key.enabled" : "api_key.disabled";
  if (fields.length === 1 && fields[0] === "bearerAllowed") action = patch.bearerAllowed ? "api_key.bearer_enabled" : "api_key.bearer_disabled";

  // Switching a key off, or refusing it as a bearer token, only takes power away: anyone who
  // manages keys may. Any other change must pass the same check as creating the key as it
  // will be, and narrows what the key may ever do to what the person changing it may do.
  const onlyReduces = fields.every((f) => (f === "enabled" && patch.enabled === false) || (f === "bearerAllowed" && patch.bearerAllowed === false));
  let ceiling: string[] | undefined;
  if (!onlyReduces) {
    const standing = await ownerStanding(tx, ctx, current.key.ownerId).catch((err: unknown) => {
      if (err instanceof AppError && err.code === "validation")
        throw forbidden("This key's owner is no longer an active member of the workspace: it can only be disabled or revoked.");
      throw err;
    });
    const allowed = assertMayIssue(ctx, { id: current.key.ownerId, standing }, patch.scopes ?? current.key.scopes, "change");
    const before = current.key.permissionCeiling;
    ceiling = before ? allowed.filter((p) => before.includes(p)) : allowed;
  }

  // Only what changed is written, so the row and the audit event say the same thing.
  const written = Object.fromEntries(fields.map((f) => [f, patch[f as keyof ApiKey]]));
  const [updated] = await tx
    .update(apiKeys)
    .set({ ...written, ...(ceiling ? { permissionCeiling: ceiling } : {}), updatedAt: new Date() })
    .where(and(eq(apiKeys.id, id), eq(apiKeys.workspaceId, ctx.workspace.id)))
    .returning()
    .catch((err: unknown) => {
      if (isUniqueViolation(err, "api_keys_live_name_idx")) throw invalid(nameTaken(input.name!));
      throw err;
    });
  await recordAudit(tx, ctx, { action, apiKeyId: id, targetName: updated.name, changes });
  return toView({ ...current, quotaUse, key: updated });
}

/**
 * Adds requests to a key's total quota (a daily or monthly one starts again by itself). A change
 * of the key like any other: the same permission checks, the same audit event (the limit's before
 * and after); two top-ups at once both count (the key is locked while its limit is read).
 */
export async function topUpQuota(db: Db, ctx: WorkspaceContext, id: string, rawInput: TopUpInput | unknown): Promise<ApiKeyView> {
  return db.transaction(async (tx) => {
    assertCan(ctx, "api_keys.manage", MANAGE_DENIED);
    const input = parse(topUpSchema, rawInput);
    const current = await loadLiveKey(tx, ctx, id, { lock: true });
    const { quotaLimit, quotaPeriod } = current.key;
    if (quotaLimit === null) throw invalid({ requests: ["This key has no quota to top up. Give it a total quota instead."] });
    if (quotaPeriod !== "total")
      throw invalid({ requests: [`This key's quota is per ${quotaPeriod} and starts again by itself; raise its limit instead of topping it up.`] });
    if (quotaLimit + input.requests > LIMIT_MAX)
      throw invalid({
        requests: [`A quota can be at most ${LIMIT_MAX.toLocaleString("en-US")} requests; this key's is ${quotaLimit.toLocaleString("en-US")}.`],
      });
    return updateApiKeyInTx(tx, ctx, id, { quota: { limit: quotaLimit + input.requests, period: "total" } });
  });
}

export interface RevokeAudit {
  /** `personal_token.deleted` when owners delete their own tokens; `api_key.revoked` otherwise. */
  action?: "api_key.revoked" | "personal_token.deleted";
  /** How the revocation came about (revoke-all, a user's deletion…), kept with each key's event. */
  metadata?: Record<string, unknown>;
  /** Who revoked; by default the person answerable for the context. */
  revokedById?: string | null;
  /** Why (already parsed); by default no reason. */
  revocation?: Revocation;
}

/** A revocation's reason from a form or a request body: none when omitted, a field error when bad. */
export function parseRevocation(raw: unknown): Revocation {
  return parse(optionalRevocationSchema, raw);
}

/** The console's revocations: a reason is required (REST may omit it). */
export function parseRequiredRevocation(raw: unknown): Revocation {
  return parse(revocationSchema, raw);
}

/**
 * The one place keys are revoked: every live key matching `where` gets its revoke columns set
 * and one audit event, in that key's own workspace, so each path leaves the same record.
 * Callers check permission (and lock a single key they answer about) first.
 */
export async function revokeKeysInTx(
  tx: Tx,
  ctx: AuditActor & { humanId?: string | null },
  where: SQL | undefined,
  audit: RevokeAudit = {},
): Promise<ApiKey[]> {
  // and() of nothing is undefined, which would revoke every key of every workspace.
  if (!where) throw new Error("revokeKeysInTx needs a condition naming the keys to revoke.");
  const revokedAt = new Date();
  const revokedById = audit.revokedById === undefined ? (ctx.humanId ?? ctx.userId) : audit.revokedById;
  const { reason, text } = audit.revocation ?? NO_REASON;
  const revoked = await tx
    .update(apiKeys)
    .set({ revokedAt, revokedById, revokedReason: reason, revokedReasonText: text, updatedAt: revokedAt })
    .where(and(where, isNull(apiKeys.revokedAt)))
    .returning();
  await recordAudit(
    tx,
    ctx,
    revoked.map((k) => ({
      action: audit.action ?? "api_key.revoked",
      workspaceId: k.workspaceId,
      apiKeyId: k.id,
      targetName: k.name,
      // The reason always (null: none given), so each revocation's record says why or that nobody said.
      changes: {
        revokedAt: { from: null, to: revokedAt },
        revokedReason: { from: null, to: reason },
        ...(text ? { revokedReasonText: { from: null, to: text } } : {}),
      },
      metadata: audit.metadata ?? null,
    })),
  );
  return revoked;
}

export interface RevokeOptions {
  /** The kind of key `id` must be. Personal tokens are their owners' (tokens.ts); only a Global Admin revokes one here. */
  kind?: ApiKey["kind"];
  metadata?: Record<string, unknown>;
  /** Why: `{ reason, reasonText }` as a form or a request body gives it; omitted, no reason. */
  revocation?: unknown;
}

export async function revokeApiKey(db: Db, ctx: WorkspaceContext, id: string, opts: RevokeOptions = {}): Promise<ApiKeyView> {
  return db.transaction((tx) => revokeApiKeyInTx(tx, ctx, id, opts));
}

export async function revokeApiKeyInTx(tx: Tx, ctx: WorkspaceContext, id: string, opts: RevokeOptions = {}): Promise<ApiKeyView> {
  const kind = opts.kind ?? "workspace";
  if (kind === "personal") assertCan(ctx, "users.manage", TOKEN_REVOKE_DENIED);
  else assertCan(ctx, "api_keys.manage", MANAGE_DENIED);
  const revocation = parseRevocation(opts.revocation);
  if (!isUuid(id)) throw notFound(KEY_NOT_FOUND);
  // Locked: of two revokes at once, the second finds the key gone and says "not found".
  const current = await loadLiveKey(tx, ctx, id, { kind, lock: true });
  const [revoked] = await revokeKeysInTx(tx, ctx, and(eq(apiKeys.id, id), eq(apiKeys.workspaceId, ctx.workspace.id)), {
    metadata: opts.metadata,
    revocation,
  });
  return toView({ ...current, key: revoked });
}

/** Revokes every live workspace key (personal tokens are left to their owners). Returns how many. */
export async function revokeAllApiKeys(db: Db, ctx: WorkspaceContext, revocation?: unknown): Promise<{ revoked: number }> {
  return db.transaction((tx) => revokeAllApiKeysInTx(tx, ctx, revocation));
}

export async function revokeAllApiKeysInTx(tx: Tx, ctx: WorkspaceContext, rawRevocation?: unknown): Promise<{ revoked: number }> {
  assertCan(ctx, "api_keys.manage", MANAGE_DENIED);
  const revocation = parseRevocation(rawRevocation);
  const done = await revokeKeysInTx(tx, ctx, and(eq(apiKeys.workspaceId, ctx.workspace.id), eq(apiKeys.kind, "workspace")), {
    metadata: { via: "revoke_all" },
    revocation,
  });
  await recordAudit(tx, ctx, {
    action: "api_key.revoked_all",
    metadata: { count: done.length, reason: revocation.reason, ...(revocation.text ? { reasonText: revocation.text } : {}) },
  });
  return { revoked: done.length };
}

export interface ApiKeyPage {
  rows: ApiKeyView[];
  total: number;
  page: number;
  pageSize: number;
  /** When the rows were read (ms): what their states and "expires in N days" are as of. */
  asOf: number;
}

/** The workspace's live keys, filtered, sorted and paged in SQL. */
export async function listApiKeys(db: DbOrTx, ctx: WorkspaceContext, rawInput: ListApiKeysInput | unknown = {}): Promise<ApiKeyPage> {
  assertCan(ctx, "api_keys.read", "You don't have permission to view API keys in this workspace.");
  const input = parse(listApiKeysSchema, rawInput);
  const now = new Date();
  const conds: (SQL | undefined)[] = [eq(apiKeys.workspaceId, ctx.workspace.id), eq(apiKeys.kind, "workspace"), isNull(apiKeys.revokedAt)];
  const notExpired = or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now));
  if (input.state === "active") conds.push(eq(apiKeys.enabled, true), notExpired);
  if (input.state === "disabled") conds.push(eq(apiKeys.enabled, false), notExpired);
  if (input.state === "expired") conds.push(lte(apiKeys.expiresAt, now));
  if (input.state === "expiring") conds.push(gt(apiKeys.expiresAt, now), lte(apiKeys.expiresAt, addUtcDays(now, EXPIRING_SOON_DAYS)));
  if (input.ownerId) conds.push(eq(apiKeys.ownerId, input.ownerId));
  const where = and(...conds);

  const dir = input.dir === "asc" ? asc : desc;
  const nullsLast = (col: SQL | AnyPgColumn) => sql`${col} ${sql.raw(input.dir)} nulls last`;
  const order: SQL[] = {
    name: [dir(sql`lower(${apiKeys.name})`)],
    owner: [nullsLast(sql`lower(${users.name})`)],
    created: [dir(apiKeys.createdAt)],
    expires: [nullsLast(apiKeys.expiresAt)],
    lastUsed: [nullsLast(apiKeys.lastUsedAt)],
  }[input.sort];

  const [rows, [{ total }]] = await Promise.all([
    db
      .select(viewColumns)
      .from(apiKeys)
      .leftJoin(users, eq(users.id, apiKeys.ownerId))
      .where(where)
      .orderBy(...order, desc(apiKeys.id))
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    db.select({ total: count() }).from(apiKeys).where(where),
  ]);
  return { rows: rows.map((r) => toView(r, now)), total, page: input.page, pageSize: input.pageSize, asOf: now.getTime() };
}

export type RetiredReason = ApiKeyPreviousSecret["retiredReason"];

/** A secret a rotation replaced, as the console and the REST API show it (never its hash). */
export interface PreviousSecretView {
  prefix: string;
  newPrefix: string;
  mode: "overlap" | "quiet";
  rotatedAt: Date;
  /** The hard deadline: the overlap's end, or quiet mode's latest retirement. */
  retireAt: Date;
  quietMinutes: number | null;
  /** Requests made with it since the rotation, and the last one (written within a second). */
  requests: number;
  lastUsedAt: Date | null;
  /** When it stopped working and why; null while it is still accepted. */
  retiredAt: Date | null;
  retiredReason: RetiredReason;
}

export interface RotatedApiKey {
  key: ApiKeyView;
  /** The new plaintext secret: returned once, never stored, never logged. */
  secret: string;
  previous: PreviousSecretView;
}

function toPreviousView(p: ApiKeyPreviousSecret): PreviousSecretView {
  return {
    prefix: p.prefix,
    newPrefix: p.newPrefix,
    mode: p.mode,
    rotatedAt: p.rotatedAt,
    retireAt: p.retireAt,
    quietMinutes: p.quietMinutes,
    requests: p.requests,
    lastUsedAt: p.lastUsedAt,
    retiredAt: p.retiredAt,
    retiredReason: p.retiredReason,
  };
}

const ROTATE_VIA_PREVIOUS = "A secret the key was rotated away from cannot rotate a key: call with the key's current secret.";

/**
 * Rolls a key: a new secret for the same key (id, name, owner, scopes, flags, logging and limits
 * all stay), the old one kept in api_key_previous_secrets until it is retired — at once, after an
 * overlap, or once quiet (with a deadline). One previous secret is accepted at a time: one still
 * pending from an earlier rotation is retired now. The new secret carries exactly the power of
 * the old, so rotating passes the same check as changing the key, and narrows its ceiling to the
 * person rotating, as a change does.
 */
export async function rotateApiKey(
  db: Db,
  ctx: WorkspaceContext,
  id: string,
  rawInput: RotateApiKeyInput | unknown,
  now = clockNow(),
): Promise<RotatedApiKey> {
  return db.transaction((tx) => rotateApiKeyInTx(tx, ctx, id, rawInput, now));
}

export async function rotateApiKeyInTx(
  tx: Tx,
  ctx: WorkspaceContext,
  id: string,
  rawInput: RotateApiKeyInput | unknown,
  now = clockNow(),
): Promise<RotatedApiKey> {
  assertCan(ctx, "api_keys.manage", MANAGE_DENIED);
  if (ctx.viaPreviousSecret) throw forbidden(ROTATE_VIA_PREVIOUS);
  // A new secret for another key is a credential with that key's budget, not the caller's; its own
  // key's new secret shares its own budget (the same key, the same counters).
  if (ctx.apiKeyId !== id) assertNotLimitedCaller(ctx);
  const input = parse(rotateApiKeySchema, rawInput);
  const current = await loadLiveKey(tx, ctx, id, { lock: true });
  if (current.key.expiresAt && current.key.expiresAt.getTime() <= now.getTime())
    throw new AppError("conflict", "This key has expired: a new secret would not work either. Change its expiry first, or create a new key.");
  const standing = await ownerStanding(tx, ctx, current.key.ownerId).catch((err: unknown) => {
    if (err instanceof AppError && err.code === "validation")
      throw forbidden("This key's owner is no longer an active member of the workspace: it can only be disabled or revoked.");
    throw err;
  });
  const allowed = assertMayIssue(ctx, { id: current.key.ownerId, standing }, current.key.scopes, "change");
  const before = current.key.permissionCeiling;
  const ceiling = before ? allowed.filter((p) => before.includes(p)) : allowed;

  const quiet = input.mode === "quiet";
  const seconds = quiet
    ? (input.deadlineDays ?? DEFAULT_DEADLINE_DAYS) * 86_400
    : typeof input.overlap === "string"
      ? ROTATION_OVERLAPS[input.overlap]
      : input.overlap!.seconds;
  const quietMinutes = quiet ? (input.quietMinutes ?? DEFAULT_QUIET_MINUTES) : null;
  const retireAt = new Date(now.getTime() + seconds * 1000);
  const secret = generateSecret();
  const newPrefix = displayPrefix(secret, "generated");

  // Only one previous secret is accepted at a time. One whose time is already up is retired for
  // that reason (as of then), not as superseded.
  await retireDuePreviousSecrets(tx, now, id);
  const superseded = await tx
    .update(apiKeyPreviousSecrets)
    .set({ retiredAt: now, retiredReason: "rotated_again" })
    .where(and(eq(apiKeyPreviousSecrets.apiKeyId, id), isNull(apiKeyPreviousSecrets.retiredAt)))
    .returning({ prefix: apiKeyPreviousSecrets.prefix });
  const [previous] = await tx
    .insert(apiKeyPreviousSecrets)
    .values({
      apiKeyId: id,
      secretHash: current.key.secretHash,
      prefix: current.key.prefix,
      newPrefix,
      mode: quiet ? "quiet" : "overlap",
      rotatedAt: now,
      rotatedById: ctx.humanId,
      retireAt,
      quietMinutes,
      retiredAt: seconds === 0 ? now : null,
      retiredReason: seconds === 0 ? "overlap_ended" : null,
    })
    .returning();
  const [updated] = await tx
    .update(apiKeys)
    .set({ secretHash: hashSecret(secret), prefix: newPrefix, source: "generated", permissionCeiling: ceiling, updatedAt: now })
    .where(and(eq(apiKeys.id, id), eq(apiKeys.workspaceId, ctx.workspace.id)))
    .returning();
  await recordAudit(tx, ctx, {
    action: "api_key.rotated",
    apiKeyId: id,
    targetName: updated.name,
    changes: { prefix: { from: current.key.prefix, to: newPrefix } },
    metadata: {
      mode: previous.mode,
      ...(quiet ? { quietMinutes, deadline: retireAt.toISOString() } : { overlapSeconds: seconds, oldSecretUntil: retireAt.toISOString() }),
      ...(superseded.length ? { retiredEarlierPrevious: superseded.map((s) => s.prefix) } : {}),
    },
  });
  return { key: toView({ ...current, key: updated }, now), secret, previous: toPreviousView(previous) };
}

/** The key's rotated-out secrets, newest first (the one still accepted, if any, first of all). */
export async function listPreviousSecrets(db: DbOrTx, ctx: WorkspaceContext, id: string, limit = 5): Promise<PreviousSecretView[]> {
  assertCan(ctx, "api_keys.read", "You don't have permission to view API keys in this workspace.");
  // A revoked key's page stays readable, its rotations included.
  await loadLiveKey(db, ctx, id, { includeRevoked: true });
  const rows = await db
    .select()
    .from(apiKeyPreviousSecrets)
    .where(eq(apiKeyPreviousSecrets.apiKeyId, id))
    .orderBy(sql`${apiKeyPreviousSecrets.retiredAt} is null desc`, desc(apiKeyPreviousSecrets.rotatedAt), desc(apiKeyPreviousSecrets.id))
    .limit(limit);
  return rows.map(toPreviousView);
}

/**
 * Marks every previous secret whose overlap or deadline has passed, or that has been quiet for
 * its window, as retired, as of when it stopped working. Verification refuses them by itself
 * (lazily); this keeps the console's account true. Idempotent: instances running it at once, or
 * after verification retired one, change nothing twice. Returns how many it retired.
 */
export async function retireDuePreviousSecrets(db: DbOrTx, now = clockNow(), keyId?: string): Promise<number> {
  const at = now.toISOString();
  const quietEnd = sql`greatest(rotated_at, coalesce(last_used_at, rotated_at)) + quiet_minutes * interval '1 minute'`;
  const quietFirst = sql`mode = 'quiet' and ${quietEnd} < retire_at and ${quietEnd} <= ${at}::timestamptz`;
  const result = (await db.execute(sql`
    update api_key_previous_secrets set
      retired_at = case when ${quietFirst} then ${quietEnd} else retire_at end,
      retired_reason = case when ${quietFirst} then 'quiet' when mode = 'quiet' then 'deadline' else 'overlap_ended' end
    where retired_at is null and (retire_at <= ${at}::timestamptz or (mode = 'quiet' and ${quietEnd} <= ${at}::timestamptz))
      ${keyId ? sql`and api_key_id = ${keyId}` : sql``}
    returning api_key_id`)) as unknown as { api_key_id: string }[] | { rows: { api_key_id: string }[] };
  const retired = Array.isArray(result) ? result : result.rows;
  // This instance refuses them from its next request; the others hear the triggers' notifications.
  if (retired.length) evictDependents(retired.map((r) => `k:${r.api_key_id}`));
  return retired.length;
}
