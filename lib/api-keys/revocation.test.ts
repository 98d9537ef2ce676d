import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db, OpenDatabase } from "@/db";
import { apiKeys } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { revokeKeyActingAsMe } from "@/lib/account/core";
import { bulkChangeKeys } from "@/lib/admin/keys";
import { loadSessionUser } from "@/lib/auth/context";
import { addUser, auditEventsAfter, contextFor, lastAuditEventId, seedFixtures, setWorkspace, snapshotOf, userId } from "@/lib/testing/fixtures";
import { deleteUser } from "@/lib/workspaces/users";
import { createApiKey, revokeAllApiKeys, revokeApiKey } from "./core";
import { createMyToken, deleteAllMyTokens, deleteMyToken } from "./tokens";
import { verifyApiKey } from "./verify";

// Revocation reasons: whoever may not revoke a key cannot revoke it by naming a reason, a bad
// reason changes nothing on any path, and every path stores the reason and audits it (never a
// secret) in the change's own transaction.

let handle: OpenDatabase;
let db: Db;
let seq = 0;
const unique = (label: string) => `${label} ${++seq}`;

beforeAll(async () => {
  handle = await createTestDatabase();
  db = handle.db;
  await seedFixtures(db);
  await setWorkspace(db, "acme", { personalTokensAllowed: true });
});
afterAll(() => handle.close());

const admin = () => contextFor(db, "admin@acme.test", "acme");
const everything = () => snapshotOf(db, { apiKeys: true, users: true, memberships: true });
const verdict = async (secret: string) => {
  const r = await verifyApiKey(db, secret, { via: "x-apikey" });
  return r.ok ? "accepted" : r.code;
};
const row = async (id: string) => (await db.select().from(apiKeys).where(eq(apiKeys.id, id)))[0];

async function newKey(ownerEmail = "admin@acme.test") {
  return createApiKey(db, await admin(), { name: unique("Revocable"), ownerId: await userId(db, ownerEmail) });
}

const BAD_REASONS: [unknown, Record<string, string[]>][] = [
  [{ reason: "stolen" }, { reason: [expect.stringContaining('Unknown reason "stolen"')] }],
  [{ reason: "other" }, { reasonText: [expect.stringContaining('when the reason is "other"')] }],
  [{ reason: "other", reasonText: "x".repeat(201) }, { reasonText: ["The reason text must be at most 200 characters."] }],
  [{ reason: "compromised", reasonText: "in a gist" }, { reasonText: ['A reason text goes only with the reason "other".'] }],
  [{ reasonText: "no reason" }, { reasonText: ['A reason text needs the reason "other".'] }],
];

describe("who may not revoke cannot revoke with a reason", () => {
  it("a Member, a Guest and another workspace's Admin are refused, and nothing changes", async () => {
    const { key, secret } = await newKey();
    const before = await everything();
    for (const [email, slug, code] of [
      ["member@acme.test", "acme", "forbidden"],
      ["guest@acme.test", "acme", "forbidden"],
      ["admin@globex.test", "globex", "not_found"],
    ] as const) {
      const ctx = await contextFor(db, email, slug);
      await expect(revokeApiKey(db, ctx, key.id, { revocation: { reason: "compromised" } })).rejects.toMatchObject({ code });
    }
    expect(await everything()).toBe(before);
    expect(await verdict(secret)).toBe("accepted");
  });

  it("a Manager without the grant cannot revoke all with a reason", async () => {
    const before = await everything();
    const manager = await contextFor(db, "manager@acme.test", "acme");
    await expect(revokeAllApiKeys(db, manager, { reason: "owner_left" })).rejects.toMatchObject({ code: "forbidden" });
    expect(await everything()).toBe(before);
  });

  it("nobody but the owner revokes a key from their account page, reason or not", async () => {
    const { key, secret } = await newKey("manager@acme.test");
    const before = await everything();
    for (const email of ["admin@acme.test", "global@latchkey.test", "member@acme.test"]) {
      const actor = { userId: await userId(db, email), isGlobalAdmin: email.startsWith("global"), ip: "203.0.113.9" };
      await expect(revokeKeyActingAsMe(db, actor, key.id, { reason: "owner_left" })).rejects.toMatchObject({ code: "not_found" });
    }
    expect(await everything()).toBe(before);
    expect(await verdict(secret)).toBe("accepted");
  });

  it("a non–Global Admin's bulk revoke with a reason is refused", async () => {
    const { key } = await newKey();
    const before = await everything();
    const user = (await loadSessionUser(db, await userId(db, "admin@acme.test")))!;
    await expect(bulkChangeKeys(db, user, "revoke", [key.id], {}, { reason: "compromised" })).rejects.toMatchObject({ code: "forbidden" });
    expect(await everything()).toBe(before);
  });
});

describe("a bad reason changes nothing, on every path", () => {
  it.each(BAD_REASONS)("%j", async (revocation, fieldErrors) => {
    const { key, secret } = await newKey();
    const ctx = await admin();
    const member = await contextFor(db, "member@acme.test", "acme");
    const token = await createMyToken(db, member, { name: unique("Laptop") });
    const global = (await loadSessionUser(db, await userId(db, "global@latchkey.test")))!;
    const before = await everything();

    // One at a time: each is started only when the one before it has been refused.
    const refusals = [
      () => revokeApiKey(db, ctx, key.id, { revocation }),
      () => revokeAllApiKeys(db, ctx, revocation),
      () => deleteMyToken(db, member, token.token.id, revocation),
      () => deleteAllMyTokens(db, member, revocation),
      () => revokeKeyActingAsMe(db, { userId: ctx.userId!, isGlobalAdmin: false }, key.id, revocation),
      () => bulkChangeKeys(db, global, "revoke", [key.id], {}, revocation),
    ];
    for (const refusal of refusals) await expect(refusal()).rejects.toMatchObject({ code: "validation", fieldErrors });
    expect(await everything()).toBe(before);
    expect(await verdict(secret)).toBe("accepted");
    expect(await verdict(token.secret)).toBe("accepted");
  });
});

describe("the reason is stored and audited", () => {
  it("a single revoke keeps the reason and its text, audited with it and without the secret", async () => {
    const { key, secret } = await newKey();
    const since = await lastAuditEventId(db);
    const view = await revokeApiKey(db, await admin(), key.id, { revocation: { reason: "other", reasonText: "  moved to the vault " } });
    expect(view).toMatchObject({ state: "revoked", revokedReason: "other", revokedReasonText: "moved to the vault" });
    expect(await row(key.id)).toMatchObject({ revokedReason: "other", revokedReasonText: "moved to the vault" });
    const events = await auditEventsAfter(db, since);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: "api_key.revoked",
      apiKeyId: key.id,
      changes: { revokedReason: { from: null, to: "other" }, revokedReasonText: { from: null, to: "moved to the vault" } },
    });
    expect(JSON.stringify(events)).not.toContain(secret.slice(3));
    expect(await verdict(secret)).toBe("key_revoked");
  });

  it("revoke-all gives every key the reason", async () => {
    const { key } = await newKey();
    const since = await lastAuditEventId(db);
    await revokeAllApiKeys(db, await admin(), { reason: "compromised" });
    expect(await row(key.id)).toMatchObject({ revokedReason: "compromised", revokedReasonText: null });
    const events = await auditEventsAfter(db, since);
    expect(events.filter((e) => e.action === "api_key.revoked").every((e) => e.changes?.revokedReason?.to === "compromised")).toBe(true);
    expect(events.find((e) => e.action === "api_key.revoked_all")?.metadata).toMatchObject({ reason: "compromised" });
  });

  it("a revoke that gives no reason stores none (REST without one): none is invented", async () => {
    const { key } = await newKey();
    const since = await lastAuditEventId(db);
    await revokeApiKey(db, await admin(), key.id);
    expect(await row(key.id)).toMatchObject({ revokedReason: null, revokedReasonText: null });
    expect((await auditEventsAfter(db, since))[0].changes).toMatchObject({ revokedReason: { from: null, to: null } });
  });

  it("personal tokens, the owner's account page and Admin > Keys keep the reason", async () => {
    const member = await contextFor(db, "member@acme.test", "acme");
    const t1 = await createMyToken(db, member, { name: unique("CLI") });
    await deleteMyToken(db, member, t1.token.id, { reason: "superseded" });
    expect(await row(t1.token.id)).toMatchObject({ revokedReason: "superseded" });

    const mine = await newKey("manager@acme.test");
    await revokeKeyActingAsMe(db, { userId: await userId(db, "manager@acme.test"), isGlobalAdmin: false }, mine.key.id, {
      reason: "no_longer_needed",
    });
    expect(await row(mine.key.id)).toMatchObject({ revokedReason: "no_longer_needed" });

    const bulk = await newKey();
    const global = (await loadSessionUser(db, await userId(db, "global@latchkey.test")))!;
    const outcome = await bulkChangeKeys(db, global, "revoke", [bulk.key.id], {}, { reason: "compromised" });
    expect(outcome.changed).toBe(1);
    expect(await row(bulk.key.id)).toMatchObject({ revokedReason: "compromised" });
  });

  it("deleting a user revokes their keys with the reason owner_left", async () => {
    const leaverId = await addUser(db, { email: "leaver@acme.test", name: "Lee Leaver", memberships: [["acme", "member"]] });
    const { key } = await createApiKey(db, await admin(), { name: unique("Leaver's key"), ownerId: leaverId });
    const global = await contextFor(db, "global@latchkey.test", "acme");
    const since = await lastAuditEventId(db);
    await deleteUser(db, global, leaverId);
    expect(await row(key.id)).toMatchObject({ revokedReason: "owner_left" });
    const revoked = (await auditEventsAfter(db, since)).find((e) => e.apiKeyId === key.id);
    expect(revoked?.changes).toMatchObject({ revokedReason: { from: null, to: "owner_left" } });
  });
});
