import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { createTestDatabase } from "@/db/testing";
import { bulkChangeKeys } from "@/lib/admin/keys";
import { loadSessionUser } from "@/lib/auth/context";
import { addUser, contextFor, seedFixtures, setWorkspace, userId } from "@/lib/testing/fixtures";
import { changeMemberRole, removeMember, setManageApiKeysGrant, updateWorkspaceSettings } from "@/lib/workspaces/core";
import { deleteUser } from "@/lib/workspaces/users";
import { startAuthCache, stopAuthCacheForTests } from "./cache";
import { createApiKey, retireDuePreviousSecrets, revokeAllApiKeys, revokeApiKey, rotateApiKey, updateApiKey } from "./core";
import { createMyToken, deleteMyToken } from "./tokens";
import { verifyApiKey } from "./verify";
import { callApi } from "@/lib/testing/api";
import { setClockOffsetForTests } from "@/lib/clock";

// Every path that changes what a key may do must make *this* instance refuse the key on its very
// next request, before the change's notification has come back. The cache is started with a
// subscription that delivers every notification (the change's, the heartbeat, the cache's sync
// tokens) in order but late, as a busy LISTEN connection would: only the cache's own pause after a
// transaction of this process (until its sync token is back, and with it the change's
// notifications) keeps the next request from being answered out of the cache.

let handle: OpenDatabase;
/** How late every notification arrives: far longer than a verification takes. */
const LATE_MS = 200;

beforeAll(async () => {
  handle = await createTestDatabase();
  await seedFixtures(handle.db);
  await startAuthCache({
    listen: (channel, onNotify, onReady) => handle.listen(channel, (payload) => setTimeout(() => onNotify(payload), LATE_MS), onReady),
    notify: (channel, payload) => handle.notify(channel, payload),
  });
});

afterAll(async () => {
  stopAuthCacheForTests();
  await handle.close();
});

let n = 0;
const unique = (label: string) => `${label} ${++n}`;

/** A key that verifies (and is now cached), for the given owner. */
async function cachedKey(ownerEmail = "admin@acme.test", ownerId?: string | null) {
  const db = handle.db;
  const ctx = await contextFor(db, "admin@acme.test", "acme");
  const { key, secret } = await createApiKey(db, ctx, {
    name: unique("Cached"),
    ...(ownerId !== undefined ? { ownerId } : ownerEmail === "admin@acme.test" ? {} : { ownerId: await userId(db, ownerEmail) }),
  });
  expect(await verifyApiKey(db, secret, { via: "x-apikey" })).toMatchObject({ ok: true });
  expect(await verifyApiKey(db, secret, { via: "x-apikey" })).toMatchObject({ ok: true });
  return { key, secret };
}

const verdict = async (secret: string) => {
  const r = await verifyApiKey(handle.db, secret, { via: "x-apikey" });
  return r.ok ? "accepted" : r.code;
};

const globalAdmin = async () => (await loadSessionUser(handle.db, await userId(handle.db, "global@latchkey.test")))!;

describe("after any change, this instance refuses the key on the next request (no notification needed)", () => {
  it("disable from the API tab", async () => {
    const { key, secret } = await cachedKey();
    await updateApiKey(handle.db, await contextFor(handle.db, "admin@acme.test", "acme"), key.id, { enabled: false });
    expect(await verdict(secret)).toBe("key_disabled");
  });

  it("roll key: an old secret cut off by the next roll, or retired by the job, is refused from the next request", async () => {
    const ctx = await contextFor(handle.db, "admin@acme.test", "acme");
    const { key, secret } = await cachedKey();
    const first = await rotateApiKey(handle.db, ctx, key.id, { overlap: "24h" });
    // Both secrets accepted (and the old one cached under its own hash).
    expect(await verdict(secret)).toBe("accepted");
    expect(await verdict(secret)).toBe("accepted");
    expect(await verdict(first.secret)).toBe("accepted");
    const second = await rotateApiKey(handle.db, ctx, key.id, { overlap: "1h" });
    expect(await verdict(secret)).toBe("key_rotated");
    expect(await verdict(first.secret)).toBe("accepted");
    expect(await verdict(first.secret)).toBe("accepted");
    // The job, run as if two hours had passed, without a transaction of this process's own.
    expect(await retireDuePreviousSecrets(handle.db, new Date(Date.now() + 2 * 3_600_000))).toBeGreaterThanOrEqual(1);
    expect(await verdict(first.secret)).toBe("key_rotated");
    expect(await verdict(second.secret)).toBe("accepted");
  });

  it("revoke one, and revoke all", async () => {
    const one = await cachedKey();
    await revokeApiKey(handle.db, await contextFor(handle.db, "admin@acme.test", "acme"), one.key.id);
    expect(await verdict(one.secret)).toBe("key_revoked");
    const all = await cachedKey();
    await revokeAllApiKeys(handle.db, await contextFor(handle.db, "admin@acme.test", "acme"));
    expect(await verdict(all.secret)).toBe("key_revoked");
  });

  it("Admin > Keys bulk disable and bulk revoke", async () => {
    const a = await cachedKey();
    await bulkChangeKeys(handle.db, await globalAdmin(), "disable", [a.key.id]);
    expect(await verdict(a.secret)).toBe("key_disabled");
    const b = await cachedKey();
    await bulkChangeKeys(handle.db, await globalAdmin(), "revoke", [b.key.id]);
    expect(await verdict(b.secret)).toBe("key_revoked");
  });

  it("the workspace's API key toggle", async () => {
    const { secret } = await cachedKey();
    const admin = await contextFor(handle.db, "admin@acme.test", "acme");
    await updateWorkspaceSettings(handle.db, admin, { apiKeysEnabled: false });
    expect(await verdict(secret)).toBe("api_keys_disabled");
    await updateWorkspaceSettings(handle.db, await contextFor(handle.db, "admin@acme.test", "acme"), { apiKeysEnabled: true });
    expect(await verdict(secret)).toBe("accepted");
  });

  it("demoting, un-granting and removing the owner, and deleting them", async () => {
    const db = handle.db;
    const ownerId = await addUser(db, { email: `owner${++n}@acme.test`, name: "Owner", memberships: [["acme", "manager"]] });
    const admin = () => contextFor(db, "admin@acme.test", "acme");
    await setManageApiKeysGrant(db, await admin(), ownerId, true);
    const { secret } = await cachedKey("", ownerId);
    // Through the API: the key's powers follow the owner's role at once.
    const powers = async () => {
      const r = await verifyApiKey(db, secret, { via: "x-apikey" });
      return r.ok ? { role: r.value.role, grant: r.value.canManageApiKeys } : r.code;
    };
    expect(await powers()).toEqual({ role: "manager", grant: true });
    await setManageApiKeysGrant(db, await admin(), ownerId, false);
    expect(await powers()).toEqual({ role: "manager", grant: false });
    await changeMemberRole(db, await admin(), ownerId, "guest");
    expect(await powers()).toEqual({ role: "guest", grant: false });
    await removeMember(db, await admin(), ownerId);
    expect(await powers()).toBe("owner_removed");

    const other = await addUser(db, { email: `gone${++n}@acme.test`, name: "Gone", memberships: [["acme", "member"]] });
    const doomed = await cachedKey("", other);
    await deleteUser(db, await contextFor(db, "global@latchkey.test", "acme"), other);
    expect(await verdict(doomed.secret)).toBe("key_revoked");
  });

  it("GET /api/data/me, answered once per cache entry, follows a rename, a role change and a grant at once", async () => {
    const db = handle.db;
    const g = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase> };
    g.__latchkeyDb = Promise.resolve(handle);
    try {
      const ownerId = await addUser(db, { email: `me${++n}@acme.test`, name: "Me owner", memberships: [["acme", "manager"]] });
      const admin = () => contextFor(db, "admin@acme.test", "acme");
      await setManageApiKeysGrant(db, await admin(), ownerId, true);
      const { key, secret } = await cachedKey("", ownerId);
      const me = async () => {
        const res = await callApi(new Request("http://localhost/api/data/me", { headers: { "x-apikey": secret } }));
        expect(res.status).toBe(200);
        const { data } = (await res.json()) as { data: { role: string; permissions: string[]; key: { name: string } } };
        return { role: data.role, manage: data.permissions.includes("api_keys.manage"), name: data.key.name };
      };
      const first = await me();
      expect(first).toMatchObject({ role: "manager", manage: true });
      expect(await me()).toEqual(first);
      await updateApiKey(db, await admin(), key.id, { name: `${first.name} renamed` });
      expect(await me()).toEqual({ ...first, name: `${first.name} renamed` });
      await setManageApiKeysGrant(db, await admin(), ownerId, false);
      expect(await me()).toMatchObject({ role: "manager", manage: false });
      await changeMemberRole(db, await admin(), ownerId, "admin");
      expect(await me()).toMatchObject({ role: "admin", manage: true });
      await changeMemberRole(db, await admin(), ownerId, "member");
      expect(await me()).toMatchObject({ role: "member", manage: false });
    } finally {
      g.__latchkeyDb = undefined;
    }
  });

  it("POST /api/data/verify, a valid key's answer kept per cache entry, follows a rename, a role change, IP rules, disabling and the clock at once", async () => {
    const db = handle.db;
    const g = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase> };
    g.__latchkeyDb = Promise.resolve(handle);
    try {
      const admin = () => contextFor(db, "admin@acme.test", "acme");
      const ownerId = await addUser(db, { email: `verified${++n}@acme.test`, name: "Verified owner", memberships: [["acme", "manager"]] });
      const caller = await createApiKey(db, await admin(), { name: unique("Verifier"), scopes: ["verify"] });
      const expiresAt = new Date(Date.now() + 3 * 3_600_000).toISOString();
      const { key, secret } = await createApiKey(db, await admin(), { name: unique("Presented"), ownerId, expiresAt });
      const check = async (body: Record<string, unknown> = {}) => {
        const res = await callApi(
          new Request("http://localhost/api/data/verify", {
            method: "POST",
            headers: { "x-apikey": caller.secret, "content-type": "application/json" },
            body: JSON.stringify({ token: secret, ...body }),
          }),
        );
        expect(res.status).toBe(200);
        const { data } = (await res.json()) as {
          data: { valid: boolean; reason: string | null; role?: string; ipRules?: string; key?: { name: string } };
        };
        return { valid: data.valid, reason: data.reason, role: data.role, ipRules: data.ipRules, name: data.key?.name };
      };
      const first = await check();
      expect(first).toEqual({ valid: true, reason: null, role: "manager", ipRules: "none", name: key.name });
      expect(await check()).toEqual(first);
      await updateApiKey(db, await admin(), key.id, { name: `${key.name} renamed` });
      expect(await check()).toMatchObject({ valid: true, name: `${key.name} renamed` });
      await changeMemberRole(db, await admin(), ownerId, "member");
      expect(await check()).toMatchObject({ valid: true, role: "member" });
      await updateApiKey(db, await admin(), key.id, { ipAllow: ["203.0.113.0/24"] });
      expect(await check()).toMatchObject({ valid: true, ipRules: "not_evaluated" });
      expect(await check({ ip: "203.0.113.9" })).toMatchObject({ valid: true, ipRules: "passed" });
      expect(await check({ ip: "198.51.100.1" })).toMatchObject({ valid: false, reason: "ip_not_allowed", ipRules: "refused" });
      expect(await check()).toMatchObject({ valid: true, ipRules: "not_evaluated" });
      // The kept answer is made after the checks that depend on the moment: an expiry passing is seen at once.
      setClockOffsetForTests(4 * 3_600_000);
      try {
        expect(await check()).toMatchObject({ valid: false, reason: "key_expired" });
      } finally {
        setClockOffsetForTests(0);
      }
      expect(await check()).toMatchObject({ valid: true });
      await updateApiKey(db, await admin(), key.id, { enabled: false });
      expect(await check()).toMatchObject({ valid: false, reason: "key_disabled" });
    } finally {
      g.__latchkeyDb = undefined;
    }
  });

  it("deleting a personal token", async () => {
    const db = handle.db;
    await setWorkspace(db, "acme", { personalTokensAllowed: true });
    const member = await contextFor(db, "member@acme.test", "acme");
    const { token, secret } = await createMyToken(db, member, { name: unique("Token") });
    expect(await verdict(secret)).toBe("accepted");
    expect(await verdict(secret)).toBe("accepted");
    await deleteMyToken(db, await contextFor(db, "member@acme.test", "acme"), token.id);
    expect(await verdict(secret)).toBe("key_revoked");
  });
});
