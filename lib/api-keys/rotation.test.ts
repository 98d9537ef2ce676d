import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { apiKeyPreviousSecrets, apiKeys } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { flushAccessLogs } from "@/lib/access-log/writer";
import { setClockOffsetForTests } from "@/lib/clock";
import { callApi } from "@/lib/testing/api";
import { auditEventsAfter, contextFor, lastAuditEventId, seedFixtures, setWorkspace, snapshotOf, userId } from "@/lib/testing/fixtures";
import { setManageApiKeysGrant } from "@/lib/workspaces/core";
import { createApiKey, listPreviousSecrets, retireDuePreviousSecrets, revokeApiKey, rotateApiKey } from "./core";
import { flushPreviousSecretUse, forgetPreviousSecretUseForTests } from "./previous-use";
import { verifyApiKey } from "./verify";

// Rotation: a new secret for the same key; the old one works for an overlap or until it has gone
// quiet (with a deadline), and is then refused as key_rotated, never silently accepted and never
// as an unknown key. Time is moved, not waited for: verifyApiKey's `now`, and the clock the REST
// handler and the cores read (lib/clock.ts).

let handle: OpenDatabase;
const g = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase> };
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

beforeAll(async () => {
  handle = await createTestDatabase();
  await seedFixtures(handle.db);
  // Keys made here expire in 90 days at the latest, so every answer also carries Latchkey-Key-Expires.
  await setWorkspace(handle.db, "acme", { maxKeyLifetimeDays: 90 });
  g.__latchkeyDb = Promise.resolve(handle);
});
afterAll(async () => {
  g.__latchkeyDb = undefined;
  await flushAccessLogs();
  await handle.close();
});
afterEach(() => setClockOffsetForTests(0));

let n = 0;
const unique = (label: string) => `${label} ${++n}`;
const admin = () => contextFor(handle.db, "admin@acme.test", "acme");

async function made(input: Record<string, unknown> = {}) {
  return createApiKey(handle.db, await admin(), { name: unique("Rotated"), ...input });
}

/** What a request with `secret` at `at` gets: "accepted" or the refusal's code. */
async function verdict(secret: string, at: Date) {
  const r = await verifyApiKey(handle.db, secret, { via: "x-apikey", now: at });
  return r.ok ? "accepted" : r.code;
}

async function rest(method: string, path: string, secret: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await callApi(
    new Request(`http://localhost${path}`, {
      method,
      headers: { "x-apikey": secret, "x-forwarded-for": "198.51.100.30", ...(body ? { "content-type": "application/json" } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    }),
  );
  return {
    res,
    body: (await res.json()) as {
      data?: { secret: string | null; key: { prefix: string; expiresAt: string }; previous: Record<string, unknown> };
      error?: { code: string; message: string; validationErrors?: Record<string, string[]> };
    },
  };
}

describe("rotateApiKey", () => {
  it("gives the same key a new secret; the old one works through its overlap, then is refused as key_rotated", async () => {
    const ctx = await admin();
    const { key, secret: old } = await made({ scopes: ["me:read", "api_keys:read"], description: "kept", bearerAllowed: false });
    const before = await lastAuditEventId(handle.db);
    const rotatedAt = new Date();
    const rotated = await rotateApiKey(handle.db, ctx, key.id, { overlap: "1h" }, rotatedAt);

    expect(rotated.secret).not.toBe(old);
    expect(rotated.key).toMatchObject({
      id: key.id,
      name: key.name,
      description: "kept",
      scopes: ["api_keys:read", "me:read"],
      bearerAllowed: false,
    });
    expect(rotated.key.prefix).not.toBe(key.prefix);
    expect(rotated.previous).toMatchObject({ prefix: key.prefix, newPrefix: rotated.key.prefix, mode: "overlap", retiredAt: null });
    expect(rotated.previous.retireAt.getTime()).toBe(rotatedAt.getTime() + HOUR);

    // One audit event linking the prefixes, never a secret.
    const events = await auditEventsAfter(handle.db, before);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: "api_key.rotated",
      apiKeyId: key.id,
      changes: { prefix: { from: key.prefix, to: rotated.key.prefix } },
    });
    expect(JSON.stringify(events)).not.toContain(old);
    expect(JSON.stringify(events)).not.toContain(rotated.secret);

    const at = (ms: number) => new Date(rotatedAt.getTime() + ms);
    expect(await verdict(rotated.secret, at(0))).toBe("accepted");
    expect(await verdict(old, at(59 * MIN))).toBe("accepted");
    const refused = await verifyApiKey(handle.db, old, { via: "x-apikey", now: at(HOUR) });
    expect(refused).toMatchObject({ ok: false, code: "key_rotated", status: 401 });
    expect(!refused.ok && refused.message).toBe(
      `This API key was rotated at ${rotatedAt.toISOString()}; the secret sent stopped working at ${at(HOUR).toISOString()} (its overlap ended).`,
    );
    expect(await verdict(rotated.secret, at(HOUR))).toBe("accepted");
  });

  it('"now" refuses the old secret at once; rotating again retires a pending old secret at once', async () => {
    const ctx = await admin();
    const first = await made();
    const now = new Date();
    const a = await rotateApiKey(handle.db, ctx, first.key.id, { overlap: "now" }, now);
    expect(await verdict(first.secret, now)).toBe("key_rotated");
    expect(a.previous).toMatchObject({ retiredReason: "overlap_ended" });

    const second = await made();
    const b = await rotateApiKey(handle.db, ctx, second.key.id, { overlap: "7d" }, now);
    expect(await verdict(second.secret, now)).toBe("accepted");
    const c = await rotateApiKey(handle.db, ctx, second.key.id, { overlap: { seconds: 600 } }, new Date(now.getTime() + 1000));
    expect(await verdict(second.secret, now)).toBe("key_rotated");
    expect(await verdict(b.secret, new Date(now.getTime() + 600_000))).toBe("accepted");
    expect(await verdict(c.secret, now)).toBe("accepted");
    // Rolled again after its overlap ended: it stopped for that reason, not because of the new roll.
    const third = await made();
    await rotateApiKey(handle.db, ctx, third.key.id, { overlap: "1h" }, now);
    await rotateApiKey(handle.db, ctx, third.key.id, { overlap: "now" }, new Date(now.getTime() + 2 * HOUR));
    expect((await listPreviousSecrets(handle.db, ctx, third.key.id)).map((p) => [p.retiredReason, p.retiredAt])).toEqual([
      ["overlap_ended", new Date(now.getTime() + 2 * HOUR)],
      ["overlap_ended", new Date(now.getTime() + HOUR)],
    ]);
    const history = await listPreviousSecrets(handle.db, ctx, second.key.id);
    expect(history.map((p) => [p.prefix, p.retiredReason])).toEqual([
      [b.key.prefix, null],
      [second.key.prefix, "rotated_again"],
    ]);
  });

  it("quiet mode: kept while used, retired once quiet for N minutes, and at the deadline even if busy", async () => {
    const ctx = await admin();
    const t0 = new Date();
    const at = (ms: number) => new Date(t0.getTime() + ms);

    const busy = await made();
    await rotateApiKey(handle.db, ctx, busy.key.id, { mode: "quiet", quietMinutes: 60, deadlineDays: 2 }, t0);
    // Used every 50 minutes: never quiet for an hour, so it works until the deadline and not after.
    for (let m = 50; m < 48 * 60; m += 50) {
      expect(await verdict(busy.secret, at(m * MIN)), `minute ${m}`).toBe("accepted");
      await recordUse(busy.secret, at(m * MIN));
    }
    expect(await verdict(busy.secret, at(2 * DAY))).toBe("key_rotated");
    const refused = await verifyApiKey(handle.db, busy.secret, { via: "x-apikey", now: at(2 * DAY) });
    expect(!refused.ok && refused.message).toContain("its retirement deadline passed");

    const idle = await made();
    await rotateApiKey(handle.db, ctx, idle.key.id, { mode: "quiet" }, t0);
    expect(await verdict(idle.secret, at(30 * MIN))).toBe("accepted");
    // Not yet written when it goes quiet: retirement counts it all the same (as of 60 minutes after it).
    await recordUse(idle.secret, at(30 * MIN), { flush: false });
    // 60 minutes after its last use (not after the rotation): retired, as of then.
    expect(await verdict(idle.secret, at(89 * MIN))).toBe("accepted");
    expect(await verdict(idle.secret, at(90 * MIN))).toBe("key_rotated");
    const [row] = await handle.db.select().from(apiKeyPreviousSecrets).where(eq(apiKeyPreviousSecrets.apiKeyId, idle.key.id));
    expect(row).toMatchObject({ retiredReason: "quiet", requests: 1 });
    expect(row.retiredAt!.getTime()).toBe(at(90 * MIN).getTime());
    // Once retired it stays retired, whatever is sent later.
    expect(await verdict(idle.secret, at(91 * MIN))).toBe("key_rotated");
  });

  it("quiet mode: a use seen only by another instance (in the database) keeps the old secret working", async () => {
    const ctx = await admin();
    const t0 = new Date();
    const { key, secret } = await made();
    await rotateApiKey(handle.db, ctx, key.id, { mode: "quiet", quietMinutes: 10, deadlineDays: 1 }, t0);
    expect(await verdict(secret, t0)).toBe("accepted");
    // Another instance saw it used at minute 8; this one knows nothing of that use.
    forgetPreviousSecretUseForTests();
    await handle.db
      .update(apiKeyPreviousSecrets)
      .set({ lastUsedAt: new Date(t0.getTime() + 8 * MIN) })
      .where(eq(apiKeyPreviousSecrets.apiKeyId, key.id));
    expect(await verdict(secret, new Date(t0.getTime() + 12 * MIN))).toBe("accepted");
    expect(await verdict(secret, new Date(t0.getTime() + 18 * MIN))).toBe("key_rotated");
  });

  it("the retirement job marks due old secrets retired as of when they stopped, once, whoever runs it", async () => {
    const ctx = await admin();
    const t0 = new Date();
    const overlap = await made();
    const quiet = await made();
    const deadline = await made();
    await rotateApiKey(handle.db, ctx, overlap.key.id, { overlap: "1h" }, t0);
    await rotateApiKey(handle.db, ctx, quiet.key.id, { mode: "quiet", quietMinutes: 30, deadlineDays: 1 }, t0);
    await rotateApiKey(handle.db, ctx, deadline.key.id, { mode: "quiet", quietMinutes: 600, deadlineDays: 1 }, t0);
    await handle.db
      .update(apiKeyPreviousSecrets)
      .set({ lastUsedAt: new Date(t0.getTime() + 23 * HOUR) })
      .where(eq(apiKeyPreviousSecrets.apiKeyId, deadline.key.id));

    const later = new Date(t0.getTime() + DAY + MIN);
    const [first, second] = await Promise.all([retireDuePreviousSecrets(handle.db, later), retireDuePreviousSecrets(handle.db, later)]);
    expect(first + second).toBeGreaterThanOrEqual(3);
    expect(await retireDuePreviousSecrets(handle.db, later)).toBe(0);
    const reasons = async (id: string) => (await listPreviousSecrets(handle.db, ctx, id))[0];
    expect(await reasons(overlap.key.id)).toMatchObject({ retiredReason: "overlap_ended", retiredAt: new Date(t0.getTime() + HOUR) });
    expect(await reasons(quiet.key.id)).toMatchObject({ retiredReason: "quiet", retiredAt: new Date(t0.getTime() + 30 * MIN) });
    expect(await reasons(deadline.key.id)).toMatchObject({ retiredReason: "deadline", retiredAt: new Date(t0.getTime() + DAY) });
  });

  it("refuses bad input with a field error and changes nothing", async () => {
    const ctx = await admin();
    const { key } = await made();
    const before = await snapshotOf(handle.db, { apiKeys: true });
    const cases: [unknown, string, string][] = [
      [{}, "overlap", "Choose an overlap"],
      [{ overlap: "2h" }, "overlap", "Overlap must be"],
      [{ overlap: { seconds: 0 } }, "overlap", "Overlap must be"],
      [{ overlap: { seconds: 30 * 86_400 + 1 } }, "overlap", "Overlap must be"],
      [{ overlap: "1h", quietMinutes: 5 }, "quietMinutes", "applies only with"],
      [{ mode: "quiet", overlap: "1h" }, "overlap", "not both"],
      [{ mode: "quiet", quietMinutes: 0 }, "quietMinutes", "at least 1"],
      [{ mode: "quiet", deadlineDays: 31 }, "deadlineDays", "at most 30"],
      [{ mode: "quiet", quietMinutes: 24 * 60, deadlineDays: 1 }, "quietMinutes", "shorter than the deadline"],
      [{ overlap: "1h", extra: true }, "", ""],
    ];
    for (const [input, field, message] of cases) {
      const err = await rotateApiKey(handle.db, ctx, key.id, input).catch((e: unknown) => e);
      expect(err, JSON.stringify(input)).toMatchObject({ code: "validation" });
      if (field) expect((err as { fieldErrors: Record<string, string[]> }).fieldErrors[field]?.join(" "), JSON.stringify(input)).toContain(message);
    }
    expect(await snapshotOf(handle.db, { apiKeys: true })).toBe(before);
  });
});

/** What the REST handler does with an accepted old secret's request. */
async function recordUse(secret: string, at: Date, { flush = true } = {}) {
  const { recordPreviousSecretUse } = await import("./previous-use");
  const r = await verifyApiKey(handle.db, secret, { via: "x-apikey", now: at });
  if (r.ok && r.value.previous) recordPreviousSecretUse(handle.db, r.value.previous.id, at.getTime());
  if (flush) await flushPreviousSecretUse();
}

describe("who may rotate (the attacker's cases first)", () => {
  it("a Manager with the Manage API Keys grant cannot rotate an Admin's key: the new secret would act as the Admin", async () => {
    const ctx = await admin();
    const managerId = await userId(handle.db, "manager@acme.test");
    await setManageApiKeysGrant(handle.db, ctx, managerId, true);
    const manager = await contextFor(handle.db, "manager@acme.test", "acme");
    const { key } = await made();
    const before = await snapshotOf(handle.db, { apiKeys: true });
    await expect(rotateApiKey(handle.db, manager, key.id, { overlap: "now" })).rejects.toMatchObject({ code: "forbidden" });
    expect(await snapshotOf(handle.db, { apiKeys: true })).toBe(before);
    // A key of their own they may rotate.
    const own = await createApiKey(handle.db, manager, { name: unique("Manager's own") });
    await expect(rotateApiKey(handle.db, manager, own.key.id, { overlap: "now" })).resolves.toMatchObject({ key: { id: own.key.id } });
  });

  it("a Member cannot rotate; another workspace's key is not found", async () => {
    const { key } = await made();
    await expect(rotateApiKey(handle.db, await contextFor(handle.db, "member@acme.test", "acme"), key.id, { overlap: "now" })).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(
      rotateApiKey(handle.db, await contextFor(handle.db, "admin@globex.test", "globex"), key.id, { overlap: "now" }),
    ).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("over REST: a key with fewer scopes cannot rotate a broader key, nor can an old secret rotate anything; the new secret does no more than the old", async () => {
    const narrow = await made({ scopes: ["api_keys:read", "api_keys:write"] });
    const broad = await made();
    const refused = await rest("POST", `/api/data/api-keys/${broad.key.id}/rotate`, narrow.secret, { overlap: "now" });
    expect(refused.res.status).toBe(403);
    expect(refused.body.error?.code).toBe("forbidden");

    // The narrow key rotates itself; its old secret, still in its overlap, may not rotate.
    const self = await rest("POST", `/api/data/api-keys/${narrow.key.id}/rotate`, narrow.secret, { overlap: "24h" });
    expect(self.res.status).toBe(200);
    const oldTry = await rest("POST", `/api/data/api-keys/${narrow.key.id}/rotate`, narrow.secret, { overlap: "now" });
    expect(oldTry.res.status).toBe(403);
    expect(oldTry.body.error?.message).toContain("cannot rotate");
    const newSecret = self.body.data!.secret as string;
    const [row] = await handle.db.select().from(apiKeys).where(eq(apiKeys.id, narrow.key.id));
    expect(row.scopes).toEqual(["api_keys:read", "api_keys:write"]);
    const me = await rest("GET", "/api/data/audit", newSecret);
    expect(me.body.error?.code).toBe("scope_missing");
  });
});

describe("POST /api/data/api-keys/{id}/rotate", () => {
  it("answers the new secret once; a replay of its Idempotency-Key answers secret null and rotates nothing again", async () => {
    const caller = await made();
    const target = await made();
    const path = `/api/data/api-keys/${target.key.id}/rotate`;
    const headers = { "idempotency-key": `rotate-${target.key.id}` };
    const first = await rest("POST", path, caller.secret, { mode: "quiet", quietMinutes: 15 }, headers);
    expect(first.res.status).toBe(200);
    const secret = first.body.data!.secret as string;
    expect(secret).toMatch(/^lk_/);
    expect(first.body.data!.previous).toMatchObject({ prefix: target.key.prefix, mode: "quiet", quietMinutes: 15, retiredAt: null });
    const replay = await rest("POST", path, caller.secret, { mode: "quiet", quietMinutes: 15 }, headers);
    expect(replay.res.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body.data).toMatchObject({ secret: null, key: { prefix: first.body.data!.key.prefix } });
    expect(await listPreviousSecrets(handle.db, await admin(), target.key.id)).toHaveLength(1);
    expect(await verdict(secret, new Date())).toBe("accepted");
  });

  it("a revoked key's page still lists its rotations, and neither its new nor its old secret works", async () => {
    const ctx = await admin();
    const { key, secret: old } = await made();
    const rolled = await rotateApiKey(handle.db, ctx, key.id, { overlap: "24h" }, new Date());
    await revokeApiKey(handle.db, ctx, key.id, { revocation: { reason: "compromised" } });
    expect(await listPreviousSecrets(handle.db, ctx, key.id)).toHaveLength(1);
    expect(await verdict(rolled.secret, new Date())).toBe("key_revoked");
    expect(await verdict(old, new Date())).toBe("key_revoked");
  });

  it("bad input is a 400 with validationErrors; an unknown id a 404", async () => {
    const caller = await made();
    const bad = await rest("POST", `/api/data/api-keys/${caller.key.id}/rotate`, caller.secret, { overlap: { seconds: -5 } });
    expect(bad.res.status).toBe(400);
    expect(bad.body.error?.validationErrors?.overlap?.[0]).toContain("Overlap must be");
    const missing = await rest("POST", `/api/data/api-keys/3f2b8c1e-0000-4000-8000-000000000001/rotate`, caller.secret, { overlap: "now" });
    expect(missing.res.status).toBe(404);
  });

  it("an old secret's answers carry Latchkey-Key-Rotated and -Expires; a key that expires, -Expires; after the overlap: key_rotated", async () => {
    const caller = await made();
    const rotated = await rest("POST", `/api/data/api-keys/${caller.key.id}/rotate`, caller.secret, { overlap: "1h" });
    const previous = rotated.body.data!.previous as { retireAt: string };
    const newKey = rotated.body.data!.key as { prefix: string; expiresAt: string };
    const second = (iso: string) => iso.replace(/\.\d{3}Z$/, "Z");

    const old = await rest("GET", "/api/data/me", caller.secret);
    expect(old.res.status).toBe(200);
    expect(old.res.headers.get("latchkey-key-rotated")).toBe(newKey.prefix.replace("…", ""));
    expect(old.res.headers.get("latchkey-key-expires")).toBe(second(previous.retireAt));
    // The answer to /me is kept per cache entry: the headers are still there the second time.
    const again = await rest("GET", "/api/data/me", caller.secret);
    expect(again.res.headers.get("latchkey-key-rotated")).toBe(newKey.prefix.replace("…", ""));
    // Refused for a missing scope, the answer still says the secret is on its way out.
    const scoped = await rest("GET", "/api/data/audit", caller.secret);
    expect(scoped.res.headers.get("latchkey-key-rotated")).toBe(newKey.prefix.replace("…", ""));

    const current = await rest("GET", "/api/data/me", rotated.body.data!.secret as string);
    expect(current.res.headers.get("latchkey-key-rotated")).toBeNull();
    expect(current.res.headers.get("latchkey-key-expires")).toBe(second(newKey.expiresAt));

    setClockOffsetForTests(HOUR + 1000);
    const late = await rest("GET", "/api/data/me", caller.secret);
    expect(late.res.status).toBe(401);
    expect(late.body.error?.code).toBe("key_rotated");
    expect(late.res.headers.get("latchkey-key-rotated")).toBeNull();
    expect(late.res.headers.get("www-authenticate")).toContain("invalid_token");
  });

  it("quiet mode's Latchkey-Key-Expires is a quiet period from this request, or the deadline if that is sooner", async () => {
    const caller = await made();
    const rotated = await rest("POST", `/api/data/api-keys/${caller.key.id}/rotate`, caller.secret, {
      mode: "quiet",
      quietMinutes: 120,
      deadlineDays: 1,
    });
    const deadline = new Date((rotated.body.data!.previous as { retireAt: string }).retireAt);
    const before = Date.now();
    const early = await rest("GET", "/api/data/me", caller.secret);
    const expires = new Date(early.res.headers.get("latchkey-key-expires")!).getTime();
    expect(expires).toBeGreaterThanOrEqual(Math.floor((before + 120 * MIN) / 1000) * 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 120 * MIN);
    await flushPreviousSecretUse();
    setClockOffsetForTests(23 * HOUR);
    // 23 hours on, with a use another instance saw an hour ago: still accepted, and a quiet period from now would pass the deadline.
    await handle.db
      .update(apiKeyPreviousSecrets)
      .set({ lastUsedAt: new Date(Date.now() + 22 * HOUR) })
      .where(eq(apiKeyPreviousSecrets.apiKeyId, caller.key.id));
    const late = await rest("GET", "/api/data/me", caller.secret);
    expect(late.res.status).toBe(200);
    expect(late.res.headers.get("latchkey-key-expires")).toBe(deadline.toISOString().replace(/\.\d{3}Z$/, "Z"));
  });
  it("/verify of an old secret still accepted says rotated (current prefix, mode, when it stops), and that use keeps a quiet-mode secret alive", async () => {
    const verifier = await made({ scopes: ["verify"] });
    const presented = await made();
    const t0 = new Date();
    const rolled = await rotateApiKey(handle.db, await admin(), presented.key.id, { mode: "quiet", quietMinutes: 30, deadlineDays: 2 }, t0);
    const check = async () => {
      const { body } = await rest("POST", "/api/data/verify", verifier.secret, { token: presented.secret });
      return (
        body as unknown as { data: { valid: boolean; reason: string | null; rotated?: { currentPrefix: string; mode: string; stopsAt: string } } }
      ).data;
    };
    const first = await check();
    expect(first).toMatchObject({ valid: true, rotated: { currentPrefix: rolled.key.prefix, mode: "quiet" } });
    const stopsAt = new Date(first.rotated!.stopsAt).getTime();
    expect(stopsAt).toBeGreaterThan(Date.now() + 29 * MIN);
    expect(stopsAt).toBeLessThanOrEqual(Date.now() + 30 * MIN);
    // The new secret's answer has no rotated.
    const current = await rest("POST", "/api/data/verify", verifier.secret, { token: rolled.secret });
    expect((current.body as unknown as { data: Record<string, unknown> }).data).toMatchObject({ valid: true });
    expect((current.body as unknown as { data: Record<string, unknown> }).data).not.toHaveProperty("rotated");
    // Used through /verify 20 minutes in: at minute 40 it has been quiet for only 20 minutes.
    setClockOffsetForTests(20 * MIN);
    expect(await check()).toMatchObject({ valid: true });
    await flushPreviousSecretUse();
    forgetPreviousSecretUseForTests();
    setClockOffsetForTests(40 * MIN);
    expect(await check()).toMatchObject({ valid: true, rotated: { mode: "quiet" } });
    await flushPreviousSecretUse();
    forgetPreviousSecretUseForTests();
    setClockOffsetForTests(75 * MIN);
    expect(await check()).toMatchObject({ valid: false, reason: "key_rotated" });
  });
});
