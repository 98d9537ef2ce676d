import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";

// scrypt is memory-hard and ships with Node (no native add-on to build). N=2^15, r=8 uses 32 MiB
// per hash. Stored as "scrypt$N$r$p$salt$hash" (base64url) so parameters can be raised later.
const N = 1 << 15;
const R = 8;
const P = 1;
const KEYLEN = 32;

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize("NFKC"), salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

const maxmem = (n: number, r: number) => 128 * n * r * 2;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEYLEN, { N, r: R, p: P, maxmem: maxmem(N, R) });
  return ["scrypt", N, R, P, salt.toString("base64url"), key.toString("base64url")].join("$");
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split("$");
  if (alg !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64url");
  if (expected.length < 16) return false; // an empty or tiny hash would match any (or almost any) password
  const [cost, block, parallel] = [Number(n), Number(r), Number(p)];
  // Bounds keep a corrupt or hostile stored hash from costing gigabytes of memory.
  if (!(cost >= 2 && cost <= 1 << 20 && block >= 1 && block <= 16 && parallel >= 1 && parallel <= 4)) return false;
  try {
    const key = await scrypt(password, Buffer.from(salt, "base64url"), expected.length, {
      N: cost,
      r: block,
      p: parallel,
      maxmem: maxmem(cost, block),
    });
    return key.length === expected.length && timingSafeEqual(key, expected);
  } catch {
    return false; // e.g. N not a power of two
  }
}

// Compared against when the email is unknown, so both paths cost the same time.
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  return (dummyHash ??= hashPassword(randomBytes(16).toString("hex")));
}
