import { sql } from "drizzle-orm";
import { bigint, boolean, check, index, integer, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { REVOCATION_REASONS } from "../../lib/validations/revocation";
import { QUOTA_PERIODS, RATE_LIMIT_WINDOWS } from "../../lib/validations/limits";
import { users } from "./users";
import { workspaces } from "./workspaces";

// "workspace" keys are managed on the Account > API tab; "personal" tokens belong to one user (TeamGantt).
export const apiKeyKindEnum = pgEnum("api_key_kind", ["workspace", "personal"]);
export const apiKeySourceEnum = pgEnum("api_key_source", ["generated", "imported"]);
export const revocationReasonEnum = pgEnum("api_key_revocation_reason", REVOCATION_REASONS);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    kind: apiKeyKindEnum("kind").notNull().default("workspace"),
    // null owner = workspace service key, acting as a workspace Admin.
    ownerId: uuid("owner_id").references(() => users.id),
    name: text("name").notNull(),
    description: text("description"),
    // SHA-256 (hex) of the secret; the secret itself is never stored.
    secretHash: text("secret_hash").notNull(),
    // e.g. "lk_AbCd1234…": enough to recognise a key, useless to an attacker.
    prefix: text("prefix").notNull(),
    source: apiKeySourceEnum("source").notNull().default("generated"),
    scopes: text("scopes").array().notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    enabled: boolean("enabled").notNull().default(true),
    bearerAllowed: boolean("bearer_allowed").notNull().default(true),
    logRequests: boolean("log_requests").notNull().default(false),
    logResponses: boolean("log_responses").notNull().default(false),
    // The person who made the key, also when it was minted through another key (that key's maker).
    createdById: uuid("created_by_id").references(() => users.id),
    // The key it was minted through over the REST API, if any.
    createdViaKeyId: uuid("created_via_key_id"),
    // What the maker and the owner could both do in the workspace when the key was made
    // (permission names): the key never does more, whatever its owner is promoted to later.
    // Keys older than this column were given their owner's permissions at migration. null
    // means no ceiling (only the owner's permissions now limit the key).
    permissionCeiling: text("permission_ceiling").array(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    lastUsedIp: text("last_used_ip"),
    lastUsedIntegration: text("last_used_integration"),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    revokedById: uuid("revoked_by_id").references(() => users.id),
    // Why it was revoked; null when no reason was given (over REST) or recorded (before reasons were kept).
    revokedReason: revocationReasonEnum("revoked_reason"),
    // What the person wrote, for the reason "other" only.
    revokedReasonText: text("revoked_reason_text"),
    // IP rules (lib/net/ip-rules.ts), canonical CIDR text: deny wins; an empty allow list allows any address.
    ipAllow: text("ip_allow")
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    ipDeny: text("ip_deny")
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    // The key is refused (key_not_yet_valid) before this time; null: from its creation.
    notBefore: timestamp("not_before", { withTimezone: true }),
    // Requests per window (lib/api-keys/limits.ts); both null: no rate limit.
    rateLimit: integer("rate_limit"),
    rateLimitWindow: text("rate_limit_window", { enum: RATE_LIMIT_WINDOWS }),
    // Requests per UTC day or month, or in total; both null: no quota. What was used is in api_key_quota_usage.
    quotaLimit: integer("quota_limit"),
    quotaPeriod: text("quota_period", { enum: QUOTA_PERIODS }),
  },
  (t) => [
    uniqueIndex("api_keys_secret_hash_idx").on(t.secretHash),
    // Names are unique among a workspace's live keys (case-insensitive), and among a user's live tokens.
    uniqueIndex("api_keys_live_name_idx")
      .on(t.workspaceId, sql`lower(${t.name})`)
      .where(sql`${t.revokedAt} is null and ${t.kind} = 'workspace'`),
    uniqueIndex("api_keys_live_token_name_idx")
      .on(t.workspaceId, t.ownerId, sql`lower(${t.name})`)
      .where(sql`${t.revokedAt} is null and ${t.kind} = 'personal'`),
    index("api_keys_workspace_created_idx").on(t.workspaceId, t.kind, t.createdAt),
    index("api_keys_owner_idx").on(t.ownerId),
    // Admin > Keys across every workspace: the default order and the CSV export's keyset cursor.
    index("api_keys_created_id_idx").on(t.createdAt, t.id),
    // Sorting by last use (never-used keys last) and counting live keys, measured with bench/pages.ts.
    index("api_keys_last_used_idx").on(t.lastUsedAt.desc().nullsLast()),
    index("api_keys_name_lower_idx").on(sql`lower(${t.name})`),
    index("api_keys_live_created_id_idx")
      .on(t.createdAt, t.id)
      .where(sql`${t.revokedAt} is null`),
    index("api_keys_live_workspace_owner_idx")
      .on(t.workspaceId, t.ownerId)
      .where(sql`${t.revokedAt} is null`),
    index("api_keys_live_workspace_last_used_idx")
      .on(t.workspaceId, t.lastUsedAt.desc().nullsLast())
      .where(sql`${t.revokedAt} is null and ${t.kind} = 'workspace'`),
    index("api_keys_expires_idx").on(t.expiresAt),
    // Case-insensitive "starts with" search by name or display prefix (LIKE 'x%' on lower()).
    index("api_keys_name_pattern_idx").on(sql`lower(${t.name}) text_pattern_ops`),
    index("api_keys_prefix_pattern_idx").on(sql`lower(${t.prefix}) text_pattern_ops`),
    check("api_keys_revoked_reason_text_check", sql`${t.revokedReasonText} is null or ${t.revokedReason} = 'other'`),
    check(
      "api_keys_rate_limit_check",
      sql`(${t.rateLimit} is null) = (${t.rateLimitWindow} is null) and (${t.rateLimit} is null or ${t.rateLimit} > 0)`,
    ),
    check("api_keys_quota_check", sql`(${t.quotaLimit} is null) = (${t.quotaPeriod} is null) and (${t.quotaLimit} is null or ${t.quotaLimit} > 0)`),
  ],
);

export type ApiKey = typeof apiKeys.$inferSelect;
export type NewApiKey = typeof apiKeys.$inferInsert;

/** How a rotated-out secret is retired: after a fixed overlap, or once it has gone quiet. */
export const ROTATION_MODES = ["overlap", "quiet"] as const;
/** Why a previous secret stopped working. */
export const RETIRED_REASONS = ["overlap_ended", "deadline", "quiet", "rotated_again"] as const;

// The secret a rotation replaced. The key itself (its id, settings, owner, scopes) stays in
// api_keys with the new secret; the old one keeps working here until it is retired. Only one
// previous secret per key is accepted at a time (a second rotation retires the first at once);
// retired ones are kept so a client still sending one is told `key_rotated`, not `unknown_key`.
export const apiKeyPreviousSecrets = pgTable(
  "api_key_previous_secrets",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    apiKeyId: uuid("api_key_id")
      .notNull()
      .references(() => apiKeys.id, { onDelete: "cascade" }),
    // SHA-256 (hex) of the old secret, as api_keys.secret_hash was.
    secretHash: text("secret_hash").notNull(),
    prefix: text("prefix").notNull(),
    // The display prefix of the secret that replaced it.
    newPrefix: text("new_prefix").notNull(),
    mode: text("mode", { enum: ROTATION_MODES }).notNull(),
    rotatedAt: timestamp("rotated_at", { withTimezone: true }).notNull(),
    rotatedById: uuid("rotated_by_id").references(() => users.id),
    // The hard deadline: the end of the overlap, or the quiet mode's latest retirement.
    retireAt: timestamp("retire_at", { withTimezone: true }).notNull(),
    // Quiet mode: retired once unused this long after the rotation; null in overlap mode.
    quietMinutes: integer("quiet_minutes"),
    // Its traffic since the rotation (batched like api_keys.last_used_at: no write per request).
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    requests: integer("requests").notNull().default(0),
    // When it stopped working (not when that was noticed), and why.
    retiredAt: timestamp("retired_at", { withTimezone: true }),
    retiredReason: text("retired_reason", { enum: RETIRED_REASONS }),
  },
  (t) => [
    uniqueIndex("api_key_previous_secrets_hash_idx").on(t.secretHash),
    index("api_key_previous_secrets_key_idx").on(t.apiKeyId, t.rotatedAt.desc()),
    // The retirement job reads only the pending ones.
    index("api_key_previous_secrets_pending_idx")
      .on(t.retireAt)
      .where(sql`${t.retiredAt} is null`),
  ],
);

export type ApiKeyPreviousSecret = typeof apiKeyPreviousSecrets.$inferSelect;

// What each key's quota has used in its current period, written in batches (never a write per
// request) by every instance adding what it counted. A table of its own: api_keys' change trigger
// would otherwise evict the key from every instance's verification cache at each batch.
export const apiKeyQuotaUsage = pgTable("api_key_quota_usage", {
  apiKeyId: uuid("api_key_id")
    .primaryKey()
    .references(() => apiKeys.id, { onDelete: "cascade" }),
  // lib/validations/limits.ts quotaPeriodKey: "d2026-12-02", "m2026-12" or "t".
  periodKey: text("period_key").notNull(),
  used: bigint("used", { mode: "number" }).notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

// Quota thresholds (80 %, 100 %) already announced, once per key, period and limit across every
// instance: the row is claimed in the transaction that writes the audit event.
export const apiKeyQuotaAlerts = pgTable(
  "api_key_quota_alerts",
  {
    apiKeyId: uuid("api_key_id")
      .notNull()
      .references(() => apiKeys.id, { onDelete: "cascade" }),
    periodKey: text("period_key").notNull(),
    // A topped-up total quota announces its thresholds again, for the new limit.
    quotaLimit: integer("quota_limit").notNull(),
    percent: integer("percent").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.apiKeyId, t.periodKey, t.quotaLimit, t.percent] })],
);
