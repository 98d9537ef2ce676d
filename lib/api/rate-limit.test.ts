import { eq } from "drizzle-orm";
import { describe, it, expect, beforeAll, afterAll, vi } from "vitest";
import type { Db, OpenDatabase } from "@/db";
import { authFailures } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { countAuthFailure, purgeAuthFailures, rateLimitHeaders, recordAuthFailure, retryAfterSeconds } from "./rate-limit";

const LIMIT = 3;
const WINDOW_S = 60;
const T0 = new Date("2031-05-04T10:00:00.000Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

let seq = 0;
/** A client address no other test uses. */
const newClient = () => `198.51.100.${++seq}`;

async function rowFor(db: Db, client: string) {
  const [row] = await db.select().from(authFailures).where(eq(authFailures.clientKey, client));
  return row;
}

describe("auth failure rate limit", () => {
  let handle: OpenDatabase;
  let db: Db;
  const saved = { limit: process.env.LATCHKEY_AUTH_FAILURE_LIMIT, window: process.env.LATCHKEY_AUTH_FAILURE_WINDOW_SECONDS };

  beforeAll(async () => {
    process.env.LATCHKEY_AUTH_FAILURE_LIMIT = String(LIMIT);
    process.env.LATCHKEY_AUTH_FAILURE_WINDOW_SECONDS = String(WINDOW_S);
    handle = await createTestDatabase();
    db = handle.db;
  });
  afterAll(async () => {
    for (const [name, value] of [
      ["LATCHKEY_AUTH_FAILURE_LIMIT", saved.limit],
      ["LATCHKEY_AUTH_FAILURE_WINDOW_SECONDS", saved.window],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await handle.close();
  });

  it("allows failures up to the limit, then asks the client to wait until the window ends", async () => {
    const client = newClient();
    for (let i = 1; i <= LIMIT; i++) {
      expect(await recordAuthFailure(db, client, at(i))).toBe(0);
      expect(retryAfterSeconds(client, at(i).getTime())).toBe(0);
    }
    // The window opened at the first failure (t=1s) and closes 60 s later.
    expect(await recordAuthFailure(db, client, at(10))).toBe(WINDOW_S - 9);
    expect(await rowFor(db, client)).toEqual({ clientKey: client, windowStart: at(1), failures: LIMIT + 1 });
    // Further failures in the window keep it blocked, counting down.
    expect(await recordAuthFailure(db, client, at(30))).toBe(WINDOW_S - 29);
    expect((await rowFor(db, client)).failures).toBe(LIMIT + 2);
  });

  it("answers whether a blocked client must wait without touching the database", async () => {
    const client = newClient();
    for (let i = 0; i < LIMIT; i++) await recordAuthFailure(db, client, at(0));
    expect(retryAfterSeconds(client, at(5).getTime())).toBe(0);
    expect(await recordAuthFailure(db, client, at(5))).toBe(55);

    // The block is remembered in this instance: with the database row gone it still holds, and
    // the answer is synchronous (a number, not a promise), so no query can hide behind it.
    await db.delete(authFailures).where(eq(authFailures.clientKey, client));
    const check = (seconds: number) => retryAfterSeconds(client, at(seconds).getTime());
    expect(typeof check(5)).toBe("number");
    expect(check(5)).toBe(55);
    expect(check(20.5)).toBe(40); // rounded up
    expect(check(59.001)).toBe(1);
    expect(check(60)).toBe(0); // the window is over
    expect(check(30)).toBe(0); // and forgotten: the next failure asks the database again
  });

  it("does not hold one client's failures against another", async () => {
    const noisy = newClient();
    const quiet = newClient();
    for (let i = 0; i <= LIMIT; i++) await recordAuthFailure(db, noisy, at(1));
    expect(retryAfterSeconds(noisy, at(2).getTime())).toBeGreaterThan(0);
    expect(retryAfterSeconds(quiet, at(2).getTime())).toBe(0);
    expect(await recordAuthFailure(db, quiet, at(2))).toBe(0);
    expect((await rowFor(db, quiet)).failures).toBe(1);
    expect((await rowFor(db, noisy)).failures).toBe(LIMIT + 1);
  });

  it("starts a fresh count in a new window", async () => {
    const client = newClient();
    for (let i = 0; i <= LIMIT; i++) await recordAuthFailure(db, client, at(0));
    expect(await recordAuthFailure(db, client, at(59))).toBe(1);
    // 60 s after the window opened it is over: the count restarts at 1.
    expect(await recordAuthFailure(db, client, at(60))).toBe(0);
    expect(await rowFor(db, client)).toEqual({ clientKey: client, windowStart: at(60), failures: 1 });
    for (let i = 2; i <= LIMIT; i++) expect(await recordAuthFailure(db, client, at(61))).toBe(0);
    expect(await recordAuthFailure(db, client, at(70))).toBe(50);
  });

  it("shares one count between app instances: the count lives in the database", async () => {
    // Two module instances stand for two app instances, each with its own in-memory state.
    vi.resetModules();
    const instanceA = await import("./rate-limit");
    vi.resetModules();
    const instanceB = await import("./rate-limit");
    expect(instanceA.recordAuthFailure).not.toBe(instanceB.recordAuthFailure);

    const client = newClient();
    expect(await instanceA.recordAuthFailure(db, client, at(1))).toBe(0);
    expect(await instanceB.recordAuthFailure(db, client, at(2))).toBe(0);
    expect(await instanceA.recordAuthFailure(db, client, at(3))).toBe(0);
    expect(await rowFor(db, client)).toEqual({ clientKey: client, windowStart: at(1), failures: 3 });
    // The fourth failure overall, at the other instance: over the limit there.
    expect(await instanceB.recordAuthFailure(db, client, at(4))).toBe(57);
    expect(instanceB.retryAfterSeconds(client, at(4).getTime())).toBe(57);
    // Instance A learns on its next failure, from the database.
    expect(await instanceA.recordAuthFailure(db, client, at(5))).toBe(56);
    expect(instanceA.retryAfterSeconds(client, at(5).getTime())).toBe(56);
    expect((await rowFor(db, client)).failures).toBe(5);
  });

  it("counts concurrent failures exactly (one atomic upsert each)", async () => {
    const client = newClient();
    const results = await Promise.all(Array.from({ length: 12 }, () => recordAuthFailure(db, client, at(1))));
    expect(results.filter((r) => r === 0)).toHaveLength(LIMIT);
    expect(results.filter((r) => r === WINDOW_S)).toHaveLength(12 - LIMIT);
    expect(await rowFor(db, client)).toEqual({ clientKey: client, windowStart: at(1), failures: 12 });
  });

  it("tells how much of the budget is left and when the window resets", async () => {
    const client = newClient();
    expect(await countAuthFailure(db, client, at(1))).toEqual({ retryAfter: 0, remaining: LIMIT - 1, resetSeconds: WINDOW_S });
    expect(await countAuthFailure(db, client, at(11))).toEqual({ retryAfter: 0, remaining: LIMIT - 2, resetSeconds: WINDOW_S - 10 });
    expect(await countAuthFailure(db, client, at(20.5))).toEqual({ retryAfter: 0, remaining: 0, resetSeconds: 41 });
    // Over the limit: nothing left, and the wait is the time to the window's end.
    expect(await countAuthFailure(db, client, at(30))).toEqual({ retryAfter: 31, remaining: 0, resetSeconds: 31 });
    expect(retryAfterSeconds(client, at(30).getTime())).toBe(31);
  });

  it("writes the policy and the client's standing as IETF RateLimit fields", () => {
    expect(rateLimitHeaders(2, 41)).toEqual({
      "ratelimit-policy": `"auth-failures";q=${LIMIT};w=${WINDOW_S}`,
      ratelimit: '"auth-failures";r=2;t=41',
    });
    expect(rateLimitHeaders(-1, 0).ratelimit).toBe('"auth-failures";r=0;t=0');
  });

  it("purges windows that ended long ago and keeps recent ones", async () => {
    const old = newClient();
    const edge = newClient();
    const recent = newClient();
    const now = at(10_000);
    await recordAuthFailure(db, old, at(10_000 - 2 * WINDOW_S - 1));
    await recordAuthFailure(db, edge, at(10_000 - 2 * WINDOW_S));
    await recordAuthFailure(db, recent, at(10_000 - 5));
    await purgeAuthFailures(db, now);
    expect(await rowFor(db, old)).toBeUndefined();
    expect(await rowFor(db, edge)).toMatchObject({ failures: 1 });
    expect(await rowFor(db, recent)).toMatchObject({ failures: 1 });

    // A purged client starts again from one failure.
    expect(await recordAuthFailure(db, old, now)).toBe(0);
    expect(await rowFor(db, old)).toEqual({ clientKey: old, windowStart: now, failures: 1 });
  });
});
