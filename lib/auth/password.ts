import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";

// scrypt is memory-hard and ships with Node (no native add-on to build). N=2^17, r=8, p=1 is
// OWASP's minimum: 128 MiB and about half a second of one core per hash. Stored as
// "scrypt$N$r$p$salt$hash" (base64url), so a sign-in can tell an older, cheaper hash and
// replace it (needsRehash).
export const SCRYPT_COST = 1 << 17;
const R = 8;
const P = 1;
const KEYLEN = 32;

// At 128 MiB and half a second each, unbounded concurrent hashing lets a sign-in flood take the
// memory and libuv's four worker threads (which file and DNS work also need). Two run at once;
// a few more wait; beyond that the caller is refused at once rather than queued for ever.
export const MAX_CONCURRENT_HASHES = 2;
export const MAX_QUEUED_HASHES = 16;

/** Thrown when too many password hashes are already running or waiting. */
export class PasswordHashingBusy extends Error {
  constructor() {
    super("Too many password checks are in progress; try again shortly.");
    this.name = "PasswordHashingBusy";
  }
}

// On globalThis: Next may bundle this module more than once (the Auth.js route, server
// actions), and the cap is for the whole process.
interface HashGate {
  running: number;
  queue: Array<() => void>;
  /** Calls into scrypt since start-up, and the most ever running at once (for tests and ops). */
  started: number;
  peak: number;
}
const g = globalThis as unknown as { __latchkeyHashGate?: HashGate };
const gate = (g.__latchkeyHashGate ??= { running: 0, queue: [], started: 0, peak: 0 });

export function passwordHashingStats(): Readonly<Pick<HashGate, "running" | "started" | "peak">> & { queued: number } {
  return { running: gate.running, queued: gate.queue.length, started: gate.started, peak: gate.peak };
}

async function withHashSlot<T>(work: () => Promise<T>): Promise<T> {
  if (gate.running >= MAX_CONCURRENT_HASHES) {
    if (gate.queue.length >= MAX_QUEUED_HASHES) throw new PasswordHashingBusy();
    await new Promise<void>((resolve) => gate.queue.push(resolve));
  } else gate.running++;
  // Holding a slot: either taken above, or handed over by the finisher below.
  gate.started++;
  gate.peak = Math.max(gate.peak, gate.running);
  try {
    return await work();
  } finally {
    const next = gate.queue.shift();
    if (next) next();
    else gate.running--;
  }
}

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return withHashSlot(
    () =>
      new Promise((resolve, reject) => scryptCb(password.normalize("NFKC"), salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key)))),
  );
}

// Node refuses scrypt above maxmem; it needs 128·N·r bytes (plus a little), so allow twice that.
const maxmem = (n: number, r: number) => 128 * n * r * 2;

/**
 * `cost` is for tests that only check the format: everything else uses the default, which is
 * what sign-in compares against.
 */
export async function hashPassword(password: string, opts: { cost?: number } = {}): Promise<string> {
  const n = opts.cost ?? SCRYPT_COST;
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEYLEN, { N: n, r: R, p: P, maxmem: maxmem(n, R) });
  return ["scrypt", n, R, P, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/** May throw PasswordHashingBusy (the work was refused, not done); otherwise never throws. */
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
  } catch (err) {
    if (err instanceof PasswordHashingBusy) throw err;
    return false; // e.g. N not a power of two
  }
}

/** True when a stored hash is weaker than what hashPassword makes now (sign-in then replaces it). */
export function needsRehash(stored: string): boolean {
  const [alg, n, r, p, , hash] = stored.split("$");
  if (alg !== "scrypt") return true;
  return Number(n) < SCRYPT_COST || Number(r) < R || Number(p) < P || Buffer.from(hash ?? "", "base64url").length < KEYLEN;
}

// Compared against when the email is unknown, so both paths cost the same time: made with the
// same parameters as a real hash.
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString("hex"));
  // A refused (busy) first attempt must not stick.
  dummyHash.catch(() => (dummyHash = undefined));
  return dummyHash;
}
