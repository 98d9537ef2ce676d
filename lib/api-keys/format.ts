import { createHash, randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";

// Secret format: "lk_" + 32 random base62 characters + 6-character base62 CRC32 of them.
// The checksum lets the server (and secret scanners) reject a malformed token with no database lookup.

export const SECRET_PREFIX = "lk_";
const SECRET_RANDOM_LENGTH = 32;
const SECRET_CHECKSUM_LENGTH = 6;
export const GENERATED_SECRET_LENGTH = SECRET_PREFIX.length + SECRET_RANDOM_LENGTH + SECRET_CHECKSUM_LENGTH;
const IMPORTED_SECRET_MIN_LENGTH = 32;
const IMPORTED_SECRET_MAX_LENGTH = 256;

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const GENERATED_RE = /^lk_[0-9A-Za-z]{38}$/;

/** Uniform base62 characters from a CSPRNG (rejection sampling: no modulo bias). */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62]; // 248 = 4 × 62
      if (out.length === length) break;
    }
  }
  return out;
}

export function toBase62(value: number, width: number): string {
  let n = value >>> 0;
  let out = "";
  do {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  } while (n > 0);
  return out.padStart(width, "0");
}

export function checksumOf(random: string): string {
  return toBase62(crc32(random), SECRET_CHECKSUM_LENGTH);
}

export function generateSecret(): string {
  const random = randomBase62(SECRET_RANDOM_LENGTH);
  return SECRET_PREFIX + random + checksumOf(random);
}

/** True when `secret` has the generated shape and a correct checksum. */
export function hasValidChecksum(secret: string): boolean {
  if (!GENERATED_RE.test(secret)) return false;
  const random = secret.slice(SECRET_PREFIX.length, SECRET_PREFIX.length + SECRET_RANDOM_LENGTH);
  return checksumOf(random) === secret.slice(SECRET_PREFIX.length + SECRET_RANDOM_LENGTH);
}

/**
 * Cheap shape check before any database lookup. A token that claims our format ("lk_…") must
 * carry a valid checksum; other tokens may be imported secrets and only need a plausible length.
 */
export function isWellFormedSecret(secret: string): boolean {
  if (secret.startsWith(SECRET_PREFIX)) return hasValidChecksum(secret);
  return secret.length >= IMPORTED_SECRET_MIN_LENGTH && secret.length <= IMPORTED_SECRET_MAX_LENGTH && /^[\x21-\x7e]+$/.test(secret);
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/**
 * "lk_AbCd1234…" for a generated key: enough to recognise it, useless to an attacker (the
 * 32 random characters minus 8 shown still carry 140 bits). An imported secret may be short or
 * low in entropy per character, so it shows at most its first 4 characters.
 */
export function displayPrefix(secret: string, source: "generated" | "imported" = "generated"): string {
  if (source === "imported") return secret.slice(0, 4) + "…";
  return secret.slice(0, SECRET_PREFIX.length + 8) + "…";
}

/**
 * Bits of entropy an imported secret must show, estimated from its own characters. A random
 * 32-character hex secret (128 bits) shows 89 or more in a million samples, so 80 refuses none of
 * them while "aaaa…" (0), "abab…" (40) and the like fall far below.
 */
const IMPORTED_SECRET_MIN_BITS = 80;
const IMPORTED_SECRET_MIN_DISTINCT = 6;

/**
 * Why an imported secret is too guessable to accept, or null. The estimate is the secret's
 * empirical Shannon entropy (character frequencies × length), which a random 32-character hex
 * or base64 secret passes and "aaaa…", "abab…", a repeated word or a run such as "0123…" fail.
 */
export function weakSecretReason(secret: string): string | null {
  const counts = new Map<string, number>();
  for (const ch of secret) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= n * Math.log2(n / secret.length);
  if (counts.size < IMPORTED_SECRET_MIN_DISTINCT || bits < IMPORTED_SECRET_MIN_BITS)
    return "This secret is too easy to guess (too few different characters). Import the real secret, or generate a new key.";
  // A short unit repeated ("Secret1!Secret1!…") or a run of consecutive characters ("abcdef…").
  for (let period = 1; period <= secret.length / 2; period++)
    if (secret.length % period === 0 && secret.slice(period) === secret.slice(0, -period))
      return "This secret is a short pattern repeated. Import the real secret, or generate a new key.";
  let run = 1;
  for (let i = 1; i < secret.length; i++) {
    run = Math.abs(secret.charCodeAt(i) - secret.charCodeAt(i - 1)) === 1 ? run + 1 : 1;
    if (run >= 16) return "This secret contains a long run of consecutive characters. Import the real secret, or generate a new key.";
  }
  return null;
}
