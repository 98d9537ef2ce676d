import { and, asc, count, eq } from "drizzle-orm";
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { onTransactionEnd, type Db, type DbOrTx, type OpenDatabase, type Tx } from "@/db";
import { apiKeys, auditEvents, memberships, workspaces } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { bulkChangeKeys } from "@/lib/admin/keys";
import { loadSessionUser, resolveWorkspaceContext, type WorkspaceContext } from "@/lib/auth/context";
import {
  addUser,
  auditEventsAfter,
  contextFor,
  lastAuditEventId,
  seedFixtures,
  setWorkspace,
  snapshotOf,
  userId,
  workspaceId,
} from "@/lib/testing/fixtures";
import { API_KEY_SCOPES } from "@/lib/validations/api-keys";
import { deleteUser, deleteUserInTx } from "@/lib/workspaces/users";
import {
  createApiKey,
  createApiKeyInTx,
  listApiKeys,
  listKeyOwnerOptions,
  resolveExpiry,
  revokeAllApiKeys,
  revokeAllApiKeysInTx,
  revokeApiKey,
  revokeApiKeyInTx,
  updateApiKey,
  updateApiKeyInTx,
} from "./core";
import { generateSecret, hashSecret } from "./format";
import { createMyToken, deleteAllMyTokensInTx, deleteMyTokenInTx } from "./tokens";
import { verifyApiKey } from "./verify";

const DAY_MS = 86_400_000;

async function counts(db: Db) {
  const [{ keys }] = await db.select({ keys: count() }).from(apiKeys);
  const [{ events }] = await db.select({ events: count() }).from(auditEvents);
  return { keys, events };
}

async function keyRow(db: Db, id: string) {
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, id));
  return row;
}

async function eventsFor(db: Db, apiKeyId: string) {
  return db.select().from(auditEvents).where(eq(auditEvents.apiKeyId, apiKeyId)).orderBy(asc(auditEvents.id));
}

async function keyIdByName(db: Db, slug: string, name: string) {
  const [row] = await db
    .select({ id: apiKeys.id })
    .from(apiKeys)
    .where(and(eq(apiKeys.workspaceId, await workspaceId(db, slug)), eq(apiKeys.name, name)));
  if (!row) throw new Error(`no key ${name} in ${slug}`);
  return row.id;
}

/** Sets the Manage API Keys grant on a membership, as the settings page would. */
async function setGrant(db: Db, email: string, slug: string, value: boolean) {
  await db
    .update(memberships)
    .set({ canManageApiKeys: value })
    .where(and(eq(memberships.userId, await userId(db, email)), eq(memberships.workspaceId, await workspaceId(db, slug))));
}

async function managerCtx(db: Db, grant: boolean) {
  await setGrant(db, "manager@acme.test", "acme", grant);
  return contextFor(db, "manager@acme.test", "acme");
}

/** Every column of every row of both tables, as one string. */
async function everything(db: Db) {
  const [keys, events] = await Promise.all([db.select().from(apiKeys), db.select().from(auditEvents)]);
  return { keys: JSON.stringify(keys), events: JSON.stringify(events) };
}

let seq = 0;
/** A key name no other test uses. */
const uniqueName = (label: string) => `${label} ${++seq}`;

const verdict = async (db: Db, secret: string) => {
  const r = await verifyApiKey(db, secret, { via: "x-apikey" });
  return r.ok ? "accepted" : r.code;
};

const eventCount = async (h: DbOrTx) => (await h.select({ n: count() }).from(auditEvents))[0].n;

class CallerGaveUp extends Error {}

/** Runs `work` in a transaction that then fails, as a caller composing cores might. */
async function inFailedTransaction(db: Db, work: (tx: Tx) => Promise<unknown>) {
  await expect(
    db.transaction(async (tx) => {
      await work(tx);
      throw new CallerGaveUp("the caller's next step failed");
    }),
  ).rejects.toBeInstanceOf(CallerGaveUp);
}

describe("resolveExpiry", () => {
  const now = new Date("2026-03-10T12:00:00.000Z");
  const ws = { maxKeyLifetimeDays: 730 };

  it("defaults to the workspace maximum, or never when there is none", () => {
    expect(resolveExpiry(undefined, ws, now)).toEqual(new Date(now.getTime() + 730 * DAY_MS));
    expect(resolveExpiry(undefined, { maxKeyLifetimeDays: null }, now)).toBeNull();
  });

  it('allows "Never" only without a maximum', () => {
    expect(resolveExpiry(null, { maxKeyLifetimeDays: null }, now)).toBeNull();
    expect(() => resolveExpiry(null, ws, now)).toThrow(
      expect.objectContaining({ code: "validation", fieldErrors: { expiresAt: [expect.stringContaining('"Never" is not allowed')] } }),
    );
  });

  it("allows up to the end of the maximum's day, and nothing in the past", () => {
    const lastDay = new Date(now.getTime() + 730 * DAY_MS).toISOString().slice(0, 10);
    const endOfLastDay = new Date(`${lastDay}T23:59:59.999Z`);
    expect(resolveExpiry(endOfLastDay, ws, now)).toEqual(endOfLastDay);
    expect(() => resolveExpiry(new Date(endOfLastDay.getTime() + 1), ws, now)).toThrow(
      expect.objectContaining({ fieldErrors: { expiresAt: [expect.stringContaining(`on or before ${lastDay}`)] } }),
    );
    expect(() => resolveExpiry(now, ws, now)).toThrow(expect.objectContaining({ fieldErrors: { expiresAt: ["Expiry must be in the future."] } }));
    expect(() => resolveExpiry(new Date("invalid"), ws, now)).toThrow(
      expect.objectContaining({ fieldErrors: { expiresAt: ["Expiry must be a valid date."] } }),
    );
  });
});

describe("api key core (seeded database)", () => {
  let handle: OpenDatabase;
  let db: Db;
  let adminId: string;
  let acmeId: string;

  beforeAll(async () => {
    handle = await createTestDatabase();
    db = handle.db;
    await seedFixtures(db);
    adminId = await userId(db, "admin@acme.test");
    acmeId = await workspaceId(db, "acme");
  });
  afterAll(() => handle.close());

  describe("createApiKey", () => {
    it("returns a generated secret once and stores only its hash and prefix", async () => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      const name = uniqueName("Created by admin");
      const before = Date.now();
      const { key, secret } = await createApiKey(db, ctx, { name, description: "For the ledger" });
      const after = Date.now();

      expect(secret).toMatch(/^lk_[0-9A-Za-z]{38}$/);
      const row = await keyRow(db, key.id);
      expect(row.secretHash).toBe(hashSecret(secret));
      expect(row.prefix).toBe(secret.slice(0, 11) + "…");
      expect(key.prefix).toBe(row.prefix);

      const all = await everything(db);
      for (const fragment of [secret, secret.slice(3), secret.slice(11)]) {
        expect(all.keys).not.toContain(fragment);
        expect(all.events).not.toContain(fragment);
      }

      // Defaults: the workspace's maximum lifetime (730 days), on, bearer allowed, every scope.
      expect(row.expiresAt!.getTime()).toBeGreaterThanOrEqual(before + 730 * DAY_MS);
      expect(row.expiresAt!.getTime()).toBeLessThanOrEqual(after + 730 * DAY_MS);
      expect(row).toMatchObject({
        workspaceId: acmeId,
        kind: "workspace",
        name,
        description: "For the ledger",
        ownerId: adminId,
        createdById: adminId,
        source: "generated",
        enabled: true,
        bearerAllowed: true,
        logRequests: false,
        logResponses: false,
        scopes: [...API_KEY_SCOPES],
        revokedAt: null,
      });
      expect(key).toMatchObject({ id: row.id, name, state: "active", ownerEmail: "admin@acme.test", ownerName: "Ada Admin" });
    });

    it("writes exactly one api_key.created audit event naming actor, workspace, key and origin", async () => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      const name = uniqueName("Audited create");
      const { key } = await createApiKey(db, ctx, { name, scopes: ["verify", "me:read"], bearerAllowed: false });
      const events = await eventsFor(db, key.id);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        action: "api_key.created",
        actorUserId: adminId,
        actorApiKeyId: null,
        workspaceId: acmeId,
        apiKeyId: key.id,
        targetName: name,
        ip: "203.0.113.7",
        userAgent: "vitest",
      });
      expect(events[0].changes).toMatchObject({
        name: { from: null, to: name },
        ownerId: { from: null, to: adminId },
        scopes: { from: null, to: ["me:read", "verify"] },
        enabled: { from: null, to: true },
        bearerAllowed: { from: null, to: false },
        source: { from: null, to: "generated" },
        expiresAt: { from: null, to: key.expiresAt!.toISOString() },
      });
    });

    it("lets an admin create a service key (no owner)", async () => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      const { key } = await createApiKey(db, ctx, { name: uniqueName("Service"), ownerId: null });
      expect(key.ownerId).toBeNull();
      expect((await keyRow(db, key.id)).ownerId).toBeNull();
    });

    it("lets an admin pick another member as owner", async () => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      const memberId = await userId(db, "member@acme.test");
      const { key } = await createApiKey(db, ctx, { name: uniqueName("For Mia"), ownerId: memberId });
      expect(key).toMatchObject({ ownerId: memberId, createdById: adminId, ownerEmail: "member@acme.test" });
    });

    it("refuses a service key, or an owner who outranks them, to a manager with the grant", async () => {
      const ctx = await managerCtx(db, true);
      const before = await counts(db);
      await expect(createApiKey(db, ctx, { name: uniqueName("Manager service"), ownerId: null })).rejects.toMatchObject({
        code: "validation",
        fieldErrors: { ownerId: ["Only Admins can create workspace service keys (keys with no owner)."] },
      });
      await expect(createApiKey(db, ctx, { name: uniqueName("Manager for admin"), ownerId: adminId })).rejects.toMatchObject({
        code: "validation",
        fieldErrors: {
          ownerId: [expect.stringMatching(/^The owner may do things you may not \(api_keys\.service, .*\), so you cannot create a key for them\.$/)],
        },
      });
      expect(await counts(db)).toEqual(before);
    });

    it("refuses an owner from another workspace", async () => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      const before = await counts(db);
      await expect(
        createApiKey(db, ctx, { name: uniqueName("Foreign owner"), ownerId: await userId(db, "admin@globex.test") }),
      ).rejects.toMatchObject({ code: "validation", fieldErrors: { ownerId: ["The owner must be an active member of this workspace."] } });
      expect(await counts(db)).toEqual(before);
    });
  });

  describe("importing an existing secret", () => {
    it("stores the imported secret's hash and marks the key imported", async () => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      const imported = `legacy-${generateSecret().slice(3)}`;
      const { key, secret } = await createApiKey(db, ctx, { name: uniqueName("Imported"), importedSecret: imported });
      expect(secret).toBe(imported);
      const row = await keyRow(db, key.id);
      expect(row).toMatchObject({ source: "imported", secretHash: hashSecret(imported), prefix: imported.slice(0, 4) + "…" });
      const all = await everything(db);
      expect(all.keys).not.toContain(imported);
      expect(all.events).not.toContain(imported);
      expect((await eventsFor(db, key.id))[0].changes).toMatchObject({ source: { from: null, to: "imported" } });
    });

    it("refuses a secret another key already uses, and writes nothing", async () => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      const imported = `migrated_${generateSecret()}`;
      await createApiKey(db, ctx, { name: uniqueName("Import original"), importedSecret: imported });
      const before = await counts(db);
      const dupName = uniqueName("Import duplicate");
      const err = await createApiKey(db, ctx, { name: dupName, importedSecret: imported }).catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: "validation",
        fieldErrors: { importedSecret: ["This secret cannot be imported. Generate a new key instead, or import another secret."] },
      });
      expect(JSON.stringify(err)).not.toContain(imported);
      expect((err as Error).message).not.toContain(imported);
      expect(await counts(db)).toEqual(before);
    });

    it("refuses a secret that looks generated but has a bad checksum", async () => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      const good = generateSecret();
      const bad = good.slice(0, -1) + (good.endsWith("0") ? "1" : "0");
      const before = await counts(db);
      await expect(createApiKey(db, ctx, { name: uniqueName("Bad checksum"), importedSecret: bad })).rejects.toMatchObject({
        code: "validation",
        fieldErrors: { importedSecret: [expect.stringContaining("checksum")] },
      });
      expect(await counts(db)).toEqual(before);
    });

    it("refuses an import by a manager with the grant", async () => {
      const ctx = await managerCtx(db, true);
      const before = await counts(db);
      await expect(createApiKey(db, ctx, { name: uniqueName("Manager import"), importedSecret: `legacy-${generateSecret()}` })).rejects.toMatchObject(
        { code: "validation", fieldErrors: { importedSecret: ["Only Admins can import an existing secret."] } },
      );
      expect(await counts(db)).toEqual(before);
    });
  });

  describe("bad input changes nothing", () => {
    const cases: [string, () => Record<string, unknown>, string, string | RegExp][] = [
      ["an empty name", () => ({ name: "" }), "name", "Name is required."],
      ["a 101-character name", () => ({ name: "n".repeat(101) }), "name", "Name must be at most 100 characters."],
      [
        "a 501-character description",
        () => ({ name: uniqueName("Long description"), description: "d".repeat(501) }),
        "description",
        "Description must be at most 500 characters.",
      ],
      ["an expiry in the past", () => ({ name: uniqueName("Past"), expiresAt: "2020-01-01" }), "expiresAt", "Expiry must be in the future."],
      [
        "an expiry beyond the maximum lifetime",
        () => ({ name: uniqueName("Too far"), expiresAt: new Date(Date.now() + 800 * DAY_MS).toISOString() }),
        "expiresAt",
        /maximum key lifetime is 730 days/,
      ],
      ['"Never" where the workspace has a maximum', () => ({ name: uniqueName("Never"), expiresAt: null }), "expiresAt", /"Never" is not allowed/],
      ["an unknown scope", () => ({ name: uniqueName("Scope"), scopes: ["admin:all"] }), "scopes", 'Unknown scope "admin:all".'],
      ["no scopes", () => ({ name: uniqueName("No scopes"), scopes: [] }), "scopes", "Choose at least one scope."],
    ];

    it.each(cases)("%s → a message on the field, nothing written", async (_label, input, field, message) => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      const before = await counts(db);
      await expect(createApiKey(db, ctx, input())).rejects.toMatchObject({
        code: "validation",
        fieldErrors: { [field]: [typeof message === "string" ? message : expect.stringMatching(message)] },
      });
      expect(await counts(db)).toEqual(before);
    });
  });

  describe("names are unique among live keys", () => {
    it("refuses a live duplicate (any case) and frees the name once revoked", async () => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      const name = uniqueName("Shared Name");
      const first = await createApiKey(db, ctx, { name });
      const before = await counts(db);
      await expect(createApiKey(db, ctx, { name: `  ${name.toUpperCase()} ` })).rejects.toMatchObject({
        code: "validation",
        fieldErrors: { name: [`A key named "${name.toUpperCase()}" already exists in this workspace. Choose another name.`] },
      });
      expect(await counts(db)).toEqual(before);

      await revokeApiKey(db, ctx, first.key.id);
      const second = await createApiKey(db, ctx, { name: name.toLowerCase() });
      expect(second.key.name).toBe(name.toLowerCase());
      expect(second.key.id).not.toBe(first.key.id);
    });

    it("refuses renaming a key to another live key's name", async () => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      const a = await createApiKey(db, ctx, { name: uniqueName("Rename source") });
      const before = await counts(db);
      await expect(updateApiKey(db, ctx, a.key.id, { name: "billing SYNC" })).rejects.toMatchObject({
        code: "validation",
        fieldErrors: { name: [expect.stringContaining("already exists")] },
      });
      expect(await counts(db)).toEqual(before);
      expect((await keyRow(db, a.key.id)).name).toBe(a.key.name);
    });

    it("allows the same name in another workspace", async () => {
      const globex = await contextFor(db, "admin@globex.test", "globex");
      const { key } = await createApiKey(db, globex, { name: "Billing sync" });
      expect(key.name).toBe("Billing sync");
    });
  });

  describe("updateApiKey", () => {
    it("disabling and enabling write api_key.disabled / api_key.enabled with before and after", async () => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      const { key } = await createApiKey(db, ctx, { name: uniqueName("Toggle") });

      const disabled = await updateApiKey(db, ctx, key.id, { enabled: false });
      expect(disabled).toMatchObject({ enabled: false, state: "disabled" });
      const enabled = await updateApiKey(db, ctx, key.id, { enabled: true });
      expect(enabled).toMatchObject({ enabled: true, state: "active" });

      const events = await eventsFor(db, key.id);
      expect(events.map((e) => e.action)).toEqual(["api_key.created", "api_key.disabled", "api_key.enabled"]);
      expect(events[1]).toMatchObject({
        actorUserId: adminId,
        ip: "203.0.113.7",
        userAgent: "vitest",
        changes: { enabled: { from: true, to: false } },
      });
      expect(events[2].changes).toEqual({ enabled: { from: false, to: true } });
    });

    it("turning bearer off writes api_key.bearer_disabled", async () => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      const { key } = await createApiKey(db, ctx, { name: uniqueName("Bearer") });
      expect(await updateApiKey(db, ctx, key.id, { bearerAllowed: false })).toMatchObject({ bearerAllowed: false });
      const events = await eventsFor(db, key.id);
      expect(events.map((e) => e.action)).toEqual(["api_key.created", "api_key.bearer_disabled"]);
      expect(events[1].changes).toEqual({ bearerAllowed: { from: true, to: false } });
      expect((await keyRow(db, key.id)).bearerAllowed).toBe(false);
    });

    it("rename + description writes one api_key.updated with both changes", async () => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      const oldName = uniqueName("Before rename");
      const newName = uniqueName("After rename");
      const { key } = await createApiKey(db, ctx, { name: oldName, description: "old words" });
      const updated = await updateApiKey(db, ctx, key.id, { name: ` ${newName} `, description: "new words" });
      expect(updated).toMatchObject({ name: newName, description: "new words" });

      const events = await eventsFor(db, key.id);
      expect(events.map((e) => e.action)).toEqual(["api_key.created", "api_key.updated"]);
      expect(events[1]).toMatchObject({ targetName: newName });
      expect(events[1].changes).toEqual({ name: { from: oldName, to: newName }, description: { from: "old words", to: "new words" } });
      expect(await keyRow(db, key.id)).toMatchObject({ name: newName, description: "new words" });
    });

    it("a change to something else (with the toggle) is an api_key.updated", async () => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      const { key } = await createApiKey(db, ctx, { name: uniqueName("Mixed") });
      await updateApiKey(db, ctx, key.id, { enabled: false, scopes: ["verify"] });
      const events = await eventsFor(db, key.id);
      expect(events[1]).toMatchObject({
        action: "api_key.updated",
        changes: { enabled: { from: true, to: false }, scopes: { from: [...API_KEY_SCOPES], to: ["verify"] } },
      });
    });

    it("a no-op update writes no audit event and changes nothing", async () => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      const name = uniqueName("No-op");
      const { key } = await createApiKey(db, ctx, { name, description: "same" });
      const rowBefore = await keyRow(db, key.id);
      const before = await counts(db);
      const view = await updateApiKey(db, ctx, key.id, {
        name,
        description: "same",
        enabled: true,
        bearerAllowed: true,
        scopes: [...API_KEY_SCOPES],
        expiresAt: key.expiresAt!.toISOString(),
      });
      expect(view).toMatchObject({ name, description: "same", enabled: true });
      expect(await counts(db)).toEqual(before);
      expect(await keyRow(db, key.id)).toEqual(rowBefore);
    });

    it("refuses unknown fields and bad values, changing nothing", async () => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      const { key } = await createApiKey(db, ctx, { name: uniqueName("Strict") });
      const rowBefore = await keyRow(db, key.id);
      const before = await counts(db);
      await expect(updateApiKey(db, ctx, key.id, { secretHash: hashSecret("x") })).rejects.toMatchObject({ code: "validation" });
      await expect(updateApiKey(db, ctx, key.id, { name: " " })).rejects.toMatchObject({ fieldErrors: { name: ["Name is required."] } });
      await expect(updateApiKey(db, ctx, key.id, { expiresAt: null })).rejects.toMatchObject({
        fieldErrors: { expiresAt: [expect.stringContaining("Never")] },
      });
      expect(await counts(db)).toEqual(before);
      expect(await keyRow(db, key.id)).toEqual(rowBefore);
    });
  });

  describe("revokeApiKey", () => {
    it("revokes, removes the key from the list, audits, and cannot be repeated", async () => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      const name = uniqueName("To revoke");
      const { key } = await createApiKey(db, ctx, { name });
      const revoked = await revokeApiKey(db, ctx, key.id);
      expect(revoked.state).toBe("revoked");

      const row = await keyRow(db, key.id);
      expect(row.revokedAt).toBeInstanceOf(Date);
      expect(row.revokedById).toBe(adminId);

      const page = await listApiKeys(db, ctx, { pageSize: 100 });
      expect(page.rows.map((r) => r.id)).not.toContain(key.id);

      const events = await eventsFor(db, key.id);
      expect(events.map((e) => e.action)).toEqual(["api_key.created", "api_key.revoked"]);
      expect(events[1]).toMatchObject({ actorUserId: adminId, workspaceId: acmeId, targetName: name, ip: "203.0.113.7" });
      expect(events[1].changes).toEqual({ revokedAt: { from: null, to: row.revokedAt!.toISOString() }, revokedReason: { from: null, to: null } });

      const before = await counts(db);
      await expect(revokeApiKey(db, ctx, key.id)).rejects.toMatchObject({ code: "not_found" });
      await expect(updateApiKey(db, ctx, key.id, { enabled: false })).rejects.toMatchObject({ code: "not_found" });
      expect(await counts(db)).toEqual(before);
    });
  });

  describe("refusals change nothing", () => {
    const refused: [string, string][] = [
      ["Member", "member@acme.test"],
      ["Guest", "guest@acme.test"],
      ["Manager without the grant", "manager@acme.test"],
    ];

    it.each(refused)("%s is forbidden from every key action", async (_label, email) => {
      await setGrant(db, "manager@acme.test", "acme", false);
      const ctx = await contextFor(db, email, "acme");
      const target = await keyIdByName(db, "acme", "Billing sync");
      const rowBefore = await keyRow(db, target);
      const before = await counts(db);

      await expect(createApiKey(db, ctx, { name: uniqueName("Refused") })).rejects.toMatchObject({ code: "forbidden" });
      await expect(updateApiKey(db, ctx, target, { enabled: false })).rejects.toMatchObject({ code: "forbidden" });
      await expect(revokeApiKey(db, ctx, target)).rejects.toMatchObject({ code: "forbidden" });
      await expect(revokeAllApiKeys(db, ctx)).rejects.toMatchObject({ code: "forbidden" });
      await expect(listApiKeys(db, ctx)).rejects.toMatchObject({ code: "forbidden" });

      expect(await counts(db)).toEqual(before);
      expect(await keyRow(db, target)).toEqual(rowBefore);
    });

    it("a Guest stays forbidden even with the grant", async () => {
      await setGrant(db, "guest@acme.test", "acme", true);
      try {
        const ctx = await contextFor(db, "guest@acme.test", "acme");
        const before = await counts(db);
        await expect(createApiKey(db, ctx, { name: uniqueName("Guest granted") })).rejects.toMatchObject({ code: "forbidden" });
        await expect(listApiKeys(db, ctx)).rejects.toMatchObject({ code: "forbidden" });
        expect(await counts(db)).toEqual(before);
      } finally {
        await setGrant(db, "guest@acme.test", "acme", false);
      }
    });

    it("a Manager can create and list once granted Manage API Keys, and loses it when the grant goes", async () => {
      const managerId = await userId(db, "manager@acme.test");
      const granted = await managerCtx(db, true);
      const name = uniqueName("Manager key");
      const { key, secret } = await createApiKey(db, granted, { name });
      expect(secret).toMatch(/^lk_[0-9A-Za-z]{38}$/);
      expect(key).toMatchObject({ ownerId: managerId, createdById: managerId });
      expect((await eventsFor(db, key.id))[0]).toMatchObject({ action: "api_key.created", actorUserId: managerId });
      const page = await listApiKeys(db, granted, { pageSize: 100 });
      expect(page.rows.map((r) => r.name)).toEqual(expect.arrayContaining([name, "Billing sync"]));

      const revokedGrant = await managerCtx(db, false);
      await expect(listApiKeys(db, revokedGrant)).rejects.toMatchObject({ code: "forbidden" });
      await expect(updateApiKey(db, revokedGrant, key.id, { enabled: false })).rejects.toMatchObject({ code: "forbidden" });
    });
  });

  describe("another workspace", () => {
    it("an acme admin cannot change or revoke a globex key: not found, key unchanged", async () => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      const globexKey = await keyIdByName(db, "globex", "Volcano telemetry");
      const rowBefore = await keyRow(db, globexKey);
      const before = await counts(db);

      await expect(updateApiKey(db, ctx, globexKey, { enabled: false, name: "pwned" })).rejects.toMatchObject({ code: "not_found" });
      await expect(revokeApiKey(db, ctx, globexKey)).rejects.toMatchObject({ code: "not_found" });

      expect(await keyRow(db, globexKey)).toEqual(rowBefore);
      expect(await counts(db)).toEqual(before);
    });

    it("a malformed id is not found", async () => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      for (const id of ["not-a-uuid", "", "1; drop table api_keys", "00000000-0000-0000-0000-000000000000"]) {
        await expect(updateApiKey(db, ctx, id, { enabled: false })).rejects.toMatchObject({ code: "not_found" });
        await expect(revokeApiKey(db, ctx, id)).rejects.toMatchObject({ code: "not_found" });
      }
    });

    it("a workspace the user is not a member of is not found", async () => {
      const user = (await loadSessionUser(db, adminId))!;
      await expect(resolveWorkspaceContext(db, { user, slug: "globex" })).rejects.toMatchObject({ code: "not_found" });
      await expect(resolveWorkspaceContext(db, { user, slug: "no-such-workspace" })).rejects.toMatchObject({ code: "not_found" });
    });

    it("a Global Admin resolves and lists both workspaces without being a member", async () => {
      const user = (await loadSessionUser(db, await userId(db, "global@latchkey.test")))!;
      const seen: Record<string, string[]> = {};
      for (const slug of ["acme", "globex"]) {
        const ctx = await resolveWorkspaceContext(db, { user, slug });
        expect(ctx).toMatchObject({ isGlobalAdmin: true, role: null, workspace: { slug } });
        seen[slug] = (await listApiKeys(db, ctx, { pageSize: 100 })).rows.map((r) => r.name);
      }
      expect(seen.acme).toEqual(expect.arrayContaining(["Billing sync", "CI deploy bot", "Legacy importer"]));
      expect(seen.acme).not.toContain("Volcano telemetry");
      expect(seen.globex).toEqual(expect.arrayContaining(["Volcano telemetry", "Globex service key"]));
      expect(seen.globex).not.toContain("CI deploy bot");
    });

    it("a Global Admin who is not a member must choose an owner", async () => {
      const user = (await loadSessionUser(db, await userId(db, "global@latchkey.test")))!;
      const ctx = await resolveWorkspaceContext(db, { user, slug: "acme" });
      await expect(createApiKey(db, ctx, { name: "Global default owner" })).rejects.toMatchObject({
        code: "validation",
        fieldErrors: { ownerId: [expect.stringContaining("choose a member as the owner")] },
      });
      const made = await createApiKey(db, ctx, { name: "Global service key", ownerId: null });
      expect(made.key.ownerId).toBeNull();
    });
  });

  describe("listKeyOwnerOptions", () => {
    it("an admin may pick any member", async () => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      expect((await listKeyOwnerOptions(db, ctx)).map((o) => [o.email, o.role])).toEqual([
        ["admin@acme.test", "admin"],
        ["guest@acme.test", "guest"],
        ["manager@acme.test", "manager"],
        ["member@acme.test", "member"],
      ]);
    });

    it("a manager with the grant never sees admins", async () => {
      const ctx = await managerCtx(db, true);
      const options = await listKeyOwnerOptions(db, ctx);
      expect(options.map((o) => o.email)).toEqual(["guest@acme.test", "manager@acme.test", "member@acme.test"]);
      expect(options.some((o) => o.role === "admin")).toBe(false);
    });

    it("is refused to those who cannot manage keys (member names are not theirs to list)", async () => {
      for (const email of ["member@acme.test", "guest@acme.test"]) {
        const ctx = await contextFor(db, email, "acme");
        await expect(listKeyOwnerOptions(db, ctx)).rejects.toMatchObject({ code: "forbidden" });
      }
    });
  });

  describe("listApiKeys", () => {
    // Its own workspace, so keys created by other tests do not move the numbers.
    const NAMES = ["alpha", "Bravo", "charlie", "Delta", "echo"];
    let ctx: Awaited<ReturnType<typeof contextFor>>;

    beforeAll(async () => {
      const [ws] = await db.insert(workspaces).values({ slug: "listing", name: "Listing Ltd." }).returning();
      await db.insert(memberships).values({ workspaceId: ws.id, userId: adminId, role: "admin" });
      ctx = await contextFor(db, "admin@acme.test", "listing");
      for (const name of NAMES) await createApiKey(db, ctx, { name, enabled: name !== "Delta" });
      // An expired (and disabled) key, which only the "expired" filter shows.
      const { key } = await createApiKey(db, ctx, { name: "foxtrot", enabled: false });
      await db
        .update(apiKeys)
        .set({ expiresAt: new Date(Date.now() - DAY_MS) })
        .where(eq(apiKeys.id, key.id));
      // A revoked key, which no filter shows.
      const { key: gone } = await createApiKey(db, ctx, { name: "golf" });
      await revokeApiKey(db, ctx, gone.id);
    });

    it("pages with a correct total", async () => {
      const all = [...NAMES, "foxtrot"];
      const seen: string[] = [];
      for (const page of [1, 2, 3]) {
        const result = await listApiKeys(db, ctx, { page, pageSize: 2, sort: "name", dir: "asc" });
        expect(result).toMatchObject({ total: all.length, page, pageSize: 2 });
        expect(result.rows).toHaveLength(2);
        seen.push(...result.rows.map((r) => r.name));
      }
      expect(seen).toEqual(["alpha", "Bravo", "charlie", "Delta", "echo", "foxtrot"]);
      const beyond = await listApiKeys(db, ctx, { page: 4, pageSize: 2, sort: "name", dir: "asc" });
      expect(beyond).toMatchObject({ total: all.length, rows: [] });
    });

    it("pages without repeats or gaps in the default order (newest first)", async () => {
      const seen: string[] = [];
      for (const page of [1, 2, 3]) seen.push(...(await listApiKeys(db, ctx, { page, pageSize: 2 })).rows.map((r) => r.name));
      expect(seen).toEqual(["foxtrot", "echo", "Delta", "charlie", "Bravo", "alpha"]);
    });

    it("sorts by name ignoring case, both ways", async () => {
      const asc_ = await listApiKeys(db, ctx, { sort: "name", dir: "asc" });
      expect(asc_.rows.map((r) => r.name)).toEqual(["alpha", "Bravo", "charlie", "Delta", "echo", "foxtrot"]);
      const desc_ = await listApiKeys(db, ctx, { sort: "name", dir: "desc" });
      expect(desc_.rows.map((r) => r.name)).toEqual(["foxtrot", "echo", "Delta", "charlie", "Bravo", "alpha"]);
    });

    it("filters by state", async () => {
      const disabled = await listApiKeys(db, ctx, { state: "disabled" });
      expect(disabled.total).toBe(1);
      expect(disabled.rows.map((r) => [r.name, r.state])).toEqual([["Delta", "disabled"]]);

      const expired = await listApiKeys(db, ctx, { state: "expired" });
      expect(expired.rows.map((r) => [r.name, r.state])).toEqual([["foxtrot", "expired"]]);

      const active = await listApiKeys(db, ctx, { state: "active", sort: "name", dir: "asc" });
      expect(active).toMatchObject({ total: 4 });
      expect(active.rows.map((r) => r.name)).toEqual(["alpha", "Bravo", "charlie", "echo"]);
    });

    it("rejects a bad query with field errors", async () => {
      await expect(listApiKeys(db, ctx, { pageSize: 1000 })).rejects.toMatchObject({
        code: "validation",
        fieldErrors: { pageSize: expect.any(Array) },
      });
    });
  });

  // Each core joins the caller's transaction: composed, they commit or roll back as one.
  describe("in the caller's transaction", () => {
    it("revokeApiKeyInTx inside a transaction that then throws leaves the key live and writes no audit event", async () => {
      const admin = await contextFor(db, "admin@acme.test", "acme");
      const { key, secret } = await createApiKey(db, admin, { name: uniqueName("Survives a rollback") });
      const before = await snapshotOf(db, { apiKeys: true });
      const mark = await lastAuditEventId(db);

      await inFailedTransaction(db, async (tx) => {
        const view = await revokeApiKeyInTx(tx, admin, key.id);
        // Inside the transaction the key is revoked and its event written…
        expect(view.state).toBe("revoked");
        expect(
          await tx
            .select()
            .from(auditEvents)
            .where(and(eq(auditEvents.apiKeyId, key.id), eq(auditEvents.action, "api_key.revoked"))),
        ).toHaveLength(1);
      });

      // …and the caller's rollback takes both away.
      expect(await snapshotOf(db, { apiKeys: true })).toBe(before);
      expect(await lastAuditEventId(db)).toBe(mark);
      expect((await keyRow(db, key.id)).revokedAt).toBeNull();
      expect(await verdict(db, secret)).toBe("accepted");
      // Still live, so it can be revoked for real.
      expect((await revokeApiKey(db, admin, key.id)).state).toBe("revoked");
    });

    it("every key and token core rolls back with its caller, leaving rows and audit record as they were", async () => {
      await setWorkspace(db, "acme", { personalTokensAllowed: true });
      const admin = await contextFor(db, "admin@acme.test", "acme");
      const member = await contextFor(db, "member@acme.test", "acme");
      const global = await contextFor(db, "global@latchkey.test", "acme");
      const victim = await addUser(db, { email: `victim${++seq}@acme.test`, name: "Vic Victim", memberships: [["acme", "member"]] });
      const { key } = await createApiKey(db, admin, { name: uniqueName("Rolled back"), ownerId: victim });
      const { token } = await createMyToken(db, member, { name: uniqueName("Rolled back token") });
      const before = await snapshotOf(db, { users: true, memberships: true, apiKeys: true });

      const cores: [string, (tx: Tx) => Promise<unknown>][] = [
        ["createApiKeyInTx", (tx) => createApiKeyInTx(tx, admin, { name: uniqueName("Never made") })],
        ["updateApiKeyInTx", (tx) => updateApiKeyInTx(tx, admin, key.id, { enabled: false, name: uniqueName("Never renamed") })],
        ["revokeAllApiKeysInTx", (tx) => revokeAllApiKeysInTx(tx, admin)],
        ["deleteMyTokenInTx", (tx) => deleteMyTokenInTx(tx, member, token.id)],
        ["deleteAllMyTokensInTx", (tx) => deleteAllMyTokensInTx(tx, member)],
        ["deleteUserInTx", (tx) => deleteUserInTx(tx, global, victim)],
      ];
      for (const [name, core] of cores) {
        const mark = await lastAuditEventId(db);
        let wrote = 0;
        await inFailedTransaction(db, async (tx) => {
          const m = await eventCount(tx);
          await core(tx);
          wrote = (await eventCount(tx)) - m;
        });
        // Labelled, so a failure names the core.
        expect({ name, wrote: wrote > 0 }).toEqual({ name, wrote: true });
        expect({ name, after: await snapshotOf(db, { users: true, memberships: true, apiKeys: true }) }).toEqual({ name, after: before });
        expect({ name, last: await lastAuditEventId(db) }).toEqual({ name, last: mark });
      }
    });

    it("cores composed in one transaction commit together, and caches are told once, when it ends", async () => {
      const admin = await contextFor(db, "admin@acme.test", "acme");
      let ended = 0;
      const stop = onTransactionEnd(() => ended++);
      try {
        const { made, endedInside } = await db.transaction(async (tx) => {
          const created = await createApiKeyInTx(tx, admin, { name: uniqueName("Made and revoked at once") });
          await updateApiKeyInTx(tx, admin, created.key.id, { bearerAllowed: false });
          await revokeApiKeyInTx(tx, admin, created.key.id);
          return { made: created, endedInside: ended };
        });
        expect(endedInside).toBe(0);
        expect(ended).toBe(1);
        expect((await eventsFor(db, made.key.id)).map((e) => e.action)).toEqual(["api_key.created", "api_key.bearer_disabled", "api_key.revoked"]);
        expect(await verdict(db, made.secret)).toBe("key_revoked");
      } finally {
        stop();
      }
    });
  });
});

describe("revokeAllApiKeys (own database)", () => {
  let handle: OpenDatabase;
  let db: Db;

  beforeAll(async () => {
    handle = await createTestDatabase();
    db = handle.db;
    await seedFixtures(db);
  });
  afterAll(() => handle.close());

  it("revokes every live workspace key, audits each, and leaves other workspaces and personal tokens alone", async () => {
    const ctx = await contextFor(db, "admin@acme.test", "acme");
    const acmeId = ctx.workspace.id;
    const globexId = await workspaceId(db, "globex");
    const memberId = await userId(db, "member@acme.test");
    // A personal token in the same workspace: revoke-all is for workspace keys only.
    const token = generateSecret();
    const [personal] = await db
      .insert(apiKeys)
      .values({
        workspaceId: acmeId,
        kind: "personal",
        ownerId: memberId,
        name: "Mia's laptop",
        secretHash: hashSecret(token),
        prefix: token.slice(0, 11) + "…",
        scopes: ["me:read"],
        createdById: memberId,
      })
      .returning();
    const globexBefore = await db.select().from(apiKeys).where(eq(apiKeys.workspaceId, globexId)).orderBy(asc(apiKeys.id));
    const live = (await listApiKeys(db, ctx, { pageSize: 100 })).rows.map((r) => r.id).sort();
    expect(live).toHaveLength(4);

    const result = await revokeAllApiKeys(db, ctx);
    expect(result).toEqual({ revoked: 4 });

    expect((await listApiKeys(db, ctx)).total).toBe(0);
    const acmeRows = await db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.workspaceId, acmeId), eq(apiKeys.kind, "workspace")));
    expect(acmeRows.every((r) => r.revokedAt instanceof Date && r.revokedById === ctx.userId)).toBe(true);
    expect((await keyRow(db, personal.id)).revokedAt).toBeNull();
    expect(await db.select().from(apiKeys).where(eq(apiKeys.workspaceId, globexId)).orderBy(asc(apiKeys.id))).toEqual(globexBefore);

    const all = await db.select().from(auditEvents).where(eq(auditEvents.workspaceId, acmeId));
    const summary = all.filter((e) => e.action === "api_key.revoked_all");
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatchObject({ actorUserId: ctx.userId, metadata: { count: 4 }, ip: "203.0.113.7", userAgent: "vitest" });
    const perKey = all.filter((e) => e.action === "api_key.revoked");
    expect(perKey.map((e) => e.apiKeyId).sort()).toEqual(live);
    for (const e of perKey) expect(e).toMatchObject({ metadata: { via: "revoke_all" }, changes: { revokedAt: { from: null } } });
    const globexEvents = await db.select().from(auditEvents).where(eq(auditEvents.workspaceId, globexId));
    expect(globexEvents.every((e) => e.action === "api_key.created")).toBe(true);

    // Nothing left to revoke: a second run revokes none.
    expect(await revokeAllApiKeys(db, ctx)).toEqual({ revoked: 0 });
  });

  /**
   * The one api_key.revoked event a key has, checked field by field against the key's row and
   * who acted: only the metadata (how it came about) differs between the ways of revoking.
   */
  async function expectRevokedRecord(keyId: string, by: WorkspaceContext, metadata: Record<string, unknown> | null, reason: string | null = null) {
    const row = await keyRow(db, keyId);
    expect(row.revokedAt).toBeInstanceOf(Date);
    expect(row.revokedById).toBe(by.userId);
    expect(row.revokedReason).toBe(reason);
    const events = (await eventsFor(db, keyId)).filter((e) => e.action === "api_key.revoked");
    expect(events).toEqual([
      {
        id: expect.any(Number),
        createdAt: expect.any(Date),
        workspaceId: row.workspaceId,
        actorUserId: by.userId,
        actorApiKeyId: null,
        action: "api_key.revoked",
        apiKeyId: row.id,
        targetName: row.name,
        changes: { revokedAt: { from: null, to: row.revokedAt!.toISOString() }, revokedReason: { from: null, to: reason } },
        metadata,
        ip: by.ip,
        userAgent: by.userAgent,
      },
    ]);
  }

  it("one key, revoke-all, Admin > Keys (workspace key and personal token) and deleting the owner leave the same record", async () => {
    await setWorkspace(db, "acme", { personalTokensAllowed: true });
    const admin = await contextFor(db, "admin@acme.test", "acme");
    const globexAdmin = await contextFor(db, "admin@globex.test", "globex");
    const global = await contextFor(db, "global@latchkey.test", "acme");
    const globalUser = (await loadSessionUser(db, await userId(db, "global@latchkey.test")))!;

    const one = await createApiKey(db, admin, { name: uniqueName("Revoked alone") });
    await revokeApiKey(db, admin, one.key.id);
    await expectRevokedRecord(one.key.id, admin, null);

    const bulkKey = await createApiKey(db, globexAdmin, { name: uniqueName("Revoked in bulk") });
    const bulkToken = await createMyToken(db, await contextFor(db, "member@acme.test", "acme"), { name: uniqueName("Token revoked in bulk") });
    const bulk = await bulkChangeKeys(db, globalUser, "revoke", [bulkKey.key.id, bulkToken.token.id], { ip: global.ip, userAgent: global.userAgent });
    expect(bulk).toMatchObject({ changed: 2 });
    await expectRevokedRecord(bulkKey.key.id, global, null);
    await expectRevokedRecord(bulkToken.token.id, global, { kind: "personal", via: "admin" });

    // The owner's keys in two workspaces: each event lands in its key's workspace.
    const owner = await addUser(db, {
      email: `owner${++seq}@acme.test`,
      name: "Olga Owner",
      memberships: [
        ["acme", "member"],
        ["globex", "member"],
      ],
    });
    const ownedHere = await createApiKey(db, admin, { name: uniqueName("Owner's Acme key"), ownerId: owner });
    const ownedThere = await createApiKey(db, globexAdmin, { name: uniqueName("Owner's Globex key"), ownerId: owner });
    await deleteUser(db, global, owner);
    for (const { key } of [ownedHere, ownedThere]) await expectRevokedRecord(key.id, global, { via: "user_deleted", userId: owner }, "owner_left");

    const mark = await lastAuditEventId(db);
    const last = await createApiKey(db, admin, { name: uniqueName("Revoked with all") });
    expect(await revokeAllApiKeys(db, admin)).toEqual({ revoked: 1 });
    await expectRevokedRecord(last.key.id, admin, { via: "revoke_all" });
    expect((await auditEventsAfter(db, mark)).map((e) => e.action)).toEqual(["api_key.created", "api_key.revoked", "api_key.revoked_all"]);
  });
});
