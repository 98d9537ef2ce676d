import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

// Failed authentications per client address, shared by every app instance (fixed windows).
export const authFailures = pgTable("auth_failures", {
  clientKey: text("client_key").primaryKey(),
  windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
  failures: integer("failures").notNull(),
});

// Failed console sign-ins, per account ("account:<email>") and per address bucket ("ip:<addr>"),
// shared by every instance. `blockedUntil` grows with each failure past the free attempts.
export const signInThrottle = pgTable("sign_in_throttle", {
  throttleKey: text("throttle_key").primaryKey(),
  failures: integer("failures").notNull(),
  lastFailureAt: timestamp("last_failure_at", { withTimezone: true }).notNull(),
  blockedUntil: timestamp("blocked_until", { withTimezone: true }),
});
