import "server-only";
import { sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import type { ApiKey, ApiKeyPreviousSecret, Role, Workspace } from "@/db/schema";
import { cacheGeneration, cacheVerification, cachedVerification, evictDependents, type Dependency } from "./cache";
import { hashSecret, isWellFormedSecret } from "./format";
import { now as clockNow } from "@/lib/clock";
import { checkAddress, compileRules, hasRules, type CompiledRules } from "@/lib/net/ip-rules";
import { flushPreviousSecretUse, lastLocalUse, noteUse } from "./previous-use";

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
  | "key_not_yet_valid"
  | "ip_not_allowed"
  | "key_rotated"
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
    | "ipAllow"
    | "ipDeny"
    | "notBefore"
    | "rateLimit"
    | "rateLimitWindow"
    | "quotaLimit"
    | "quotaPeriod"
  >;
  workspace: Workspace;
  owner: { id: string; email: string; name: string; isGlobalAdmin: boolean } | null;
  /** The owner's role in the key's workspace now; "admin" for a service key. */
  role: Role | null;
  canManageApiKeys: boolean;
  /** Set when the secret presented is one a rotation replaced (key.prefix is then the new one's). */
  previous: PreviousSecret | null;
  /** What the key's quota had used when it was looked up (lib/api-keys/limits.ts starts from it). */
  quotaUsage: { periodKey: string; used: number } | null;
}

/** A rotated-out secret as verification reads it (api_key_previous_secrets). */
export type PreviousSecret = Pick<
  ApiKeyPreviousSecret,
  "id" | "mode" | "rotatedAt" | "retireAt" | "quietMinutes" | "lastUsedAt" | "retiredAt" | "retiredReason"
>;

/** When a previous secret stopped working and why; null while it is still accepted. */
export function previousSecretEnd(
  p: PreviousSecret,
  now: Date,
  lastUse = 0,
): { at: Date; reason: NonNullable<PreviousSecret["retiredReason"]> } | null {
  if (p.retiredAt) return { at: p.retiredAt, reason: p.retiredReason ?? "overlap_ended" };
  if (now.getTime() >= p.retireAt.getTime()) return { at: p.retireAt, reason: p.mode === "quiet" ? "deadline" : "overlap_ended" };
  if (p.mode === "quiet" && p.quietMinutes !== null) {
    const quietSince = Math.max(p.rotatedAt.getTime(), p.lastUsedAt?.getTime() ?? 0, lastUse);
    const quietEnd = quietSince + p.quietMinutes * 60_000;
    if (now.getTime() >= quietEnd) return { at: new Date(quietEnd), reason: "quiet" };
  }
  return null;
}

/**
 * When a previous secret accepted now stops working if nothing else happens: the overlap's end;
 * in quiet mode the earlier of the deadline and a quiet window from now (this request is a use).
 */
export function previousSecretStopsAt(p: PreviousSecret, now: Date): Date {
  if (p.mode !== "quiet" || p.quietMinutes === null) return p.retireAt;
  return new Date(Math.min(p.retireAt.getTime(), now.getTime() + p.quietMinutes * 60_000));
}

export type Found = VerifiedKey & { ownerGone: boolean; ownerDisabled: boolean };

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

export interface VerifyOptions {
  via: PresentedVia;
  now?: Date;
  /**
   * The client's address, for the key's IP rules (clientAddress decides it: never a raw
   * X-Forwarded-For); null when it cannot be known (a key with rules is then refused). Omitted:
   * the rules are not evaluated (POST /api/data/verify without an ip says so in its answer).
   */
  ip?: string | null;
}

export async function verifyApiKey(db: DbOrTx, secret: string, opts: VerifyOptions): Promise<VerifyResult> {
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
  const now = opts.now ?? clockNow();
  return evaluate(found.previous ? await confirmQuiet(db, found, now) : found, opts.via, now, opts.ip);
}

/**
 * A previous secret in quiet mode that looks quiet from here (its last use as read into the cache,
 * or as seen by this process) may have been used on another instance since. So before it is
 * refused, the database decides, in one statement that also retires it (once: the first instance
 * to find it quiet), as of when it went quiet. Otherwise its newer last use is remembered and it
 * is accepted. This is the only write verification makes, once per retired secret.
 */
async function confirmQuiet(db: DbOrTx, found: Found, now: Date): Promise<Found> {
  const p = found.previous!;
  const end = previousSecretEnd(p, now, lastLocalUse(p.id));
  if (!end || end.reason !== "quiet" || p.retiredAt) return found;
  // This process's uses not written yet go first, so the count and the last use are whole.
  await flushPreviousSecretUse();
  const local = new Date(lastLocalUse(p.id)).toISOString();
  const retired = await rows<{ retired_at: Date | string; last_used_at: Date | string | null }>(
    db,
    sql`update api_key_previous_secrets
      set retired_at = greatest(rotated_at, coalesce(last_used_at, rotated_at), ${local}::timestamptz) + quiet_minutes * interval '1 minute', retired_reason = 'quiet'
      where id = ${p.id} and retired_at is null and mode = 'quiet'
        and greatest(rotated_at, coalesce(last_used_at, rotated_at), ${local}::timestamptz) + quiet_minutes * interval '1 minute' <= ${now.toISOString()}::timestamptz
      returning retired_at, last_used_at`,
  );
  if (retired[0]) {
    // This instance need not wait for its own notification: what was cached of the key goes now.
    evictDependents([`k:${found.key.id}`]);
    return {
      ...found,
      previous: { ...p, retiredAt: toDate(retired[0].retired_at), retiredReason: "quiet", lastUsedAt: toDateOrNull(retired[0].last_used_at) },
    };
  }
  const [row] = await rows<{ last_used_at: Date | string | null; retired_at: Date | string | null; retired_reason: PreviousSecret["retiredReason"] }>(
    db,
    sql`select last_used_at, retired_at, retired_reason from api_key_previous_secrets where id = ${p.id}`,
  );
  if (!row) return { ...found, previous: { ...p, retiredAt: now, retiredReason: "rotated_again" } };
  if (row.last_used_at) noteUse(p.id, toDate(row.last_used_at).getTime());
  return {
    ...found,
    previous: { ...p, lastUsedAt: toDateOrNull(row.last_used_at), retiredAt: toDateOrNull(row.retired_at), retiredReason: row.retired_reason },
  };
}

async function rows<T>(db: DbOrTx, query: ReturnType<typeof sql>): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}

/** The key and everything its verification depends on: from the cache, or one indexed query. */
async function lookupKey(db: DbOrTx, hash: string): Promise<Found | null> {
  const cached = cachedVerification<Found>(hash);
  if (cached) return cached;
  const startedAt = cacheGeneration();
  const found = await readKey(db, hash);
  // Unknown keys are not cached: anyone could fill the cache with them.
  if (!found) return null;
  // What this verification depends on: a change to any of them evicts it (cache.ts).
  const deps: Dependency[] = [`k:${found.key.id}`, `w:${found.workspace.id}`];
  if (found.key.ownerId) deps.push(`u:${found.key.ownerId}`);
  cacheVerification(hash, found, deps, startedAt);
  return found;
}

// The cold path's one query, as fixed SQL text: built once, not per request through the query
// builder (which cost more CPU than the rest of a verification), and prepared by postgres.js
// once per connection. Its columns are mapped by hand below; lookup.test.ts holds that mapping
// to what the query builder reads from the schema. It reads any number of keys by their hashes
// at once: the misses that arrive together are looked up together (readKey, below).
// A hash is looked up among the keys' current secrets and their previous ones (a rotation's) at
// once: `hit` names the key and, for a previous secret, its row.
const LOOKUP_HIT = sql`
  select hit.hash as secret_hash, k.id, k.name, k.prefix, k.kind, k.owner_id, k.created_by_id, k.permission_ceiling, k.scopes, k.expires_at,
    k.enabled, k.bearer_allowed, k.log_requests, k.log_responses, k.revoked_at,
    k.ip_allow, k.ip_deny, k.not_before, k.rate_limit, k.rate_limit_window, k.quota_limit, k.quota_period,
    qu.period_key as q_period_key, qu.used as q_used,
    w.id as w_id, w.slug as w_slug, w.name as w_name, w.api_keys_enabled as w_api_keys_enabled,
    w.max_key_lifetime_days as w_max_key_lifetime_days, w.personal_tokens_allowed as w_personal_tokens_allowed,
    w.created_at as w_created_at, w.default_rate_limit as w_default_rate_limit, w.default_rate_limit_window as w_default_rate_limit_window,
    w.default_quota_limit as w_default_quota_limit, w.default_quota_period as w_default_quota_period,
    w.reminder_days as w_reminder_days,
    u.email as owner_email, u.name as owner_name, u.is_global_admin as owner_is_global_admin,
    u.deleted_at as owner_deleted_at, u.disabled_at as owner_disabled_at,
    m.role, m.can_manage_api_keys,
    p.id as p_id, p.mode as p_mode, p.rotated_at as p_rotated_at, p.retire_at as p_retire_at, p.quiet_minutes as p_quiet_minutes,
    p.last_used_at as p_last_used_at, p.retired_at as p_retired_at, p.retired_reason as p_retired_reason
  from (select c.secret_hash as hash, c.id as key_id, null::uuid as previous_id from api_keys c where c.secret_hash = any(`;
const LOOKUP_PREVIOUS = sql`::text[])
    union all
    select o.secret_hash, o.api_key_id, o.id from api_key_previous_secrets o where o.secret_hash = any(`;
const LOOKUP_JOINS = sql`::text[])) hit
  join api_keys k on k.id = hit.key_id
  join workspaces w on w.id = k.workspace_id
  left join users u on u.id = k.owner_id
  left join memberships m on m.user_id = k.owner_id and m.workspace_id = k.workspace_id
  left join api_key_previous_secrets p on p.id = hit.previous_id
  left join api_key_quota_usage qu on qu.api_key_id = k.id and k.quota_limit is not null`;

interface LookupRow {
  secret_hash: string;
  id: string;
  name: string;
  prefix: string;
  kind: ApiKey["kind"];
  owner_id: string | null;
  created_by_id: string | null;
  permission_ceiling: string[] | null;
  scopes: string[];
  expires_at: Date | string | null;
  enabled: boolean;
  bearer_allowed: boolean;
  log_requests: boolean;
  log_responses: boolean;
  revoked_at: Date | string | null;
  ip_allow: string[];
  ip_deny: string[];
  not_before: Date | string | null;
  rate_limit: number | null;
  rate_limit_window: ApiKey["rateLimitWindow"];
  quota_limit: number | null;
  quota_period: ApiKey["quotaPeriod"];
  q_period_key: string | null;
  q_used: number | string | null;
  w_id: string;
  w_slug: string;
  w_name: string;
  w_api_keys_enabled: boolean;
  w_max_key_lifetime_days: number | null;
  w_personal_tokens_allowed: boolean;
  w_reminder_days: number[];
  w_created_at: Date | string;
  w_default_rate_limit: number | null;
  w_default_rate_limit_window: Workspace["defaultRateLimitWindow"];
  w_default_quota_limit: number | null;
  w_default_quota_period: Workspace["defaultQuotaPeriod"];
  owner_email: string | null;
  owner_name: string | null;
  owner_is_global_admin: boolean | null;
  owner_deleted_at: Date | string | null;
  owner_disabled_at: Date | string | null;
  role: string | null;
  can_manage_api_keys: boolean | null;
  p_id: string | null;
  p_mode: PreviousSecret["mode"] | null;
  p_rotated_at: Date | string | null;
  p_retire_at: Date | string | null;
  p_quiet_minutes: number | null;
  p_last_used_at: Date | string | null;
  p_retired_at: Date | string | null;
  p_retired_reason: PreviousSecret["retiredReason"];
}

// Drizzle's drivers hand raw timestamps over as text (postgres.js) or as dates (PGlite).
const toDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));
const toDateOrNull = (v: Date | string | null): Date | null => (v === null ? null : toDate(v));

// Cache misses are looked up in batches: every hash asked for while the event loop works through
// what has arrived is read by one query when it is done (setImmediate), so under load 50 misses
// cost one round trip, one statement for PostgreSQL to run and one socket write, not 50; alone, a
// miss waits for nothing but the rest of the current turn. A batch belongs to one handle (or one
// transaction, which cannot end meanwhile: its callback is waiting for this very answer).
const MAX_BATCH = 200;

interface Waiter {
  resolve(found: Found | null): void;
  reject(err: unknown): void;
}

const batches = new WeakMap<DbOrTx, Map<string, Waiter[]>>();

const HASH = /^[0-9a-f]{64}$/;

function readKey(db: DbOrTx, hash: string): Promise<Found | null> {
  // Nothing else is stored (and a comma or brace would not fit the batch's array literal).
  if (!HASH.test(hash)) return Promise.resolve(null);
  let batch = batches.get(db);
  if (!batch) {
    const opened = new Map<string, Waiter[]>();
    batches.set(db, (batch = opened));
    setImmediate(() => {
      batches.delete(db);
      const hashes = [...opened.keys()];
      for (let i = 0; i < hashes.length; i += MAX_BATCH) void readBatch(db, hashes.slice(i, i + MAX_BATCH), opened);
    });
  }
  const waiting = batch.get(hash);
  return new Promise((resolve, reject) => {
    if (waiting) waiting.push({ resolve, reject });
    else batch.set(hash, [{ resolve, reject }]);
  });
}

async function readBatch(db: DbOrTx, hashes: string[], waiters: Map<string, Waiter[]>): Promise<void> {
  try {
    // One array parameter, so the statement's text is the same for every batch size. The hashes
    // are SHA-256 in hex (hashSecret), which an array literal holds without quoting.
    const list = `{${hashes.join(",")}}`;
    const read = await rows<LookupRow>(db, sql`${LOOKUP_HIT}${list}${LOOKUP_PREVIOUS}${list}${LOOKUP_JOINS}`);
    const found = new Map(read.map((row) => [row.secret_hash, row]));
    for (const hash of hashes) {
      const row = found.get(hash);
      const value = row ? mapRow(row) : null;
      for (const w of waiters.get(hash)!) w.resolve(value);
    }
  } catch (err) {
    for (const hash of hashes) for (const w of waiters.get(hash)!) w.reject(err);
  }
}

function mapRow(row: LookupRow): Found {
  const isService = row.owner_id === null;
  return {
    key: {
      id: row.id,
      name: row.name,
      prefix: row.prefix,
      kind: row.kind,
      ownerId: row.owner_id,
      createdById: row.created_by_id,
      permissionCeiling: row.permission_ceiling,
      scopes: row.scopes,
      expiresAt: toDateOrNull(row.expires_at),
      enabled: row.enabled,
      bearerAllowed: row.bearer_allowed,
      logRequests: row.log_requests,
      logResponses: row.log_responses,
      revokedAt: toDateOrNull(row.revoked_at),
      ipAllow: row.ip_allow,
      ipDeny: row.ip_deny,
      notBefore: toDateOrNull(row.not_before),
      rateLimit: row.rate_limit,
      rateLimitWindow: row.rate_limit_window,
      quotaLimit: row.quota_limit,
      quotaPeriod: row.quota_period,
    },
    workspace: {
      id: row.w_id,
      slug: row.w_slug,
      name: row.w_name,
      apiKeysEnabled: row.w_api_keys_enabled,
      maxKeyLifetimeDays: row.w_max_key_lifetime_days,
      personalTokensAllowed: row.w_personal_tokens_allowed,
      reminderDays: row.w_reminder_days,
      createdAt: toDate(row.w_created_at),
      defaultRateLimit: row.w_default_rate_limit,
      defaultRateLimitWindow: row.w_default_rate_limit_window,
      defaultQuotaLimit: row.w_default_quota_limit,
      defaultQuotaPeriod: row.w_default_quota_period,
    },
    owner:
      isService || row.owner_email === null
        ? null
        : { id: row.owner_id!, email: row.owner_email, name: row.owner_name!, isGlobalAdmin: row.owner_is_global_admin! },
    role: isService ? "admin" : ((row.role as Role | null) ?? null),
    canManageApiKeys: isService ? false : (row.can_manage_api_keys ?? false),
    previous:
      row.p_id === null
        ? null
        : {
            id: row.p_id,
            mode: row.p_mode!,
            rotatedAt: toDate(row.p_rotated_at!),
            retireAt: toDate(row.p_retire_at!),
            quietMinutes: row.p_quiet_minutes,
            lastUsedAt: toDateOrNull(row.p_last_used_at),
            retiredAt: toDateOrNull(row.p_retired_at),
            retiredReason: row.p_retired_reason,
          },
    quotaUsage: row.q_period_key === null ? null : { periodKey: row.q_period_key, used: Number(row.q_used) },
    ownerGone: !isService && (row.owner_deleted_at !== null || row.owner_email === null || (row.role === null && !row.owner_is_global_admin)),
    ownerDisabled: !isService && row.owner_disabled_at !== null,
  };
}

const ROTATION_END: Record<NonNullable<PreviousSecret["retiredReason"]>, string> = {
  overlap_ended: "its overlap ended",
  deadline: "its retirement deadline passed",
  quiet: "it had not been used for its quiet period",
  rotated_again: "the key was rotated again",
};

/** For tests: the hand-mapped lookup, without the cache. */
export const readKeyForTests = readKey;

// The key's rules, compiled once per looked-up key: the cache shares one key object among all the
// requests an entry serves, and a change to the key makes a new entry (and a new object).
const compiled = new WeakMap<object, CompiledRules>();
function rulesOf(key: VerifiedKey["key"]): CompiledRules {
  let rules = compiled.get(key);
  if (!rules) compiled.set(key, (rules = compileRules({ allow: key.ipAllow, deny: key.ipDeny })));
  return rules;
}

/** The refusal of a request from `ip` by the key's rules, or null when they let it through. */
export function ipRefusal(found: VerifiedKey, ip: string | null): VerifyResult | null {
  const rules = rulesOf(found.key);
  if (!hasRules(rules) || checkAddress(rules, ip) === "allowed") return null;
  return fail(
    "ip_not_allowed",
    403,
    ip ? `This API key may not be used from ${ip}.` : "This API key may not be used from an address that cannot be known.",
    "The key's IP rules (its allow and deny lists) refuse this address; a workspace admin can change them on the key's page.",
    found,
  );
}

/** The checks, in order, against the key as it is now (expiry against the current time). */
function evaluate({ ownerGone, ownerDisabled, ...found }: Found, via: PresentedVia, now: Date, ip: string | null | undefined): VerifyResult {
  const { key, workspace } = found;
  if (key.revokedAt) return fail("key_revoked", 401, "This API key has been revoked.", undefined, found);
  const rotated = found.previous && previousSecretEnd(found.previous, now, lastLocalUse(found.previous.id));
  if (rotated)
    return fail(
      "key_rotated",
      401,
      `This API key was rotated at ${found.previous!.rotatedAt.toISOString()}; the secret sent stopped working at ${rotated.at.toISOString()} (${ROTATION_END[rotated.reason]}).`,
      `Use the key's new secret (${key.prefix}); an admin can roll the key again on its page.`,
      found,
    );
  if (key.expiresAt && key.expiresAt <= now)
    return fail("key_expired", 401, `This API key expired on ${key.expiresAt.toISOString().slice(0, 10)}.`, undefined, found);
  if (key.notBefore && key.notBefore > now)
    return fail("key_not_yet_valid", 401, `This API key is not valid before ${key.notBefore.toISOString()}.`, undefined, found);
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
  // Last: the key is real and in order, so this refusal is not a guess (the handler does not count it).
  if (ip !== undefined) {
    const refusal = ipRefusal(found, ip);
    if (refusal) return refusal;
  }
  return { ok: true, value: found };
}
