import { randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";
import { describe, it, expect } from "vitest";
import {
  GENERATED_SECRET_LENGTH,
  SECRET_PREFIX,
  checksumOf,
  displayPrefix,
  generateSecret,
  hasValidChecksum,
  hashSecret,
  isWellFormedSecret,
  randomBase62,
  toBase62,
  weakSecretReason,
} from "./format";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** An implementation of base62 independent of the one under test (BigInt division). */
function base62BigInt(value: number, width: number): string {
  let n = BigInt(value);
  let out = "";
  while (n > 0n) {
    out = ALPHABET[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out.padStart(width, "0");
}

/** Every secret that differs from `secret` in exactly one character at `index`. */
function variantsAt(secret: string, index: number): string[] {
  return [...ALPHABET].filter((c) => c !== secret[index]).map((c) => secret.slice(0, index) + c + secret.slice(index + 1));
}

describe("generateSecret", () => {
  it("produces lk_ + 38 base62 characters", () => {
    for (let i = 0; i < 200; i++) {
      const s = generateSecret();
      expect(s).toMatch(/^lk_[0-9A-Za-z]{38}$/);
      expect(s).toHaveLength(GENERATED_SECRET_LENGTH);
    }
  });

  it("never repeats over many draws", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(generateSecret());
    expect(seen.size).toBe(20_000);
  });

  it("ends with the base62 CRC32 checksum of its random part", () => {
    for (let i = 0; i < 200; i++) {
      const s = generateSecret();
      const random = s.slice(3, 35);
      expect(s.slice(35)).toBe(base62BigInt(crc32(random), 6));
      expect(hasValidChecksum(s)).toBe(true);
      expect(isWellFormedSecret(s)).toBe(true);
    }
  });
});

describe("randomBase62", () => {
  it("returns exactly the requested length from the base62 alphabet", () => {
    for (const n of [1, 7, 32, 100]) expect(randomBase62(n)).toMatch(new RegExp(`^[0-9A-Za-z]{${n}}$`));
  });

  it("uses every character about equally often (no modulo bias)", () => {
    const counts = new Map<string, number>();
    const draws = 10_000;
    for (let i = 0; i < draws; i++) for (const c of randomBase62(32)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // Expected ≈ 5161 each, σ ≈ 71; a mod-62 bias on raw bytes would put 8 characters 25% high.
    const expected = (draws * 32) / 62;
    for (const n of counts.values()) {
      expect(n).toBeGreaterThan(expected * 0.9);
      expect(n).toBeLessThan(expected * 1.1);
    }
  });
});

describe("hasValidChecksum / isWellFormedSecret", () => {
  const secret = generateSecret();

  it("rejects every single-character change to the random part or the checksum", () => {
    for (let i = SECRET_PREFIX.length; i < GENERATED_SECRET_LENGTH; i++) {
      for (const changed of variantsAt(secret, i)) {
        expect(hasValidChecksum(changed), `${changed} (position ${i})`).toBe(false);
        expect(isWellFormedSecret(changed), `${changed} (position ${i})`).toBe(false);
      }
    }
  });

  it("rejects a wrong prefix or a wrong length", () => {
    const body = secret.slice(3);
    for (const bad of ["LK_" + body, "lk-" + body, "sk_" + body, body, "lk_" + body.slice(1), secret + "0", secret.slice(0, -1), "lk_", ""]) {
      expect(hasValidChecksum(bad), bad).toBe(false);
    }
  });

  it("rejects characters outside base62 even in a token of the right length", () => {
    const withDash = secret.slice(0, 10) + "-" + secret.slice(11);
    expect(hasValidChecksum(withDash)).toBe(false);
    expect(isWellFormedSecret(withDash)).toBe(false);
  });
});

describe("toBase62 / checksumOf", () => {
  it("encodes known values, padded to the width", () => {
    expect(toBase62(0, 6)).toBe("000000");
    expect(toBase62(61, 6)).toBe("00000z");
    expect(toBase62(62, 6)).toBe("000010");
    expect(toBase62(62 * 62 - 1, 6)).toBe("0000zz");
    expect(toBase62(0xffffffff, 6)).toBe("4gfFC3");
  });

  it("agrees with an independent base62 of zlib.crc32", () => {
    for (let i = 0; i < 500; i++) {
      const random = randomBase62(32);
      expect(checksumOf(random)).toBe(base62BigInt(crc32(random), 6));
    }
  });

  it('matches the CRC-32 check value of "123456789" (0xCBF43926)', () => {
    expect(crc32("123456789")).toBe(0xcbf43926);
    expect(checksumOf("123456789")).toBe("3jZRME");
  });
});

describe("hashSecret", () => {
  it("is hex SHA-256 of the UTF-8 secret", () => {
    expect(hashSecret("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hashSecret("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("is 64 lowercase hex characters and differs for different secrets", () => {
    const a = generateSecret();
    const b = generateSecret();
    expect(hashSecret(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSecret(a)).not.toBe(hashSecret(b));
  });
});

describe("displayPrefix", () => {
  it('shows "lk_" + the first 8 random characters + "…" for a generated key', () => {
    const s = generateSecret();
    expect(displayPrefix(s)).toBe(s.slice(0, 11) + "…");
    expect(displayPrefix(s)).toMatch(/^lk_[0-9A-Za-z]{8}…$/);
  });

  it("shows at most the first 4 characters of an imported secret, whatever its shape", () => {
    expect(displayPrefix("ghp_0123456789abcdefghijklmnopqrstuvwxyz", "imported")).toBe("ghp_…");
    const lkShaped = generateSecret();
    expect(displayPrefix(lkShaped, "imported")).toBe(lkShaped.slice(0, 4) + "…");
  });

  it("never reveals more than 11 characters of the secret", () => {
    const samples = [
      ...Array.from({ length: 100 }, generateSecret),
      "x".repeat(256),
      "lk_" + "A".repeat(100),
      "ghp_0123456789abcdefghijklmnopqrstuvwxyz",
    ];
    for (const s of samples) {
      expect(displayPrefix(s, "imported").length).toBeLessThanOrEqual(5);
      const shown = displayPrefix(s);
      expect(shown.endsWith("…")).toBe(true);
      const revealed = shown.slice(0, -1);
      expect(s.startsWith(revealed)).toBe(true);
      expect(revealed.length).toBeLessThanOrEqual(11);
    }
  });
});

describe("isWellFormedSecret for imported secrets", () => {
  it("accepts 32 to 256 printable characters without spaces", () => {
    expect(isWellFormedSecret("a".repeat(32))).toBe(true);
    expect(isWellFormedSecret("!~" + "Z".repeat(254))).toBe(true);
    expect(isWellFormedSecret("ghp_0123456789abcdefghijklmnopqrstuvwxyz")).toBe(true);
  });

  it("rejects too short, too long, spaces and non-printable characters", () => {
    expect(isWellFormedSecret("a".repeat(31))).toBe(false);
    expect(isWellFormedSecret("a".repeat(257))).toBe(false);
    expect(isWellFormedSecret("a".repeat(20) + " " + "a".repeat(20))).toBe(false);
    expect(isWellFormedSecret("a".repeat(40) + "\n")).toBe(false);
    expect(isWellFormedSecret("a".repeat(20) + "\t" + "a".repeat(20))).toBe(false);
    expect(isWellFormedSecret("é".repeat(40))).toBe(false);
    expect(isWellFormedSecret("")).toBe(false);
  });

  it("holds anything that claims our lk_ prefix to our checksum, whatever its length", () => {
    const good = generateSecret();
    expect(isWellFormedSecret(good.slice(0, -1))).toBe(false);
    expect(isWellFormedSecret(good + "A")).toBe(false);
    expect(isWellFormedSecret("lk_" + "a".repeat(60))).toBe(false);
  });
});

describe("weakSecretReason: imported secrets must not be guessable", () => {
  it.each([
    ["one character repeated", "a".repeat(40)],
    ["two characters alternating", "ab".repeat(20)],
    ["a short word repeated", "Secret1!".repeat(5)],
    ["a long run of consecutive characters", "abcdefghijklmnopqrstuvwxyz0123456789"],
    ["few distinct characters", "aabbccdd".repeat(6)],
  ])("refuses %s", (_label, secret) => {
    expect(weakSecretReason(secret)).toMatch(/Import the real secret, or generate a new key\.$/);
  });

  it.each([
    ["a generated Latchkey secret", generateSecret()],
    ["32 random hex characters", randomBytes(16).toString("hex")],
    ["a random base64url token", randomBytes(32).toString("base64url")],
    ["a GitHub-style token", "ghp_" + randomBytes(27).toString("base64url")],
  ])("accepts %s", (_label, secret) => {
    expect(weakSecretReason(secret)).toBeNull();
  });

  it("accepts 200 random 32-character hex secrets (no false refusals at the minimum length)", () => {
    for (let i = 0; i < 200; i++) expect(weakSecretReason(randomBytes(16).toString("hex"))).toBeNull();
  });
});
