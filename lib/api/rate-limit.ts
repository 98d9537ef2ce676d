import { sql } from "drizzle-orm";
import type { Db } from "@/db";
import { authFailures } from "@/db/schema";
import { env } from "@/lib/env";

// Failed authentications are counted per client address in PostgreSQL, so every instance
// shares one budget. Each instance also remembers, in memory, addresses it has seen go over the
// limit, so a blocked client is turned away without a query; successful requests never query.

const authFailureLimit = () => env().LATCHKEY_AUTH_FAILURE_LIMIT;
const authFailureWindowSeconds = () => env().LATCHKEY_AUTH_FAILURE_WINDOW_SECONDS;

// On globalThis: Next may bundle this module more than once (route handlers, and the REST
// listener loaded by instrumentation.ts), and a blocked address must be blocked in all of them.
const g = globalThis as unknown as { __latchkeyBlockedUntil?: Map<string, number> };
const blockedUntil = (g.__latchkeyBlockedUntil ??= new Map<string, number>());

/** Seconds until this address may try again, or 0 when it is not blocked (no database access). */
export function retryAfterSeconds(client: string, now = Date.now()): number {
  const until = blockedUntil.get(client);
  if (until === undefined) return 0;
  if (until <= now) {
    blockedUntil.delete(client);
    return 0;
  }
  return Math.ceil((until - now) / 1000);
}

/** Where an address stands after a failure it just made. */
export interface AuthFailureCount {
  /** Seconds to wait when the address is now over the limit, else 0. */
  retryAfter: number;
  /** Failures it may still make in this window before it is turned away. */
  remaining: number;
  /** Seconds until the window ends and the count starts again. */
  resetSeconds: number;
}

/** Counts one failure; returns the seconds to wait when the address is now over the limit, else 0. */
export async function recordAuthFailure(db: Db, client: string, now = new Date()): Promise<number> {
  return (await countAuthFailure(db, client, now)).retryAfter;
}

/** Counts one failure and says how much of the address's budget is left (for the RateLimit header). */
export async function countAuthFailure(db: Db, client: string, now = new Date()): Promise<AuthFailureCount> {
  const windowSeconds = authFailureWindowSeconds();
  const limit = authFailureLimit();
  const fresh = sql`${authFailures.windowStart} <= ${now.toISOString()}::timestamptz - make_interval(secs => ${windowSeconds})`;
  const [row] = await db
    .insert(authFailures)
    .values({ clientKey: client, windowStart: now, failures: 1 })
    .onConflictDoUpdate({
      target: authFailures.clientKey,
      set: {
        failures: sql`case when ${fresh} then 1 else ${authFailures.failures} + 1 end`,
        windowStart: sql`case when ${fresh} then ${now.toISOString()}::timestamptz else ${authFailures.windowStart} end`,
      },
    })
    .returning({ failures: authFailures.failures, windowStart: authFailures.windowStart });
  const until = row.windowStart.getTime() + windowSeconds * 1000;
  const resetSeconds = Math.max(1, Math.ceil((until - now.getTime()) / 1000));
  if (row.failures <= limit) return { retryAfter: 0, remaining: limit - row.failures, resetSeconds };
  if (blockedUntil.size > 50_000) blockedUntil.clear();
  blockedUntil.set(client, until);
  return { retryAfter: resetSeconds, remaining: 0, resetSeconds };
}

/**
 * The IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers) for the failure budget: the
 * policy (q failures per w seconds) and where this client stands in it.
 */
export function rateLimitHeaders(remaining: number, resetSeconds: number): Record<string, string> {
  return {
    "ratelimit-policy": `"auth-failures";q=${authFailureLimit()};w=${authFailureWindowSeconds()}`,
    ratelimit: `"auth-failures";r=${Math.max(0, remaining)};t=${Math.max(0, resetSeconds)}`,
  };
}

/** Old windows are useless; purge them now and then. */
export async function purgeAuthFailures(db: Db, now = new Date()): Promise<void> {
  await db
    .delete(authFailures)
    .where(sql`${authFailures.windowStart} < ${now.toISOString()}::timestamptz - make_interval(secs => ${authFailureWindowSeconds() * 2})`);
}
