import { bigserial, date, index, integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { apiKeys } from "./api-keys";
import { workspaces } from "./workspaces";

// Per-key access log (BuildMaster's "API Keys and Access Logs"). Rows arrive in batches from
// lib/access-log/writer.ts. The table is partitioned by range of `at`, one partition per UTC day
// plus a DEFAULT one (migration 0012; lib/access-log/partitions.ts makes them ahead and drops
// those past the retention period whole). Drizzle cannot declare partitioning: the table it
// describes here is the partitioned parent, whose primary key must include `at`.
export const accessLogs = pgTable(
  "access_logs",
  {
    id: bigserial("id", { mode: "number" }).notNull(),
    apiKeyId: uuid("api_key_id")
      .notNull()
      .references(() => apiKeys.id, { onDelete: "cascade" }),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    at: timestamp("at", { withTimezone: true }).notNull(),
    method: text("method").notNull(),
    // Path and query, with any key value in the query redacted.
    path: text("path").notNull(),
    status: integer("status").notNull(),
    durationMs: integer("duration_ms").notNull(),
    // The refusal code (e.g. key_disabled) or null on success.
    reason: text("reason"),
    ip: text("ip"),
    integration: text("integration"),
    // Only when the key's request / response logging is on; capped at 8 KiB, secrets redacted.
    requestHeaders: text("request_headers"),
    requestBody: text("request_body"),
    responseBody: text("response_body"),
  },
  (t) => [
    primaryKey({ columns: [t.id, t.at] }),
    index("access_logs_key_at_idx").on(t.apiKeyId, t.at, t.status),
    index("access_logs_at_idx").using("brin", t.at),
  ],
);

export type AccessLog = typeof accessLogs.$inferSelect;
export type NewAccessLog = typeof accessLogs.$inferInsert;

/**
 * Access-log entries this server could not write, counted per key: shed while the database was
 * away and the buffer full, or refused by the database. Written once the database answers
 * again, so the key's page can say how many are missing and when, instead of silently showing
 * fewer requests than were made.
 */
export const accessLogGaps = pgTable(
  "access_log_gaps",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    apiKeyId: uuid("api_key_id")
      .notNull()
      .references(() => apiKeys.id, { onDelete: "cascade" }),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    // The first and the last lost entry's time.
    from: timestamp("from", { withTimezone: true }).notNull(),
    to: timestamp("to", { withTimezone: true }).notNull(),
    lost: integer("lost").notNull(),
    // buffer_full: shed while the database did not take them; refused: the database rejected the batch.
    cause: text("cause", { enum: ["buffer_full", "refused"] }).notNull(),
  },
  (t) => [index("access_log_gaps_key_to_idx").on(t.apiKeyId, t.to)],
);

export type AccessLogGap = typeof accessLogGaps.$inferSelect;

/**
 * Requests per key per minute, succeeded and refused: what the usage chart and the counts read.
 * Every request is counted here (upserted in batches); a full access-log row is kept only for a
 * refusal and for keys with request or response logging on.
 */
export const keyUsageMinutes = pgTable(
  "key_usage_minutes",
  {
    apiKeyId: uuid("api_key_id")
      .notNull()
      .references(() => apiKeys.id, { onDelete: "cascade" }),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    // The start of the minute (UTC).
    minute: timestamp("minute", { withTimezone: true }).notNull(),
    succeeded: integer("succeeded").notNull().default(0),
    refused: integer("refused").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.apiKeyId, t.minute] }), index("key_usage_minutes_minute_idx").using("brin", t.minute)],
);

/**
 * Requests per key per client address per UTC day, succeeded and refused, with when the address
 * was last seen: the key's page lists the addresses it was used from (last 7 days) beside its IP
 * rules. Counted for every request, like key_usage_minutes, and added in one statement a flush.
 */
export const keyAddressDays = pgTable(
  "key_address_days",
  {
    apiKeyId: uuid("api_key_id")
      .notNull()
      .references(() => apiKeys.id, { onDelete: "cascade" }),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    day: date("day", { mode: "string" }).notNull(),
    ip: text("ip").notNull(),
    succeeded: integer("succeeded").notNull().default(0),
    refused: integer("refused").notNull().default(0),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.apiKeyId, t.day, t.ip] }), index("key_address_days_day_idx").using("brin", t.day)],
);
