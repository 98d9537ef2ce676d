import { describe, it, expect, beforeAll } from "vitest";
import { dummyPasswordHash, hashPassword, verifyPassword } from "./password";

// scrypt at N=2^15 costs ~100 ms per call: hash once and reuse.
let stored: string;
beforeAll(async () => {
  stored = await hashPassword("correct horse battery staple");
});

describe("hashPassword / verifyPassword", () => {
  it("verifies the password it hashed", async () => {
    expect(await verifyPassword("correct horse battery staple", stored)).toBe(true);
  });

  it("rejects a wrong password", async () => {
    expect(await verifyPassword("correct horse battery stapler", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it('stores "scrypt$32768$8$1$salt$hash" (base64url), never the password', () => {
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(stored).not.toContain("correct horse");
  });

  it("salts: two hashes of the same password differ and both verify", async () => {
    const again = await hashPassword("correct horse battery staple");
    expect(again).not.toBe(stored);
    expect(again.split("$")[4]).not.toBe(stored.split("$")[4]);
    expect(await verifyPassword("correct horse battery staple", again)).toBe(true);
  });

  it("normalises Unicode (NFKC) so equivalent spellings match", async () => {
    const h = await hashPassword("caf\u00e9");
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
    ];
    for (const m of malformed) expect(await verifyPassword("correct horse battery staple", m), JSON.stringify(m)).toBe(false);
  });

  it("the dummy hash (for unknown emails) is a real scrypt hash that matches nothing typed", async () => {
    const dummy = await dummyPasswordHash();
    expect(dummy).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await dummyPasswordHash()).toBe(dummy);
    expect(await verifyPassword("correct horse battery staple", dummy)).toBe(false);
  });
});
