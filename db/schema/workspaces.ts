import { boolean, index, integer, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { users } from "./users";
import { QUOTA_PERIODS, RATE_LIMIT_WINDOWS } from "../../lib/validations/limits";

export const workspaces = pgTable(
  "workspaces",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    // "API key authentication" feature toggle (OpenText PPM).
    apiKeysEnabled: boolean("api_keys_enabled").notNull().default(true),
    // Maximum key lifetime in days; null means "no maximum" (and then keys may never expire).
    maxKeyLifetimeDays: integer("max_key_lifetime_days").default(730),
    personalTokensAllowed: boolean("personal_tokens_allowed").notNull().default(false),
    // The rate limit and quota a new key gets when its creator sets none; null: unlimited.
    defaultRateLimit: integer("default_rate_limit"),
    defaultRateLimitWindow: text("default_rate_limit_window", { enum: RATE_LIMIT_WINDOWS }),
    defaultQuotaLimit: integer("default_quota_limit"),
    defaultQuotaPeriod: text("default_quota_period", { enum: QUOTA_PERIODS }),
    // Days before a key's expiry that its owner, creator and the workspace's Admins are reminded.
    reminderDays: integer("reminder_days")
      .array()
      .notNull()
      .default(sql`'{14,7,1}'::integer[]`),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("workspaces_slug_idx").on(t.slug)],
);

export const roleEnum = pgEnum("membership_role", ["admin", "manager", "member", "guest"]);
export type Role = (typeof roleEnum.enumValues)[number];

export const memberships = pgTable(
  "memberships",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: roleEnum("role").notNull().default("member"),
    // The "Manage API Keys" grant (OpenText PPM): lets a non-admin manage the workspace's keys.
    canManageApiKeys: boolean("can_manage_api_keys").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("memberships_workspace_user_idx").on(t.workspaceId, t.userId), index("memberships_user_idx").on(t.userId)],
);

export type Workspace = typeof workspaces.$inferSelect;
export type Membership = typeof memberships.$inferSelect;
