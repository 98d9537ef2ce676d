import { boolean, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    email: text("email").notNull(),
    name: text("name").notNull(),
    // scrypt (memory-hard) hash in a self-describing format; see lib/auth/password.ts
    passwordHash: text("password_hash").notNull(),
    isGlobalAdmin: boolean("is_global_admin").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    // A deleted user keeps their row so audit events still name them; they can no longer sign in.
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
    // A disabled user cannot sign in and their keys stop working, until a Global Admin re-enables them.
    disabledAt: timestamp("disabled_at", { withTimezone: true }),
    // Sessions issued before this moment are refused (password change, "sign out everywhere").
    sessionsValidAfter: timestamp("sessions_valid_after", { withTimezone: true }),
    // Set for a one-time password a Global Admin handed out: the user must choose their own at sign-in.
    mustChangePassword: boolean("must_change_password").notNull().default(false),
    passwordChangedAt: timestamp("password_changed_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("users_email_lower_idx").on(sql`lower(${t.email})`)],
);

export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
