import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "@redis/client";
import type { Db, OpenDatabase } from "@/db";
import { createTestDatabase } from "@/db/testing";
import { flushAccessLogs } from "@/lib/access-log/writer";
import { closeRedis, redisClient, redisStatus } from "@/lib/redis";
import { callWithKey } from "@/lib/testing/api";
import { contextFor, seedFixtures } from "@/lib/testing/fixtures";
import { clearVerificationCache } from "./cache";
import { createApiKey } from "./core";
import { flushQuotaUse, resetLimitsForTests } from "./limits";
import { flushKeyUse } from "./usage";

// Limits shared through Redis (LATCHKEY_REDIS_URL; the test machine runs one on 127.0.0.1:6379,
// and .ci/run starts it when it is down). Another instance is played by forgetting everything
// this process counted: what it then allows is what Redis says is left. And when Redis is
// unreachable, requests are still answered at once, counted per process.

const REDIS_URL = "redis://127.0.0.1:6379";
let opened: OpenDatabase;
let db: Db;
let peek: ReturnType<typeof createClient>;
const g = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase> };
const savedRedis = process.env.LATCHKEY_REDIS_URL;

async function redisReady(): Promise<void> {
  for (let i = 0; i < 200 && !redisClient(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(redisStatus(), `Redis at ${REDIS_URL} must be running for this test`).toBe("ok");
}

beforeAll(async () => {
  process.env.LATCHKEY_REDIS_URL = REDIS_URL;
  opened = await createTestDatabase();
  db = opened.db;
  await seedFixtures(db);
  g.__latchkeyDb = Promise.resolve(opened);
  peek = createClient({ url: REDIS_URL });
  await peek.connect();
  await redisReady();
});

afterAll(async () => {
  g.__latchkeyDb = undefined;
  await flushQuotaUse();
  await flushKeyUse();
  await flushAccessLogs();
  await closeRedis();
  await peek?.close();
  if (savedRedis === undefined) delete process.env.LATCHKEY_REDIS_URL;
  else process.env.LATCHKEY_REDIS_URL = savedRedis;
  await opened?.close();
});

async function me(secret: string) {
  const { status, headers, body } = await callWithKey<{ error?: { code: string } }>("GET", "/api/data/me", { key: secret });
  return { status, code: body.error?.code, headers };
}

async function makeKey(name: string, limits: Record<string, unknown>) {
  const ctx = await contextFor(db, "admin@acme.test", "acme");
  const made = await createApiKey(db, ctx, { name, scopes: ["me:read"], ...limits });
  return { id: made.key.id, secret: made.secret };
}

/** Another instance: nothing counted in memory, nothing cached. */
function asAnotherInstance(): void {
  resetLimitsForTests();
  clearVerificationCache();
}

describe("with Redis", () => {
  it("instances share one rate limit: what one spent, the other cannot", async () => {
    // A long window, so the test cannot straddle two.
    const key = await makeKey("Shared rate limit", { rateLimit: { limit: 3, window: "hour" } });
    expect((await me(key.secret)).status).toBe(200);
    expect((await me(key.secret)).status).toBe(200);
    asAnotherInstance();
    const third = await me(key.secret);
    expect(third.status).toBe(200);
    expect(third.headers.get("ratelimit")).toMatch(/^"rate";r=0;t=\d+$/);
    asAnotherInstance();
    expect((await me(key.secret)).code).toBe("rate_limited");
    // The counter is Redis's, under the key's id.
    const names = await peek.keys(`latchkey:{${key.id}}:rate:*`);
    expect(names).toHaveLength(1);
    expect(await peek.get(names[0])).toBe("4");
  });

  it("instances share one quota, and a Redis that lost it starts again from the database's count", async () => {
    const key = await makeKey("Shared quota", { quota: { limit: 4, period: "total" } });
    const counter = async () => {
      const names = await peek.keys(`latchkey:{${key.id}}:quota:*`);
      return names.length === 1 ? await peek.get(names[0]) : null;
    };
    expect((await me(key.secret)).status).toBe(200);
    expect((await me(key.secret)).status).toBe(200);
    expect(await counter()).toBe("2");
    // This instance's writes reach the database as they would (its timer), then the other one serves.
    await flushQuotaUse();
    asAnotherInstance();
    expect((await me(key.secret)).status).toBe(200);
    expect((await me(key.secret)).status).toBe(200);
    expect((await me(key.secret)).code).toBe("quota_exhausted");
    expect(await counter()).toBe("4");
    await flushQuotaUse();
    // Redis restarted (it keeps nothing here): the database still knows all four.
    await peek.del(await peek.keys(`latchkey:{${key.id}}:quota:*`));
    asAnotherInstance();
    expect((await me(key.secret)).code).toBe("quota_exhausted");
    expect(await counter()).toBe("4");
    // A counter seeded low (by an instance whose view was old) lets a request through, and the
    // next write of the key's use raises it back to the database's total.
    const names = await peek.keys(`latchkey:{${key.id}}:quota:*`);
    await peek.set(names[0], "1", { KEEPTTL: true });
    expect((await me(key.secret)).status).toBe(200);
    await flushQuotaUse();
    await expect.poll(counter).toBe("5");
    expect((await me(key.secret)).code).toBe("quota_exhausted");
  });
});

describe("with Redis unreachable", () => {
  it("answers at once and counts per process", async () => {
    await closeRedis();
    process.env.LATCHKEY_REDIS_URL = "redis://127.0.0.1:1";
    try {
      expect(redisStatus()).toBe("unreachable");
      const key = await makeKey("Counted here", { rateLimit: { limit: 2, window: "hour" } });
      const started = performance.now();
      expect((await me(key.secret)).status).toBe(200);
      expect((await me(key.secret)).status).toBe(200);
      expect((await me(key.secret)).code).toBe("rate_limited");
      // No wait for a connection: well under the driver's connect timeout.
      expect(performance.now() - started).toBeLessThan(1_500);
    } finally {
      await closeRedis();
      process.env.LATCHKEY_REDIS_URL = REDIS_URL;
    }
  });
});
