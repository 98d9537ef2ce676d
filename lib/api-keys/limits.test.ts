import { and, desc, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Db, OpenDatabase } from "@/db";
import { apiKeyQuotaUsage, apiKeys, auditEvents, notifications } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { flushAccessLogs } from "@/lib/access-log/writer";
import { setClockOffsetForTests } from "@/lib/clock";
import { closeRedis } from "@/lib/redis";
import { callWithKey } from "@/lib/testing/api";
import { contextFor, seedFixtures, setWorkspace, userId } from "@/lib/testing/fixtures";
import { clearVerificationCache } from "./cache";
import { createApiKey } from "./core";
import { updateWorkspaceSettings } from "@/lib/workspaces/core";
import { flushQuotaUse, resetLimitsForTests } from "./limits";
import { flushKeyUse } from "./usage";

// Per-key rate limits and quotas through the real REST handlers, counted in this process (the
// Redis-shared counters have their own file): what is refused and with which code and headers,
// what is not counted, that quotas survive a restart through the database, that thresholds are
// recorded once, and that a limited key cannot mint or loosen its way out of its limits.

let opened: OpenDatabase;
let db: Db;
let admin: string; // an Admin's key with every scope and no limits
const g = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase> };
const savedRedis = process.env.LATCHKEY_REDIS_URL;

beforeAll(async () => {
  delete process.env.LATCHKEY_REDIS_URL;
  opened = await createTestDatabase();
  db = opened.db;
  await seedFixtures(db);
  const ctx = await contextFor(db, "admin@acme.test", "acme");
  ({ secret: admin } = await createApiKey(db, ctx, { name: "Limits admin" }));
  g.__latchkeyDb = Promise.resolve(opened);
});

afterEach(() => setClockOffsetForTests(0));

afterAll(async () => {
  g.__latchkeyDb = undefined;
  await flushQuotaUse();
  await flushKeyUse();
  await flushAccessLogs();
  await closeRedis();
  if (savedRedis !== undefined) process.env.LATCHKEY_REDIS_URL = savedRedis;
  await opened?.close();
});

type Body = {
  data: { key: { id: string; rateLimit: unknown; quota: { limit: number; period: string; used: number; resetsAt: string | null } | null } } & Record<
    string,
    unknown
  >;
  error?: { code: string; message: string; technicalError?: string; validationErrors?: Record<string, string[]> };
};

const call = (method: string, path: string, opts: { key: string; from?: string; body?: unknown }) => callWithKey<Body>(method, path, opts);

async function makeKey(body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const made = await call("POST", "/api/data/api-keys", { key: admin, body: { scopes: ["me:read", "api_keys:read"], ...body } });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  return { id: made.body.data.key.id, secret: made.body.data.secret as string };
}

/**
 * The seconds left in a window the clock was moved 10 s into: 50, or 49 once a second has really
 * passed since (the moved clock keeps running).
 */
const ABOUT_50 = "(50|49)";

/** Moves the clock to `seconds` past the start of the next whole minute (windows are aligned to the clock). */
function toMinuteStart(seconds = 1): void {
  const now = Date.now();
  setClockOffsetForTests(Math.ceil(now / 60_000) * 60_000 + 60_000 + seconds * 1000 - now);
}

describe("a per-key rate limit", () => {
  it("lets the limit through with a RateLimit header counting down, then refuses with 429 rate_limited and Retry-After", async () => {
    const limited = await makeKey({ name: "Three a minute", rateLimit: { limit: 3, window: "minute" } });
    const other = await makeKey({ name: "Unlimited neighbour" });
    toMinuteStart(10);
    for (const left of [2, 1, 0]) {
      const ok = await call("GET", "/api/data/me", { key: limited.secret });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("ratelimit-policy")).toBe('"rate";q=3;w=60');
      expect(ok.headers.get("ratelimit")).toMatch(new RegExp(`^"rate";r=${left};t=${ABOUT_50}$`));
    }
    const over = await call("GET", "/api/data/me", { key: limited.secret });
    expect(over.status).toBe(429);
    expect(over.body.error?.code).toBe("rate_limited");
    expect(over.body.error?.message).toMatch(new RegExp(`^This API key is limited to 3 requests per minute; try again in ${ABOUT_50} seconds\\.$`));
    expect(over.headers.get("retry-after")).toMatch(new RegExp(`^${ABOUT_50}$`));
    expect(over.headers.get("ratelimit")).toMatch(new RegExp(`^"rate";r=0;t=${ABOUT_50}$`));
    // Another key is not limited by it, and a key without limits gets no RateLimit header.
    const neighbour = await call("GET", "/api/data/me", { key: other.secret });
    expect(neighbour.status).toBe(200);
    expect(neighbour.headers.get("ratelimit")).toBeNull();
    // The next window lets it through again.
    toMinuteStart(70);
    expect((await call("GET", "/api/data/me", { key: limited.secret })).status).toBe(200);
  });

  it("is not spent by requests its IP rules refuse", async () => {
    const limited = await makeKey({ name: "Two a minute, one network", rateLimit: { limit: 2, window: "minute" }, ipAllow: ["198.51.100.0/24"] });
    toMinuteStart(5);
    for (let i = 0; i < 5; i++)
      expect((await call("GET", "/api/data/me", { key: limited.secret, from: "192.0.2.9" })).body.error?.code).toBe("ip_not_allowed");
    expect((await call("GET", "/api/data/me", { key: limited.secret, from: "198.51.100.7" })).status).toBe(200);
    expect((await call("GET", "/api/data/me", { key: limited.secret, from: "198.51.100.7" })).status).toBe(200);
    expect((await call("GET", "/api/data/me", { key: limited.secret, from: "198.51.100.7" })).body.error?.code).toBe("rate_limited");
  });

  it("comes from the workspace's default when a key is created without one, and null means none", async () => {
    await setWorkspace(db, "acme", { defaultRateLimit: 50, defaultRateLimitWindow: "second", defaultQuotaLimit: 1000, defaultQuotaPeriod: "month" });
    try {
      const defaulted = await makeKey({ name: "Defaulted" });
      const got = await call("GET", `/api/data/api-keys/${defaulted.id}`, { key: admin });
      expect(got.body.data.key.rateLimit).toEqual({ limit: 50, window: "second" });
      expect(got.body.data.key.quota).toMatchObject({ limit: 1000, period: "month", used: 0 });
      const none = await makeKey({ name: "Explicitly unlimited", rateLimit: null, quota: null });
      const plain = await call("GET", `/api/data/api-keys/${none.id}`, { key: admin });
      expect(plain.body.data.key.rateLimit).toBeNull();
      expect(plain.body.data.key.quota).toBeNull();
    } finally {
      await setWorkspace(db, "acme", { defaultRateLimit: null, defaultRateLimitWindow: null, defaultQuotaLimit: null, defaultQuotaPeriod: null });
    }
  });
});

describe("the workspace's default limits", () => {
  it("are set by an Admin in the settings (audited), refused field by field when bad, and only Admins may", async () => {
    const ctx = await contextFor(db, "admin@acme.test", "acme");
    await expect(updateWorkspaceSettings(db, ctx, { defaultRateLimit: { limit: -1, window: "minute" } })).rejects.toMatchObject({
      fieldErrors: { defaultRateLimit: ["The rate limit must be at least 1 request."] },
    });
    const member = await contextFor(db, "member@acme.test", "acme");
    await expect(updateWorkspaceSettings(db, member, { defaultQuota: null })).rejects.toMatchObject({ code: "forbidden" });
    try {
      const saved = await updateWorkspaceSettings(db, ctx, {
        defaultRateLimit: { limit: 20, window: "hour" },
        defaultQuota: { limit: 300, period: "day" },
      });
      expect(saved).toMatchObject({ defaultRateLimit: 20, defaultRateLimitWindow: "hour", defaultQuotaLimit: 300, defaultQuotaPeriod: "day" });
      const [event] = await db
        .select({ changes: auditEvents.changes })
        .from(auditEvents)
        .where(eq(auditEvents.action, "workspace.settings_updated"))
        .orderBy(desc(auditEvents.id))
        .limit(1);
      expect(event.changes).toMatchObject({ defaultRateLimit: { from: null, to: 20 }, defaultQuotaPeriod: { from: null, to: "day" } });
      const fresh = await contextFor(db, "admin@acme.test", "acme");
      const made = await createApiKey(db, fresh, { name: "Made under the defaults" });
      expect(made.key.rateLimit).toEqual({ limit: 20, window: "hour" });
      expect(made.key.quota).toMatchObject({ limit: 300, period: "day", used: 0 });
    } finally {
      await updateWorkspaceSettings(db, ctx, { defaultRateLimit: null, defaultQuota: null });
    }
  });
});

describe("a quota", () => {
  it("refuses with quota_exhausted once used, survives a restart through the database, and works again once topped up", async () => {
    const limited = await makeKey({ name: "Five in total", quota: { limit: 5, period: "total" } });
    for (let i = 0; i < 5; i++) {
      const ok = await call("GET", "/api/data/me", { key: limited.secret });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("ratelimit-policy")).toBe('"quota";q=5');
      expect(ok.headers.get("ratelimit")).toBe(`"quota";r=${4 - i}`);
    }
    const spent = await call("GET", "/api/data/me", { key: limited.secret });
    expect(spent.status).toBe(429);
    expect(spent.body.error?.code).toBe("quota_exhausted");
    expect(spent.body.error?.message).toBe("This API key has used its quota of 5 requests in total.");
    expect(spent.headers.get("retry-after")).toBeNull();
    // Refused requests are not counted: the database holds the five that went through.
    await flushQuotaUse();
    const [row] = await db.select().from(apiKeyQuotaUsage).where(eq(apiKeyQuotaUsage.apiKeyId, limited.id));
    expect(row).toMatchObject({ periodKey: "t", used: 5 });
    expect((await call("GET", `/api/data/api-keys/${limited.id}`, { key: admin })).body.data.key.quota).toEqual({
      limit: 5,
      period: "total",
      used: 5,
      resetsAt: null,
    });
    // As after a restart: nothing in memory, nothing cached. Still spent.
    resetLimitsForTests();
    clearVerificationCache();
    expect((await call("GET", "/api/data/me", { key: limited.secret })).body.error?.code).toBe("quota_exhausted");
    // Topped up by two: two more, then spent again.
    const topped = await call("POST", `/api/data/api-keys/${limited.id}/quota/top-up`, { key: admin, body: { requests: 2 } });
    expect(topped.status, JSON.stringify(topped.body)).toBe(200);
    expect(topped.body.data.key.quota).toMatchObject({ limit: 7, period: "total", used: 5 });
    expect((await call("GET", "/api/data/me", { key: limited.secret })).status).toBe(200);
    expect((await call("GET", "/api/data/me", { key: limited.secret })).status).toBe(200);
    expect((await call("GET", "/api/data/me", { key: limited.secret })).body.error?.code).toBe("quota_exhausted");
  });

  it("changed to another kind of period starts from nothing, and uses counted under the old one are not written over it", async () => {
    const made = await makeKey({ name: "Total, then daily", quota: { limit: 5, period: "total" } });
    for (let i = 0; i < 3; i++) expect((await call("GET", "/api/data/me", { key: made.secret })).status).toBe(200);
    // Changed while those three are still unwritten (no flush yet).
    const changed = await call("PATCH", `/api/data/api-keys/${made.id}`, { key: admin, body: { quota: { limit: 2, period: "day" } } });
    expect(changed.body.data.key.quota).toMatchObject({ limit: 2, period: "day" });
    await flushQuotaUse();
    const rows = await db.select().from(apiKeyQuotaUsage).where(eq(apiKeyQuotaUsage.apiKeyId, made.id));
    expect(rows).toEqual([]);
    expect((await call("GET", "/api/data/me", { key: made.secret })).status).toBe(200);
    expect((await call("GET", "/api/data/me", { key: made.secret })).status).toBe(200);
    expect((await call("GET", "/api/data/me", { key: made.secret })).body.error?.code).toBe("quota_exhausted");
    await flushQuotaUse();
    const [row] = await db.select().from(apiKeyQuotaUsage).where(eq(apiKeyQuotaUsage.apiKeyId, made.id));
    expect(row).toMatchObject({ periodKey: `d${new Date().toISOString().slice(0, 10)}`, used: 2 });
    // Still enforced after the flush (the day's total is what this process counts from).
    expect((await call("GET", "/api/data/me", { key: made.secret })).body.error?.code).toBe("quota_exhausted");
  });

  it("per day starts again at midnight UTC, and says when in the refusal", async () => {
    const limited = await makeKey({ name: "Two a day", quota: { limit: 2, period: "day" } });
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000;
    setClockOffsetForTests(day + 86_400_000 + 3_600_000 - Date.now()); // 01:00 tomorrow
    expect((await call("GET", "/api/data/me", { key: limited.secret })).status).toBe(200);
    const last = await call("GET", "/api/data/me", { key: limited.secret });
    expect(last.headers.get("ratelimit-policy")).toBe('"quota";q=2;w=86400');
    expect(last.headers.get("ratelimit")).toMatch(/^"quota";r=0;t=(82800|82799)$/);
    const spent = await call("GET", "/api/data/me", { key: limited.secret });
    expect(spent.body.error?.code).toBe("quota_exhausted");
    const midnight = new Date(day + 2 * 86_400_000).toISOString().replace(".000Z", "Z");
    expect(spent.body.error?.message).toBe(`This API key has used its quota of 2 requests per day; it starts again at ${midnight}.`);
    expect(spent.headers.get("retry-after")).toMatch(/^(82800|82799)$/);
    setClockOffsetForTests(day + 2 * 86_400_000 + 60_000 - Date.now()); // 00:01 the day after
    expect((await call("GET", "/api/data/me", { key: limited.secret })).status).toBe(200);
    await flushQuotaUse();
    const [row] = await db.select().from(apiKeyQuotaUsage).where(eq(apiKeyQuotaUsage.apiKeyId, limited.id));
    expect(row).toMatchObject({ periodKey: `d${new Date(day + 2 * 86_400_000).toISOString().slice(0, 10)}`, used: 1 });
  });

  it("records 80 % and 100 % in the audit log once each, as the key's own events", async () => {
    const limited = await makeKey({ name: "Ten in total", quota: { limit: 10, period: "total" } });
    for (let i = 0; i < 12; i++) await call("GET", "/api/data/me", { key: limited.secret });
    // The claims are written beside the requests; wait for both.
    let events: { metadata: unknown; actorUserId: string | null }[] = [];
    for (let tries = 0; tries < 100 && events.length < 2; tries++) {
      events = await db
        .select({ metadata: auditEvents.metadata, actorUserId: auditEvents.actorUserId })
        .from(auditEvents)
        .where(and(eq(auditEvents.apiKeyId, limited.id), eq(auditEvents.action, "api_key.quota_threshold")));
      if (events.length < 2) await new Promise((r) => setTimeout(r, 20));
    }
    expect(events.map((e) => (e.metadata as { percent: number }).percent).sort()).toEqual([100, 80]);
    expect(events[0]).toMatchObject({ actorUserId: null });
    expect(events.find((e) => (e.metadata as { percent: number }).percent === 80)!.metadata).toMatchObject({ used: 8, limit: 10, period: "total" });
    // And in the console's bell of the key's owner (who made it, and is the workspace's Admin): once each.
    const told = await db
      .select({ title: notifications.title, href: notifications.href })
      .from(notifications)
      .where(and(eq(notifications.apiKeyId, limited.id), eq(notifications.userId, await userId(db, "admin@acme.test"))));
    expect(told.map((n) => n.title).sort()).toEqual(['"Ten in total" has used 80 % of its quota', '"Ten in total" has used its whole quota']);
    expect(told[0].href).toBe(`/w/acme/account/api/${limited.id}`);
    // As after a restart: crossing them again announces nothing new.
    resetLimitsForTests();
    clearVerificationCache();
    await call("GET", "/api/data/me", { key: limited.secret });
    await new Promise((r) => setTimeout(r, 50));
    const again = await db
      .select({ id: auditEvents.id })
      .from(auditEvents)
      .where(and(eq(auditEvents.apiKeyId, limited.id), eq(auditEvents.action, "api_key.quota_threshold")));
    expect(again).toHaveLength(2);
  });
});

describe("POST /api/data/verify of a limited key", () => {
  it("spends the verified key's budget, says what is left, and then answers valid: false rate_limited", async () => {
    const verifier = await makeKey({ name: "A service's verifier", scopes: ["verify"] });
    const client = await makeKey({ name: "A client, two an hour", rateLimit: { limit: 2, window: "hour" }, quota: { limit: 100, period: "month" } });
    type Verify = {
      data: { valid: boolean; reason: string | null; limits?: { rateLimit: { remaining: number } | null; quota: { remaining: number } | null } };
    };
    const verify = () => callWithKey<Verify>("POST", "/api/data/verify", { key: verifier.secret, body: { token: client.secret } });
    const first = await verify();
    expect(first.body.data).toMatchObject({
      valid: true,
      limits: { rateLimit: { limit: 2, window: "hour", remaining: 1 }, quota: { limit: 100, period: "month", remaining: 99 } },
    });
    // The verifier's own answer carries no RateLimit header: it has no limits of its own.
    expect(first.headers.get("ratelimit")).toBeNull();
    expect((await verify()).body.data).toMatchObject({ valid: true, limits: { rateLimit: { remaining: 0 }, quota: { remaining: 98 } } });
    const over = await verify();
    expect(over.status).toBe(200);
    expect(over.body.data).toMatchObject({ valid: false, reason: "rate_limited", limits: { rateLimit: { remaining: 0 }, quota: { remaining: 98 } } });
    // The key itself is over its limit too: one budget, however it is spent.
    expect((await call("GET", "/api/data/me", { key: client.secret })).body.error?.code).toBe("rate_limited");
  });
});

describe("who may set limits", () => {
  it("refuses bad limits field by field and changes nothing", async () => {
    const before = await db.select({ id: apiKeys.id }).from(apiKeys);
    const bad = await call("POST", "/api/data/api-keys", {
      key: admin,
      body: { name: "Bad limits", rateLimit: { limit: 0, window: "day" }, quota: { limit: "lots", period: "week" } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.validationErrors).toEqual({
      rateLimit: ["The rate limit must be at least 1 request.", 'The rate limit\'s window must be "second", "minute" or "hour".'],
      quota: ["The quota must be a whole number of requests.", 'The quota\'s period must be "day", "month" or "total".'],
    });
    expect(await db.select({ id: apiKeys.id }).from(apiKeys)).toHaveLength(before.length);
    const made = await makeKey({ name: "Daily", quota: { limit: 100, period: "day" } });
    const topUp = await call("POST", `/api/data/api-keys/${made.id}/quota/top-up`, { key: admin, body: { requests: 10 } });
    expect(topUp.status).toBe(400);
    expect(topUp.body.error?.validationErrors).toEqual({
      requests: ["This key's quota is per day and starts again by itself; raise its limit instead of topping it up."],
    });
  });

  it("a key with a limit cannot create keys or tokens, nor lift or change any key's limits, its own included", async () => {
    const ctx = await contextFor(db, "admin@acme.test", "acme");
    const { secret: limited, key } = await createApiKey(db, ctx, { name: "Limited admin key", rateLimit: { limit: 1000, window: "second" } });
    const other = await makeKey({ name: "Someone else's limit", quota: { limit: 10, period: "total" } });
    const unlimited = await makeKey({ name: "An unlimited key to roll", scopes: ["me:read", "api_keys:read", "api_keys:write"] });
    await setWorkspace(db, "acme", { personalTokensAllowed: true });
    const refused = [
      await call("POST", "/api/data/api-keys", { key: limited, body: { name: "Escape hatch", rateLimit: null } }),
      await call("POST", "/api/data/api-keys", { key: limited, body: { name: "Escape hatch 2", rateLimit: { limit: 1, window: "hour" } } }),
      await call("PATCH", `/api/data/api-keys/${key.id}`, { key: limited, body: { rateLimit: null } }),
      await call("PATCH", `/api/data/api-keys/${other.id}`, { key: limited, body: { quota: null } }),
      await call("POST", `/api/data/api-keys/${other.id}/quota/top-up`, { key: limited, body: { requests: 1_000_000 } }),
      await call("POST", "/api/data/me/tokens", { key: limited, body: { name: "Token escape" } }),
      // Rolling another (unlimited) key would hand the limited key a credential with that key's budget.
      await call("POST", `/api/data/api-keys/${unlimited.id}/rotate`, { key: limited, body: { overlap: "now" } }),
    ];
    await setWorkspace(db, "acme", { personalTokensAllowed: false });
    for (const r of refused) {
      expect(r.status, JSON.stringify(r.body)).toBe(403);
      expect(r.body.error?.message).toMatch(/has a rate limit or a quota, so it cannot create keys or change limits/);
    }
    const [still] = await db.select().from(apiKeys).where(eq(apiKeys.id, key.id));
    expect(still).toMatchObject({ rateLimit: 1000, rateLimitWindow: "second" });
    const [otherRow] = await db.select().from(apiKeys).where(eq(apiKeys.id, other.id));
    expect(otherRow).toMatchObject({ quotaLimit: 10, quotaPeriod: "total" });
    // Its own key it may roll: the new secret shares its budget.
    const own = await call("POST", `/api/data/api-keys/${key.id}/rotate`, { key: limited, body: { overlap: "now" } });
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    const rolled = own.body.data.secret as string;
    // What does not touch limits still works through it.
    expect((await call("PATCH", `/api/data/api-keys/${other.id}`, { key: rolled, body: { description: "renamed by a limited key" } })).status).toBe(
      200,
    );
  });
});
