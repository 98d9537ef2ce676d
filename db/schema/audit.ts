import { sql } from "drizzle-orm";
import { bigserial, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { apiKeys } from "./api-keys";
import { users } from "./users";
import { workspaces } from "./workspaces";

export type AuditChanges = Record<string, { from: unknown; to: unknown }>;

export const auditEvents = pgTable(
  "audit_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    workspaceId: uuid("workspace_id").references(() => workspaces.id, { onDelete: "cascade" }),
    actorUserId: uuid("actor_user_id").references(() => users.id),
    // Set when the change was made through the REST API with a key.
    actorApiKeyId: uuid("actor_api_key_id").references(() => apiKeys.id),
    action: text("action").notNull(),
    apiKeyId: uuid("api_key_id").references(() => apiKeys.id),
    // Name of the key (or other target) at the time, so the record reads well after renames.
    targetName: text("target_name"),
    changes: jsonb("changes").$type<AuditChanges>(),
    metadata: jsonb("metadata").$type<Record<string, unknown>>(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("audit_events_workspace_created_idx").on(t.workspaceId, t.createdAt),
    // Read backwards for newest first; id breaks ties for the pages and the export's keyset cursor.
    index("audit_events_created_id_idx").on(t.createdAt, t.id),
    index("audit_events_api_key_idx").on(t.apiKeyId),
    index("audit_events_actor_created_idx").on(t.actorUserId, t.createdAt),
    index("audit_events_workspace_actor_created_idx").on(t.workspaceId, t.actorUserId, t.createdAt),
    index("audit_events_action_created_idx").on(t.action, t.createdAt),
    index("audit_events_workspace_action_created_idx").on(t.workspaceId, t.action, t.createdAt),
    // The "key" filter: target name starts with (LIKE 'x%' on lower()).
    index("audit_events_target_pattern_idx").on(sql`lower(${t.targetName}) text_pattern_ops`),
  ],
);

export type AuditEvent = typeof auditEvents.$inferSelect;
