import { describe, it, expect, beforeAll } from "vitest";
import {
  dummyPasswordHash,
  hashPassword,
  MAX_CONCURRENT_HASHES,
  MAX_QUEUED_HASHES,
  needsRehash,
  PasswordHashingBusy,
  passwordHashingStats,
  SCRYPT_COST,
  verifyPassword,
} from "./password";

// Tests of the format and of verification use a cheap cost (2^10); the default (2^17, about
// half a second) is checked once, on a real hash.
const CHEAP = 1 << 10;
let stored: string;
beforeAll(async () => {
  stored = await hashPassword("correct horse battery staple", { cost: CHEAP });
});

describe("hashPassword / verifyPassword", () => {
  it("hashes at OWASP's minimum by default: scrypt N=2^17, r=8, p=1", async () => {
    expect(SCRYPT_COST).toBe(2 ** 17);
    const real = await hashPassword("correct horse battery staple");
    expect(real).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword("correct horse battery staple", real)).toBe(true);
    expect(needsRehash(real)).toBe(false);
  });

  it("verifies the password it hashed", async () => {
    expect(await verifyPassword("correct horse battery staple", stored)).toBe(true);
  });

  it("rejects a wrong password", async () => {
    expect(await verifyPassword("correct horse battery stapler", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it('stores "scrypt$N$8$1$salt$hash" (base64url), never the password', () => {
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(stored).not.toContain("correct horse");
  });

  it("salts: two hashes of the same password differ and both verify", async () => {
    const again = await hashPassword("correct horse battery staple", { cost: CHEAP });
    expect(again).not.toBe(stored);
    expect(again.split("$")[4]).not.toBe(stored.split("$")[4]);
    expect(await verifyPassword("correct horse battery staple", again)).toBe(true);
  });

  it("normalises Unicode (NFKC) so equivalent spellings match", async () => {
    const h = await hashPassword("caf\u00e9", { cost: CHEAP });
    expect(await verifyPassword("cafe\u0301", h)).toBe(true);
  });

  it("returns false for a malformed stored hash", async () => {
    const [, , , , salt, hash] = stored.split("$");
    const malformed = [
      "",
      "not-a-hash",
      "$2b$10$abcdefghijklmnopqrstuuF5oCKRNU6QwzOgk3Sw5bqXd0p1b7Tq",
      "scrypt$32768$8$1$",
      `scrypt$32768$8$1$${salt}$`,
      `bcrypt$32768$8$1$${salt}$${hash}`,
      // A hash part that decodes to nothing or too little must not compare equal to anything.
      `scrypt$32768$8$1$${salt}$!`,
      `scrypt$32768$8$1$${salt}$${hash.slice(0, 6)}`,
      // Parameters that would cost gigabytes, or that scrypt refuses.
      `scrypt$${2 ** 21}$8$1$${salt}$${hash}`,
      `scrypt$1000$8$1$${salt}$${hash}`,
    ];
    for (const m of malformed) expect(await verifyPassword("correct horse battery staple", m), JSON.stringify(m)).toBe(false);
  });

  it("the dummy hash (for unknown emails) has the same parameters as a real one and matches nothing typed", async () => {
    const dummy = await dummyPasswordHash();
    expect(dummy).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await dummyPasswordHash()).toBe(dummy);
    expect(await verifyPassword("correct horse battery staple", dummy)).toBe(false);
  });
});

describe("needsRehash", () => {
  it("asks for a new hash when the stored one is cheaper than the current parameters", () => {
    const [, , , , salt, hash] = stored.split("$");
    expect(needsRehash(stored)).toBe(true); // 2^10
    expect(needsRehash(`scrypt$32768$8$1$${salt}$${hash}`)).toBe(true); // the old default
    expect(needsRehash(`scrypt$131072$4$1$${salt}$${hash}`)).toBe(true);
    expect(needsRehash(`scrypt$131072$8$1$${salt}$${hash.slice(0, 22)}`)).toBe(true); // a 16-byte key
    expect(needsRehash(`scrypt$131072$8$1$${salt}$${hash}`)).toBe(false);
    // Stronger than today's is left alone, not downgraded.
    expect(needsRehash(`scrypt$262144$8$2$${salt}$${hash}`)).toBe(false);
    expect(needsRehash("test-only:not-a-password")).toBe(true);
  });
});

describe("the cap on concurrent hashing", () => {
  it(`runs at most ${MAX_CONCURRENT_HASHES} at once, queues ${MAX_QUEUED_HASHES}, and refuses the rest at once`, async () => {
    const before = passwordHashingStats();
    const total = MAX_CONCURRENT_HASHES + MAX_QUEUED_HASHES + 5;
    const order: string[] = [];
    const outcomes = Array.from({ length: total }, () =>
      verifyPassword("correct horse battery staple", stored).then(
        (ok) => (order.push("hashed"), { ok }),
        (err: unknown) => (order.push("refused"), { err }),
      ),
    );
    expect(passwordHashingStats()).toMatchObject({ running: MAX_CONCURRENT_HASHES, queued: MAX_QUEUED_HASHES });
    const results = await Promise.all(outcomes);
    const refused = results.filter((r) => "err" in r);
    expect(refused).toHaveLength(5);
    for (const r of refused) expect((r as { err: unknown }).err).toBeInstanceOf(PasswordHashingBusy);
    // Refused without waiting for anything: before the first hash finished.
    expect(order.slice(0, 5)).toEqual(Array(5).fill("refused"));
    expect(results.filter((r) => "ok" in r && r.ok)).toHaveLength(MAX_CONCURRENT_HASHES + MAX_QUEUED_HASHES);
    const after = passwordHashingStats();
    expect(after.started - before.started).toBe(MAX_CONCURRENT_HASHES + MAX_QUEUED_HASHES);
    expect(after.peak).toBeLessThanOrEqual(MAX_CONCURRENT_HASHES);
    expect(after).toMatchObject({ running: 0, queued: 0 });
    // The gate is open again.
    expect(await verifyPassword("correct horse battery staple", stored)).toBe(true);
  });
});
