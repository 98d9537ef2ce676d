import { sql } from "drizzle-orm";
import { index, integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { apiKeys } from "./api-keys";
import { users } from "./users";
import { workspaces } from "./workspaces";

export const NOTIFICATION_KINDS = ["key_expiring", "key_expired", "key_quota_threshold", "key_leaked"] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

// What the console's bell lists for one person. Plain text only: the bell and the emails show it
// as written, so nothing here is ever markup, and nothing here is ever a secret.
export const notifications = pgTable(
  "notifications",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    workspaceId: uuid("workspace_id").references(() => workspaces.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: NOTIFICATION_KINDS }).notNull(),
    // The key stays named in the text after it is gone.
    apiKeyId: uuid("api_key_id").references(() => apiKeys.id, { onDelete: "set null" }),
    title: text("title").notNull(),
    body: text("body").notNull(),
    // A console path (never an absolute URL), where a click on it leads.
    href: text("href").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    readAt: timestamp("read_at", { withTimezone: true }),
  },
  (t) => [
    index("notifications_user_created_idx").on(t.userId, t.createdAt.desc(), t.id.desc()),
    // The bell's unread count on every console page.
    index("notifications_user_unread_idx")
      .on(t.userId)
      .where(sql`${t.readAt} is null`),
    // A key's deletion (its workspace's) clears the link without scanning every notification.
    index("notifications_api_key_idx").on(t.apiKeyId),
  ],
);

export type Notification = typeof notifications.$inferSelect;

// One row per reminder sent: the claim that makes each one go out once, whichever instance (or
// how many at once) runs the job. Keyed by the expiry it was sent for, so a key whose expiry is
// moved is reminded afresh about the new one. days_before 0 is the "has expired" notice.
export const keyReminders = pgTable(
  "key_reminders",
  {
    apiKeyId: uuid("api_key_id")
      .notNull()
      .references(() => apiKeys.id, { onDelete: "cascade" }),
    daysBefore: integer("days_before").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    sentAt: timestamp("sent_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.apiKeyId, t.daysBefore, t.expiresAt] })],
);

export const EMAIL_STATUSES = ["pending", "sent", "failed"] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

// Email written in the transaction of the event it tells about, sent afterwards by a worker:
// an email is never sent for a change that rolled back, and never lost for one that committed.
export const emailOutbox = pgTable(
  "email_outbox",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    to: text("to").notNull(),
    subject: text("subject").notNull(),
    text: text("text").notNull(),
    status: text("status", { enum: EMAIL_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    // The SMTP server's reply code and words only; never the message or the server's address with credentials.
    lastError: text("last_error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [
    // The worker reads only what is due.
    index("email_outbox_pending_idx")
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
    // Sent mail is purged after a week (lib/email/outbox.ts purgeSentEmails).
    index("email_outbox_sent_idx")
      .on(t.sentAt)
      .where(sql`${t.status} = 'sent'`),
  ],
);

export type EmailOutboxRow = typeof emailOutbox.$inferSelect;
