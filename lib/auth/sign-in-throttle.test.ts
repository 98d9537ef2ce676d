import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Db, OpenDatabase } from "@/db";
import { authFailures, signInThrottle, users } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { hashPassword, passwordHashingStats, verifyPassword } from "./password";
import {
  accountKey,
  ACCOUNT_FREE_FAILURES,
  addressKey,
  ADDRESS_FREE_FAILURES,
  delaySeconds,
  MAX_DELAY_SECONDS,
  purgeThrottleTables,
  recordSignInFailure,
  signInWithPassword,
  throttleMessage,
} from "./sign-in-throttle";

const PASSWORD = "correct horse battery staple";
const T0 = new Date("2031-06-01T09:00:00.000Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

let handle: OpenDatabase;
let db: Db;
let cheapHash: string;
let seq = 0;
/** An address no other test uses. */
const newAddress = () => `198.51.100.${++seq}`;

/** A user with a cheap (2^10) hash, so failures cost no real scrypt time. */
async function newUser(opts: { disabled?: boolean; deleted?: boolean } = {}): Promise<string> {
  const email = `user${++seq}@throttle.test`;
  await db.insert(users).values({
    email,
    name: `User ${seq}`,
    passwordHash: cheapHash,
    disabledAt: opts.disabled ? T0 : null,
    deletedAt: opts.deleted ? T0 : null,
  });
  return email;
}

const attempt = (email: string, password: string, ip: string, now: Date) => signInWithPassword(db, { email, password }, ip, { now });

async function row(key: string) {
  const [r] = await db.select().from(signInThrottle).where(eq(signInThrottle.throttleKey, key));
  return r;
}

beforeAll(async () => {
  handle = await createTestDatabase();
  db = handle.db;
  cheapHash = await hashPassword(PASSWORD, { cost: 1 << 10 });
});
afterAll(async () => {
  await handle?.close();
});

describe("delaySeconds", () => {
  it("is free for the first failures, then doubles from a minute up to an hour", () => {
    const seq = Array.from({ length: 14 }, (_, i) => delaySeconds(i + 1, 5));
    expect(seq).toEqual([0, 0, 0, 0, 0, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    expect(delaySeconds(10_000, 5)).toBe(MAX_DELAY_SECONDS);
  });
});

describe("signInWithPassword", () => {
  it("lets five wrong passwords through as wrong, then blocks with increasing delays (injected clock)", async () => {
    const email = await newUser();
    const ip = newAddress();
    for (let i = 0; i < ACCOUNT_FREE_FAILURES; i++) expect(await attempt(email, "wrong", ip, at(i))).toEqual({ ok: false, reason: "invalid" });
    // The sixth failure itself says so.
    expect(await attempt(email, "wrong", ip, at(10))).toEqual({ ok: false, reason: "throttled", retryAfterSeconds: 60 });
    expect(await attempt(email, "wrong", ip, at(40))).toEqual({ ok: false, reason: "throttled", retryAfterSeconds: 30 });
    // Waited out: the next failure blocks for twice as long, then four times.
    expect(await attempt(email, "wrong", ip, at(70))).toEqual({ ok: false, reason: "throttled", retryAfterSeconds: 120 });
    expect(await attempt(email, "wrong", ip, at(190))).toEqual({ ok: false, reason: "throttled", retryAfterSeconds: 240 });
    expect(await row(accountKey(email))).toMatchObject({ failures: 8, lastFailureAt: at(190), blockedUntil: at(430) });
    expect(throttleMessage(240)).toBe("Too many attempts; try again in 4 minutes.");
    expect(throttleMessage(30)).toBe("Too many attempts; try again in 1 minute.");
  });

  it("refuses a blocked account without hashing at all, even with the right password", async () => {
    const email = await newUser();
    const ip = newAddress();
    for (let i = 0; i <= ACCOUNT_FREE_FAILURES; i++) await attempt(email, "wrong", ip, at(0));
    const before = passwordHashingStats().started;
    for (let i = 0; i < 10; i++) expect(await attempt(email, PASSWORD, ip, at(30))).toMatchObject({ reason: "throttled" });
    expect(passwordHashingStats().started).toBe(before);
    // Once the block lapses the right password works (and is rehashed: see below).
    expect(await attempt(email, PASSWORD, ip, at(61))).toMatchObject({ ok: true, user: { email } });
  });

  it("throttles unknown emails exactly like real ones, case-insensitively", async () => {
    const ip = newAddress();
    const outcomes = [];
    for (let i = 0; i <= ACCOUNT_FREE_FAILURES; i++)
      outcomes.push(await attempt(i % 2 ? "Nobody@Throttle.TEST" : "nobody@throttle.test", "x", ip, at(i)));
    expect(outcomes.slice(0, ACCOUNT_FREE_FAILURES)).toEqual(Array(ACCOUNT_FREE_FAILURES).fill({ ok: false, reason: "invalid" }));
    expect(outcomes[ACCOUNT_FREE_FAILURES]).toEqual({ ok: false, reason: "throttled", retryAfterSeconds: 60 });
    expect(await row("account:nobody@throttle.test")).toMatchObject({ failures: ACCOUNT_FREE_FAILURES + 1 });
  });

  it("blocks the account from every address: the account is what is attacked", async () => {
    const email = await newUser();
    for (let i = 0; i <= ACCOUNT_FREE_FAILURES; i++) await attempt(email, "wrong", newAddress(), at(0));
    expect(await attempt(email, PASSWORD, newAddress(), at(1))).toMatchObject({ reason: "throttled", retryAfterSeconds: 59 });
    // Another account from one of those addresses is not affected.
    expect(await attempt(await newUser(), PASSWORD, newAddress(), at(1))).toMatchObject({ ok: true });
  });

  it("clears the account's count on success, but not the address's", async () => {
    const email = await newUser();
    const ip = newAddress();
    for (let i = 0; i < ACCOUNT_FREE_FAILURES; i++) await attempt(email, "wrong", ip, at(0));
    expect(await attempt(email, PASSWORD, ip, at(1))).toMatchObject({ ok: true });
    expect(await row(accountKey(email))).toBeUndefined();
    expect(await row(addressKey(ip))).toMatchObject({ failures: ACCOUNT_FREE_FAILURES });
    // The free failures are back for the account.
    for (let i = 0; i < ACCOUNT_FREE_FAILURES; i++) expect(await attempt(email, "wrong", ip, at(2))).toMatchObject({ reason: "invalid" });
  });

  it("blocks an address spraying many accounts, IPv6 per /64", async () => {
    const accounts = await Promise.all(Array.from({ length: ADDRESS_FREE_FAILURES + 2 }, () => newUser()));
    const host = (n: number) => `2001:db8:77:1:${n.toString(16)}::1`;
    for (let i = 0; i < ADDRESS_FREE_FAILURES; i++) expect(await attempt(accounts[i], "wrong", host(i), at(0))).toMatchObject({ reason: "invalid" });
    expect(await attempt(accounts[ADDRESS_FREE_FAILURES], "wrong", host(999), at(1))).toMatchObject({ reason: "throttled", retryAfterSeconds: 60 });
    // Every address in that /64 is blocked, even with a right password for a fresh account…
    expect(await attempt(accounts[ADDRESS_FREE_FAILURES + 1], PASSWORD, "2001:db8:77:1:ffff::9", at(2))).toMatchObject({ reason: "throttled" });
    // …but not the neighbouring /64.
    expect(await attempt(accounts[ADDRESS_FREE_FAILURES + 1], PASSWORD, "2001:db8:77:2::9", at(2))).toMatchObject({ ok: true });
  });

  it("counts an unknown address (no socket, no trusted proxy) under one shared key", async () => {
    const email = await newUser();
    await attempt(email, "wrong", null as unknown as string, at(0));
    expect(await row("ip:unknown")).toMatchObject({ failures: 1 });
  });

  it("refuses disabled and deleted users like unknown ones, right password or not", async () => {
    for (const opts of [{ disabled: true }, { deleted: true }]) {
      const email = await newUser(opts);
      expect(await attempt(email, PASSWORD, newAddress(), at(0))).toEqual({ ok: false, reason: "invalid" });
      expect(await row(accountKey(email))).toMatchObject({ failures: 1 });
    }
  });

  it("refuses malformed input without counting or hashing", async () => {
    const before = passwordHashingStats().started;
    for (const raw of [
      {},
      { email: "not-an-email", password: "x" },
      { email: "a@b.test", password: "" },
      { email: "a@b.test", password: "x".repeat(1025) },
      null,
    ])
      expect(await signInWithPassword(db, raw, newAddress(), { now: at(0) })).toEqual({ ok: false, reason: "invalid" });
    expect(passwordHashingStats().started).toBe(before);
  });

  it("rehashes a weaker stored hash on a successful sign-in, keeping the password", async () => {
    const email = await newUser();
    expect(await attempt(email, PASSWORD, newAddress(), at(0))).toMatchObject({ ok: true });
    const [u] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.email, email));
    expect(u.passwordHash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await verifyPassword(PASSWORD, u.passwordHash)).toBe(true);
    // A wrong password changes nothing.
    await attempt(email, "wrong", newAddress(), at(1));
    const [again] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.email, email));
    expect(again.passwordHash).toBe(u.passwordHash);
  });

  it("refuses at once with the throttle answer while hashing is saturated, without counting a failure", async () => {
    const email = await newUser();
    // Two slow hashes running and sixteen waiting fill the gate.
    const slow = await hashPassword("filler", { cost: 1 << 15 });
    const fillers = Array.from({ length: 18 }, () => verifyPassword("filler", slow));
    const outcome = await attempt(email, "wrong", newAddress(), at(0));
    expect(outcome).toEqual({ ok: false, reason: "throttled", retryAfterSeconds: 60 });
    expect(await row(accountKey(email))).toBeUndefined();
    expect(await Promise.all(fillers)).toEqual(Array(18).fill(true));
  });
});

describe("the counts live in the database", () => {
  it("are shared by app instances", async () => {
    vi.resetModules();
    const a = await import("./sign-in-throttle");
    vi.resetModules();
    const b = await import("./sign-in-throttle");
    expect(a.signInWithPassword).not.toBe(b.signInWithPassword);
    const email = await newUser();
    for (let i = 0; i < ACCOUNT_FREE_FAILURES; i++)
      await (i % 2 ? a : b).signInWithPassword(db, { email, password: "wrong" }, newAddress(), { now: at(0) });
    expect(await a.signInWithPassword(db, { email, password: "wrong" }, newAddress(), { now: at(1) })).toMatchObject({ reason: "throttled" });
    expect(await b.signInWithPassword(db, { email, password: PASSWORD }, newAddress(), { now: at(2) })).toMatchObject({
      reason: "throttled",
      retryAfterSeconds: 59,
    });
  });

  it("count concurrent failures exactly", async () => {
    const key = `account:concurrent${++seq}@throttle.test`;
    const results = await Promise.all(Array.from({ length: 12 }, () => recordSignInFailure(db, [{ key, free: ACCOUNT_FREE_FAILURES }], at(0))));
    expect(results.filter((r) => r === 0)).toHaveLength(ACCOUNT_FREE_FAILURES);
    expect(await row(key)).toMatchObject({ failures: 12, blockedUntil: at(delaySeconds(12, ACCOUNT_FREE_FAILURES)) });
  });

  it("forget a key a day after its last failure, and purge such rows (and old API failure windows)", async () => {
    const key = `account:forget${++seq}@throttle.test`;
    for (let i = 0; i < ACCOUNT_FREE_FAILURES + 3; i++) await recordSignInFailure(db, [{ key, free: ACCOUNT_FREE_FAILURES }], at(0));
    // A day later the count starts again.
    expect(await recordSignInFailure(db, [{ key, free: ACCOUNT_FREE_FAILURES }], at(86_401))).toBe(0);
    expect(await row(key)).toMatchObject({ failures: 1, blockedUntil: null });

    const stale = `account:stale${++seq}@throttle.test`;
    const fresh = `account:fresh${++seq}@throttle.test`;
    await recordSignInFailure(db, [{ key: stale, free: 5 }], at(0));
    await recordSignInFailure(db, [{ key: fresh, free: 5 }], at(80_000));
    await db.insert(authFailures).values({ clientKey: `old-${seq}`, windowStart: at(0), failures: 3 });
    await purgeThrottleTables(db, at(86_401));
    expect(await row(stale)).toBeUndefined();
    expect(await row(fresh)).toMatchObject({ failures: 1 });
    expect(
      await db
        .select()
        .from(authFailures)
        .where(eq(authFailures.clientKey, `old-${seq}`)),
    ).toEqual([]);
  });
});
