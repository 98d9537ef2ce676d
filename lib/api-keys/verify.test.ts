import { and, eq } from "drizzle-orm";
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import type { Db, OpenDatabase } from "@/db";
import { apiKeys, memberships, users } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { addUser, contextFor, seedFixtures, setWorkspace, userId, workspaceId } from "@/lib/testing/fixtures";
import { createApiKey, revokeApiKey } from "./core";
import { generateSecret, hashSecret } from "./format";
import { createMyToken } from "./tokens";
import { verifyApiKey, type VerifyResult } from "./verify";

const DAY_MS = 86_400_000;

/** A database handle that fails the test the moment anything touches it. */
function untouchableDb(): { db: Db; touched: string[] } {
  const touched: string[] = [];
  const db = new Proxy({} as Db, {
    get(_target, prop) {
      touched.push(String(prop));
      throw new Error(`the database was used (${String(prop)})`);
    },
  });
  return { db, touched };
}

/** The same secret with its last checksum character changed. */
const withBadChecksum = (secret: string) => secret.slice(0, -1) + (secret.endsWith("0") ? "1" : "0");

/** Everything a caller could see of a result, as one string, to look for leaked secrets. */
const serialised = (r: VerifyResult) => JSON.stringify(r);

let seq = 0;
const uniqueName = (label: string) => `${label} ${++seq}`;

describe("verifyApiKey: malformed input never reaches the database", () => {
  const good = generateSecret();
  const cases: [string, string][] = [
    ["a bad checksum", withBadChecksum(good)],
    ["a typo in the random part", good.slice(0, 5) + (good[5] === "a" ? "b" : "a") + good.slice(6)],
    ["one character too short", good.slice(0, -1)],
    ["one character too long", good + "0"],
    ["lk_ followed by garbage", "lk_not-a-key"],
    ["lk_ with punctuation of the right length", "lk_" + "!".repeat(38)],
    ["lk_ alone", "lk_"],
    ["a short string that is not ours", "hunter2"],
    ["a long string with spaces", "this is a sentence rather than a secret, honestly"],
    ["a long string with non-ASCII characters", "ключ-".repeat(10)],
    ["an over-long imported-looking secret", "x".repeat(257)],
  ];

  it.each(cases)("%s → malformed_key (401), no lookup", async (_label, secret) => {
    const { db, touched } = untouchableDb();
    for (const via of ["bearer", "x-apikey", "query", "form", "json"] as const) {
      const result = await verifyApiKey(db, secret, { via });
      expect(result).toMatchObject({ ok: false, code: "malformed_key", status: 401, message: "The API key is malformed." });
      expect(result).not.toHaveProperty("found.key");
    }
    expect(touched).toEqual([]);
  });

  it("a well-formed secret does reach the database (the probe above would notice)", async () => {
    const { db, touched } = untouchableDb();
    await expect(verifyApiKey(db, generateSecret(), { via: "x-apikey" })).rejects.toThrow(/the database was used/);
    expect(touched.length).toBeGreaterThan(0);
    // An imported secret of a plausible length is looked up too.
    await expect(verifyApiKey(db, "legacy-" + "Z".repeat(40), { via: "x-apikey" })).rejects.toThrow(/the database was used/);
  });
});

describe("verifyApiKey (seeded database)", () => {
  let handle: OpenDatabase;
  let db: Db;
  let acmeId: string;
  let adminId: string;
  let managerId: string;

  beforeAll(async () => {
    handle = await createTestDatabase();
    db = handle.db;
    await seedFixtures(db);
    acmeId = await workspaceId(db, "acme");
    adminId = await userId(db, "admin@acme.test");
    managerId = await userId(db, "manager@acme.test");
  });
  afterAll(() => handle.close());

  const adminCtx = () => contextFor(db, "admin@acme.test", "acme");

  /** A fresh workspace key in acme (created as the Admin would) and its secret. */
  async function newKey(input: Record<string, unknown> = {}) {
    const { key, secret } = await createApiKey(db, await adminCtx(), { name: uniqueName("Verify"), ...input });
    return { id: key.id, secret, expiresAt: key.expiresAt };
  }

  /** Asserts a refusal that still names the key (for its access log), and returns it. */
  function expectRefusedWithFound(result: VerifyResult, code: string, status: 401 | 403, keyId: string) {
    expect(result).toMatchObject({ ok: false, code, status });
    if (result.ok) throw new Error("unreachable");
    expect(result.found?.key.id).toBe(keyId);
    expect(result.found?.workspace.id).toBe(acmeId);
    return result;
  }

  it("accepts a live key and reports its workspace, owner and role", async () => {
    const { id, secret } = await newKey({ scopes: ["me:read", "verify"] });
    const result = await verifyApiKey(db, secret, { via: "x-apikey" });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toMatchObject({
      key: { id, kind: "workspace", ownerId: adminId, scopes: ["me:read", "verify"], enabled: true, bearerAllowed: true, revokedAt: null },
      workspace: { id: acmeId, slug: "acme" },
      owner: { id: adminId, email: "admin@acme.test", name: "Ada Admin", isGlobalAdmin: false },
      role: "admin",
      canManageApiKeys: false,
    });
  });

  it("refuses a well-formed secret nobody issued: unknown_key (401), nothing found", async () => {
    const result = await verifyApiKey(db, generateSecret(), { via: "x-apikey" });
    expect(result).toMatchObject({ ok: false, code: "unknown_key", status: 401, message: "The API key is not recognised." });
    expect(result).toHaveProperty("found", undefined);
    const imported = await verifyApiKey(db, "legacy-" + "Q".repeat(40), { via: "x-apikey" });
    expect(imported).toMatchObject({ ok: false, code: "unknown_key", status: 401 });
  });

  it("accepts an imported secret", async () => {
    const imported = `legacy-${generateSecret().slice(3)}`;
    const { key } = await createApiKey(db, await adminCtx(), { name: uniqueName("Imported"), importedSecret: imported });
    const result = await verifyApiKey(db, imported, { via: "x-apikey" });
    expect(result).toMatchObject({ ok: true, value: { key: { id: key.id } } });
  });

  it("refuses a revoked key: key_revoked (401), with the key found", async () => {
    const { id, secret } = await newKey();
    expect((await verifyApiKey(db, secret, { via: "x-apikey" })).ok).toBe(true);
    await revokeApiKey(db, await adminCtx(), id);
    const result = expectRefusedWithFound(await verifyApiKey(db, secret, { via: "x-apikey" }), "key_revoked", 401, id);
    expect(result.message).toBe("This API key has been revoked.");
    expect(result.found?.key.revokedAt).toBeInstanceOf(Date);
  });

  it("refuses a key from the instant it expires: key_expired (401)", async () => {
    const { id, secret, expiresAt } = await newKey();
    expect(expiresAt).toBeInstanceOf(Date);
    const at = expiresAt!.getTime();
    expect((await verifyApiKey(db, secret, { via: "x-apikey", now: new Date(at - 1) })).ok).toBe(true);
    const result = expectRefusedWithFound(await verifyApiKey(db, secret, { via: "x-apikey", now: new Date(at) }), "key_expired", 401, id);
    expect(result.message).toBe(`This API key expired on ${expiresAt!.toISOString().slice(0, 10)}.`);
    expectRefusedWithFound(await verifyApiKey(db, secret, { via: "x-apikey", now: new Date(at + DAY_MS) }), "key_expired", 401, id);
  });

  it("never expires a key without an expiry", async () => {
    await setWorkspace(db, "acme", { maxKeyLifetimeDays: null });
    try {
      const { secret, expiresAt } = await newKey({ expiresAt: null });
      expect(expiresAt).toBeNull();
      expect((await verifyApiKey(db, secret, { via: "x-apikey", now: new Date(Date.now() + 100 * 365 * DAY_MS) })).ok).toBe(true);
    } finally {
      await setWorkspace(db, "acme", { maxKeyLifetimeDays: 730 });
    }
  });

  it("refuses a disabled key: key_disabled (401), and accepts it again once re-enabled", async () => {
    const { id, secret } = await newKey({ enabled: false });
    expectRefusedWithFound(await verifyApiKey(db, secret, { via: "x-apikey" }), "key_disabled", 401, id);
    await db.update(apiKeys).set({ enabled: true }).where(eq(apiKeys.id, id));
    expect((await verifyApiKey(db, secret, { via: "x-apikey" })).ok).toBe(true);
  });

  it("refuses a key as a bearer token only when its bearer flag is off", async () => {
    const noBearer = await newKey({ bearerAllowed: false });
    const result = expectRefusedWithFound(await verifyApiKey(db, noBearer.secret, { via: "bearer" }), "bearer_not_allowed", 401, noBearer.id);
    expect(result.hint).toMatch(/X-ApiKey/);
    for (const via of ["x-apikey", "query", "form", "json"] as const)
      expect(await verifyApiKey(db, noBearer.secret, { via })).toMatchObject({ ok: true, value: { key: { id: noBearer.id } } });

    const bearer = await newKey({ bearerAllowed: true });
    expect(await verifyApiKey(db, bearer.secret, { via: "bearer" })).toMatchObject({ ok: true, value: { key: { id: bearer.id } } });
  });

  it("refuses every key of a workspace whose API keys are turned off: api_keys_disabled (403)", async () => {
    const { id, secret } = await newKey();
    const globexKey = await createApiKey(db, await contextFor(db, "admin@globex.test", "globex"), { name: uniqueName("Globex") });
    await setWorkspace(db, "acme", { apiKeysEnabled: false });
    try {
      expectRefusedWithFound(await verifyApiKey(db, secret, { via: "x-apikey" }), "api_keys_disabled", 403, id);
      // Another workspace is unaffected.
      expect((await verifyApiKey(db, globexKey.secret, { via: "x-apikey" })).ok).toBe(true);
    } finally {
      await setWorkspace(db, "acme", { apiKeysEnabled: true });
    }
    expect((await verifyApiKey(db, secret, { via: "x-apikey" })).ok).toBe(true);
  });

  it("refuses a personal token once the workspace disallows them (workspace keys still work)", async () => {
    await setWorkspace(db, "acme", { personalTokensAllowed: true });
    const memberId = await userId(db, "member@acme.test");
    const { token, secret } = await createMyToken(db, await contextFor(db, "member@acme.test", "acme"), { name: uniqueName("Laptop") });
    const ok = await verifyApiKey(db, secret, { via: "bearer" });
    expect(ok).toMatchObject({ ok: true, value: { key: { id: token.id, kind: "personal", ownerId: memberId }, role: "member" } });

    const workspaceKey = await newKey();
    await setWorkspace(db, "acme", { personalTokensAllowed: false });
    const refused = expectRefusedWithFound(await verifyApiKey(db, secret, { via: "bearer" }), "personal_tokens_disabled", 403, token.id);
    expect(refused.found?.key.kind).toBe("personal");
    expect((await verifyApiKey(db, workspaceKey.secret, { via: "bearer" })).ok).toBe(true);
  });

  it("acts as a service key's workspace Admin", async () => {
    const { id, secret } = await newKey({ ownerId: null });
    const result = await verifyApiKey(db, secret, { via: "x-apikey" });
    expect(result).toMatchObject({ ok: true, value: { key: { id, ownerId: null }, owner: null, role: "admin", canManageApiKeys: false } });
  });

  it("reports the owner's role and grant as they are now, on the very next call", async () => {
    const { id, secret } = await newKey({ ownerId: managerId });
    expect(await verifyApiKey(db, secret, { via: "x-apikey" })).toMatchObject({
      ok: true,
      value: { key: { id }, role: "manager", canManageApiKeys: false },
    });

    const mine = and(eq(memberships.userId, managerId), eq(memberships.workspaceId, acmeId));
    await db.update(memberships).set({ role: "member" }).where(mine);
    expect(await verifyApiKey(db, secret, { via: "x-apikey" })).toMatchObject({ ok: true, value: { role: "member" } });
    await db.update(memberships).set({ role: "guest" }).where(mine);
    expect(await verifyApiKey(db, secret, { via: "x-apikey" })).toMatchObject({ ok: true, value: { role: "guest" } });
    await db.update(memberships).set({ role: "manager", canManageApiKeys: true }).where(mine);
    expect(await verifyApiKey(db, secret, { via: "x-apikey" })).toMatchObject({ ok: true, value: { role: "manager", canManageApiKeys: true } });
    await db.update(memberships).set({ canManageApiKeys: false }).where(mine);
  });

  it("refuses a key whose owner left the workspace: owner_removed (403)", async () => {
    const ownerId = await addUser(db, { email: "leaver@acme.test", name: "Lee Leaver", memberships: [["acme", "member"]] });
    const { id, secret } = await newKey({ ownerId });
    expect((await verifyApiKey(db, secret, { via: "x-apikey" })).ok).toBe(true);

    await db.delete(memberships).where(and(eq(memberships.userId, ownerId), eq(memberships.workspaceId, acmeId)));
    const result = expectRefusedWithFound(await verifyApiKey(db, secret, { via: "x-apikey" }), "owner_removed", 403, id);
    expect(result.found).toMatchObject({ owner: { id: ownerId, email: "leaver@acme.test" }, role: null });

    // Membership in another workspace does not count.
    await db.insert(memberships).values({ userId: ownerId, workspaceId: await workspaceId(db, "globex"), role: "admin" });
    expectRefusedWithFound(await verifyApiKey(db, secret, { via: "x-apikey" }), "owner_removed", 403, id);
  });

  it("refuses a key whose owner was deleted (soft delete), even with the membership still there", async () => {
    const ownerId = await addUser(db, { email: "ghost@acme.test", name: "Gail Ghost", memberships: [["acme", "manager"]] });
    const { id, secret } = await newKey({ ownerId });
    expect((await verifyApiKey(db, secret, { via: "x-apikey" })).ok).toBe(true);
    await db.update(users).set({ deletedAt: new Date() }).where(eq(users.id, ownerId));
    expectRefusedWithFound(await verifyApiKey(db, secret, { via: "x-apikey" }), "owner_removed", 403, id);
  });

  it("refuses a key whose owner a Global Admin disabled: owner_disabled (403), and accepts it again once re-enabled", async () => {
    const ownerId = await addUser(db, { email: "paused@acme.test", name: "Pat Paused", memberships: [["acme", "member"]] });
    const { id, secret } = await newKey({ ownerId });
    expect((await verifyApiKey(db, secret, { via: "x-apikey" })).ok).toBe(true);
    await db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, ownerId));
    expectRefusedWithFound(await verifyApiKey(db, secret, { via: "x-apikey" }), "owner_disabled", 403, id);
    await db.update(users).set({ disabledAt: null }).where(eq(users.id, ownerId));
    expect((await verifyApiKey(db, secret, { via: "x-apikey" })).ok).toBe(true);
  });

  it("a key acts with its owner's permissions now cut down to its ceiling", async () => {
    const ownerId = await addUser(db, { email: "rising@acme.test", name: "Ray Rising", memberships: [["acme", "member"]] });
    // Made by an Admin for a Member: the ceiling is what both could do then.
    const { secret } = await newKey({ ownerId });
    const first = await verifyApiKey(db, secret, { via: "x-apikey" });
    expect(first).toMatchObject({ ok: true, value: { key: { permissionCeiling: ["tokens.own"] }, role: "member" } });
    await db.update(memberships).set({ role: "admin" }).where(eq(memberships.userId, ownerId));
    const promoted = await verifyApiKey(db, secret, { via: "x-apikey" });
    // The role is the owner's now; the ceiling still says what the key may ever do.
    expect(promoted).toMatchObject({ ok: true, value: { key: { permissionCeiling: ["tokens.own"] }, role: "admin" } });
  });

  it("checks in a fixed order: revoked, expired, disabled, bearer, workspace, owner", async () => {
    const ownerId = await addUser(db, { email: "everything@acme.test", name: "Eve Everything", memberships: [["acme", "member"]] });
    const { id, secret, expiresAt } = await newKey({ ownerId, enabled: false, bearerAllowed: false });
    await db.delete(memberships).where(eq(memberships.userId, ownerId));
    await setWorkspace(db, "acme", { apiKeysEnabled: false });
    try {
      const late = new Date(expiresAt!.getTime() + 1);
      expect(await verifyApiKey(db, secret, { via: "bearer", now: late })).toMatchObject({ code: "key_expired" });
      expect(await verifyApiKey(db, secret, { via: "bearer" })).toMatchObject({ code: "key_disabled" });
      await db.update(apiKeys).set({ enabled: true }).where(eq(apiKeys.id, id));
      expect(await verifyApiKey(db, secret, { via: "bearer" })).toMatchObject({ code: "bearer_not_allowed" });
      expect(await verifyApiKey(db, secret, { via: "x-apikey" })).toMatchObject({ code: "api_keys_disabled" });
      await setWorkspace(db, "acme", { apiKeysEnabled: true });
      expect(await verifyApiKey(db, secret, { via: "x-apikey" })).toMatchObject({ code: "owner_removed" });
      await revokeApiKey(db, await adminCtx(), id);
      expect(await verifyApiKey(db, secret, { via: "bearer", now: late })).toMatchObject({ code: "key_revoked" });
    } finally {
      await setWorkspace(db, "acme", { apiKeysEnabled: true });
    }
  });

  it("never returns the secret or its hash, accepted or refused", async () => {
    const { id, secret } = await newKey({ enabled: false });
    const refused = await verifyApiKey(db, secret, { via: "x-apikey" });
    await db.update(apiKeys).set({ enabled: true }).where(eq(apiKeys.id, id));
    const accepted = await verifyApiKey(db, secret, { via: "x-apikey" });
    expect(refused.ok).toBe(false);
    expect(accepted.ok).toBe(true);
    for (const result of [refused, accepted]) {
      const key = result.ok ? result.value.key : result.found!.key;
      expect(Object.keys(key)).not.toContain("secretHash");
      expect(key).not.toHaveProperty("secretHash");
      const text = serialised(result);
      expect(text).not.toContain(hashSecret(secret));
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secret.slice(11));
      expect(text).not.toMatch(/secret_?hash/i);
    }
  });
});
