import { addSeconds, differenceInSeconds, subSeconds } from "date-fns";
import { millisecondsInMinute, secondsInDay, secondsInHour } from "date-fns/constants";
import { and, eq, gt, inArray, isNull, lt, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db";
import { signInThrottle, users } from "@/db/schema";
import { purgeAuthFailures } from "@/lib/api/rate-limit";
import { rateLimitBucket } from "@/lib/net/client-address";
import { dummyPasswordHash, hashPassword, needsRehash, PasswordHashingBusy, verifyPassword } from "./password";

// Failed console sign-ins are counted in the database (so every instance shares them) under two
// keys: the account ("account:<lower-cased email>", for unknown emails too, so a refusal says
// nothing about whether an account exists) and the client's address ("ip:<bucket>", IPv6 per
// /64). The first few failures on a key are free; each one after that blocks the key for a
// delay that doubles, from a minute up to an hour. While a key is blocked, sign-in is refused
// before any password is hashed, so a flood costs a query, not half a second of scrypt.
//
// An account's block applies from every address: it is the account that is under attack, and
// an attacker can change address far more easily than guess a password. The cost is that
// someone can keep a known email locked (an hour at most per failure past the free ones); the
// owner still gets in once it lapses, and a success clears the account's count. A success does
// not clear the address's count, or an attacker holding one account could wipe their address's
// record between guesses at others.

export const ACCOUNT_FREE_FAILURES = 5;
// Higher than an account's: many people can share one address (an office, a carrier's NAT).
export const ADDRESS_FREE_FAILURES = 20;
const FIRST_DELAY_SECONDS = 60;
export const MAX_DELAY_SECONDS = secondsInHour;
// Longer than the longest block, or waiting a block out would also restore the free attempts.
const FORGET_AFTER_SECONDS = secondsInDay;

export const accountKey = (email: string) => `account:${email.trim().toLowerCase()}`;
export const addressKey = (ip: string | null) => `ip:${rateLimitBucket(ip)}`;

/** The block after the n-th failure on a key with `free` free failures, in seconds (0: none). */
export function delaySeconds(failures: number, free: number): number {
  if (failures <= free) return 0;
  return Math.min(FIRST_DELAY_SECONDS * 2 ** Math.min(failures - free - 1, 12), MAX_DELAY_SECONDS);
}

/** The sentence the login form shows, also for a refusal because hashing is saturated. */
export function throttleMessage(seconds: number): string {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return `Too many attempts; try again in ${minutes} ${minutes === 1 ? "minute" : "minutes"}.`;
}

const secondsUntil = (until: Date, now: Date) => Math.max(1, differenceInSeconds(until, now, { roundingMethod: "ceil" }));

/** Seconds until every one of these keys may try again (0: none is blocked). */
export async function signInBlockedFor(db: Db, keys: string[], now = new Date()): Promise<number> {
  const rows = await db
    .select({ blockedUntil: signInThrottle.blockedUntil })
    .from(signInThrottle)
    .where(and(inArray(signInThrottle.throttleKey, keys), gt(signInThrottle.blockedUntil, now)));
  let wait = 0;
  for (const r of rows) if (r.blockedUntil) wait = Math.max(wait, secondsUntil(r.blockedUntil, now));
  return wait;
}

/**
 * Counts one failure on each key (one atomic upsert per key, so concurrent failures are all
 * counted); returns the seconds the failure blocked them for, or 0 while still within the free ones.
 */
export async function recordSignInFailure(db: Db, keys: { key: string; free: number }[], now = new Date()): Promise<number> {
  const at = sql`${now.toISOString()}::timestamptz`;
  const results = await Promise.all(
    keys.map(async ({ key, free }) => {
      const stale = sql`${signInThrottle.lastFailureAt} < ${at} - make_interval(secs => ${FORGET_AFTER_SECONDS})`;
      const count = sql`(case when ${stale} then 1 else ${signInThrottle.failures} + 1 end)`;
      const blockFor = (n: SQL | number) =>
        sql`(case when ${n} > ${free} then ${at} + make_interval(secs => least(${FIRST_DELAY_SECONDS} * power(2, least(${n} - ${free} - 1, 12)), ${MAX_DELAY_SECONDS})) end)`;
      const [row] = await db
        .insert(signInThrottle)
        .values({
          throttleKey: key,
          failures: 1,
          lastFailureAt: now,
          blockedUntil: delaySeconds(1, free) > 0 ? addSeconds(now, delaySeconds(1, free)) : null,
        })
        .onConflictDoUpdate({
          target: signInThrottle.throttleKey,
          set: { failures: count, lastFailureAt: now, blockedUntil: blockFor(count) },
        })
        .returning({ blockedUntil: signInThrottle.blockedUntil });
      return row.blockedUntil && row.blockedUntil > now ? secondsUntil(row.blockedUntil, now) : 0;
    }),
  );
  maybePurge(db, now);
  return Math.max(0, ...results);
}

/** A successful sign-in forgets the account's failures (not the address's: see the top). */
export async function clearSignInFailures(db: Db, email: string): Promise<void> {
  await db.delete(signInThrottle).where(eq(signInThrottle.throttleKey, accountKey(email)));
}

/** Rows nobody has failed on for a day are no longer needed (the count would restart anyway). */
async function purgeSignInThrottle(db: Db, now = new Date()): Promise<void> {
  await db.delete(signInThrottle).where(lt(signInThrottle.lastFailureAt, subSeconds(now, FORGET_AFTER_SECONDS)));
}

/** Both failure tables: the REST API's per-address windows and the sign-in throttle. */
export async function purgeThrottleTables(db: Db, now = new Date()): Promise<void> {
  await Promise.all([purgeAuthFailures(db, now), purgeSignInThrottle(db, now)]);
}

// Besides the timer (startThrottlePurge), every so many failures purge on the way: a process
// that is attacked hard purges more often, and one whose timer never ran still purges.
const PURGE_EVERY_FAILURES = 500;
let failuresSincePurge = 0;
function maybePurge(db: Db, now: Date): void {
  if (++failuresSincePurge < PURGE_EVERY_FAILURES) return;
  failuresSincePurge = 0;
  purgeThrottleTables(db, now).catch(() => console.error("[sign-in] purging old throttle rows failed"));
}

/** Purges the failure tables every `everyMs`; the timer never keeps the process alive. */
export function startThrottlePurge(getDb: () => Promise<Db>, everyMs = 10 * millisecondsInMinute): NodeJS.Timeout {
  const run = () =>
    getDb()
      .then((db) => purgeThrottleTables(db))
      .catch(() => console.error("[sign-in] purging old throttle rows failed"));
  const timer = setInterval(run, everyMs);
  timer.unref();
  return timer;
}

const credentialsSchema = z.object({
  email: z.string().trim().toLowerCase().email().max(320),
  password: z.string().min(1).max(1024),
});

export type SignInOutcome =
  | { ok: true; user: { id: string; email: string; name: string } }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "throttled"; retryAfterSeconds: number };

const throttled = (retryAfterSeconds: number): SignInOutcome => ({ ok: false, reason: "throttled", retryAfterSeconds });

/**
 * The credentials check behind Auth.js's authorize (the login form and a direct POST to
 * /api/auth/callback/credentials alike): throttle → user → scrypt → count or clear → rehash.
 */
export async function signInWithPassword(db: Db, raw: unknown, client: string | null, opts: { now?: Date } = {}): Promise<SignInOutcome> {
  const parsed = credentialsSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: "invalid" };
  const { email, password } = parsed.data;
  const now = opts.now ?? new Date();
  const keys = [accountKey(email), addressKey(client)];

  const wait = await signInBlockedFor(db, keys, now);
  if (wait > 0) return throttled(wait);

  const [user] = await db
    .select({ id: users.id, email: users.email, name: users.name, passwordHash: users.passwordHash })
    .from(users)
    .where(and(sql`lower(${users.email}) = ${email}`, isNull(users.deletedAt), isNull(users.disabledAt)))
    .limit(1);
  let ok: boolean;
  try {
    // Same work whether or not the email exists (or is disabled), so timing does not tell.
    ok = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
  } catch (err) {
    // Hashing is saturated: refuse now rather than queue; this is not the account's failure.
    if (err instanceof PasswordHashingBusy) return throttled(FIRST_DELAY_SECONDS);
    throw err;
  }

  if (!user || !ok) {
    const blocked = await recordSignInFailure(
      db,
      [
        { key: keys[0], free: ACCOUNT_FREE_FAILURES },
        { key: keys[1], free: ADDRESS_FREE_FAILURES },
      ],
      now,
    );
    return blocked > 0 ? throttled(blocked) : { ok: false, reason: "invalid" };
  }

  await clearSignInFailures(db, email);
  if (needsRehash(user.passwordHash)) await rehash(db, user.id, user.passwordHash, password);
  return { ok: true, user: { id: user.id, email: user.email, name: user.name } };
}

/**
 * The password is known to be right and the hash is weaker than today's: store a new one. Only
 * if the hash is still the one just checked, so a password change in between is not undone.
 * Not a change of password (no audit event, sessions stay valid); a failure leaves the old hash.
 */
async function rehash(db: Db, userId: string, oldHash: string, password: string): Promise<void> {
  try {
    const fresh = await hashPassword(password);
    await db
      .update(users)
      .set({ passwordHash: fresh })
      .where(and(eq(users.id, userId), eq(users.passwordHash, oldHash)));
  } catch (err) {
    if (!(err instanceof PasswordHashingBusy)) console.error(`[sign-in] rehashing a password failed: ${(err as Error)?.name ?? "error"}`);
  }
}
