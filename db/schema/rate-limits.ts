import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

// Failed authentications per client address, shared by every app instance (fixed windows).
export const authFailures = pgTable("auth_failures", {
  clientKey: text("client_key").primaryKey(),
  windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
  failures: integer("failures").notNull(),
});
