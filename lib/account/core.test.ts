import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db, OpenDatabase } from "@/db";
import { apiKeys, memberships, users } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { createApiKey } from "@/lib/api-keys/core";
import { createMyToken } from "@/lib/api-keys/tokens";
import { loadSessionUser, loadSessionUserForClaims } from "@/lib/auth/context";
import { hashPassword, verifyPassword } from "@/lib/auth/password";
import { ACCOUNT_FREE_FAILURES } from "@/lib/auth/sign-in-throttle";
import {
  addUser,
  contextFor,
  seedFixtures,
  setWorkspace,
  userId,
  workspaceId,
  auditEventsAfter,
  lastAuditEventId,
  snapshotOf,
} from "@/lib/testing/fixtures";
import { changePassword, getAccount, listKeysActingAs, revokeKeyActingAsMe, signOutEverywhere, updateProfile, type AccountActor } from "./core";

const OLD = "old-password-1234";
const NEW = "a-brand-new-password";

describe("your account", () => {
  let handle: OpenDatabase;
  let db: Db;
  let seq = 0;

  beforeAll(async () => {
    handle = await createTestDatabase();
    db = handle.db;
    await seedFixtures(db);
    await setWorkspace(db, "acme", { personalTokensAllowed: true });
    await setWorkspace(db, "globex", { personalTokensAllowed: true });
  });
  afterAll(() => handle.close());

  /** A fresh user with a known password, so tests do not disturb each other or the seeded cast. */
  async function person(
    memberships: [string, "admin" | "manager" | "member" | "guest"][] = [["acme", "member"]],
  ): Promise<AccountActor & { email: string }> {
    const email = `person${++seq}@account.test`;
    const id = await addUser(db, { email, name: `Person ${seq}`, memberships });
    await db
      .update(users)
      .set({ passwordHash: await hashPassword(OLD) })
      .where(eq(users.id, id));
    return { userId: id, isGlobalAdmin: false, ip: "203.0.113.9", userAgent: "vitest", email };
  }

  describe("sessions that can be cut off", () => {
    it("counts a live user's session, and not a deleted, disabled or cut-off one", async () => {
      const p = await person();
      const signedInAt = Date.now();
      expect(await loadSessionUserForClaims(db, { userId: p.userId, signedInAt })).toMatchObject({ id: p.userId, mustChangePassword: false });

      await db
        .update(users)
        .set({ sessionsValidAfter: new Date(signedInAt + 1) })
        .where(eq(users.id, p.userId));
      expect(await loadSessionUserForClaims(db, { userId: p.userId, signedInAt })).toBeNull();
      // A session begun at or after the cut-off counts again.
      expect(await loadSessionUserForClaims(db, { userId: p.userId, signedInAt: signedInAt + 1 })).not.toBeNull();
      // A session from before the claim existed cannot prove it began after a cut-off.
      expect(await loadSessionUserForClaims(db, { userId: p.userId, signedInAt: null })).toBeNull();

      await db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, p.userId));
      expect(await loadSessionUserForClaims(db, { userId: p.userId, signedInAt: Date.now() })).toBeNull();
      expect(await loadSessionUser(db, p.userId)).toBeNull();

      await db.update(users).set({ disabledAt: null, deletedAt: new Date() }).where(eq(users.id, p.userId));
      expect(await loadSessionUserForClaims(db, { userId: p.userId, signedInAt: Date.now() })).toBeNull();
    });

    it("treats a forged or malformed user id as nobody", async () => {
      expect(await loadSessionUserForClaims(db, { userId: "not-a-uuid' or 1=1 --", signedInAt: Date.now() })).toBeNull();
      expect(await loadSessionUserForClaims(db, { userId: "00000000-0000-4000-8000-000000000000", signedInAt: Date.now() })).toBeNull();
    });
  });

  describe("profile", () => {
    it("renames the actor only, with an audit event in no workspace", async () => {
      const p = await person();
      const other = await userId(db, "member@acme.test");
      const since = await lastAuditEventId(db);
      expect(await updateProfile(db, p, { name: "  Ada Lovelace  " })).toEqual({ name: "Ada Lovelace" });
      expect((await getAccount(db, p)).name).toBe("Ada Lovelace");
      const [otherRow] = await db.select({ name: users.name }).from(users).where(eq(users.id, other));
      expect(otherRow.name).not.toBe("Ada Lovelace");
      const events = await auditEventsAfter(db, since);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ action: "user.profile_updated", workspaceId: null, actorUserId: p.userId, ip: "203.0.113.9" });
      expect(events[0].changes).toEqual({ name: { from: expect.stringMatching(/^Person /), to: "Ada Lovelace" } });
    });

    it("refuses an empty, overlong or control-character name and changes nothing", async () => {
      const p = await person();
      const before = await snapshotOf(db, { users: true, apiKeys: true });
      for (const name of ["", "   ", "x".repeat(101), "Bad\u0000Name", 42, null]) {
        await expect(updateProfile(db, p, { name })).rejects.toMatchObject({ code: "validation", fieldErrors: { name: [expect.any(String)] } });
      }
      expect(await snapshotOf(db, { users: true, apiKeys: true })).toBe(before);
    });
  });

  describe("change password", () => {
    it("needs the right current password; a wrong one changes nothing", async () => {
      const p = await person();
      const before = await snapshotOf(db, { users: true, apiKeys: true });
      await expect(changePassword(db, p, { currentPassword: "wrong-password-1", newPassword: NEW, confirmPassword: NEW })).rejects.toMatchObject({
        code: "validation",
        fieldErrors: { currentPassword: ["That is not your current password."] },
      });
      expect(await snapshotOf(db, { users: true, apiKeys: true })).toBe(before);
    });

    it("checks the new password: at least 12 characters, confirmed, not the current one", async () => {
      const p = await person();
      const before = await snapshotOf(db, { users: true, apiKeys: true });
      const cases: [Record<string, unknown>, string][] = [
        [{ currentPassword: OLD, newPassword: "short", confirmPassword: "short" }, "newPassword"],
        [{ currentPassword: OLD, newPassword: "            ", confirmPassword: "            " }, "newPassword"],
        [{ currentPassword: OLD, newPassword: NEW, confirmPassword: `${NEW}x` }, "confirmPassword"],
        [{ currentPassword: OLD, newPassword: OLD, confirmPassword: OLD }, "newPassword"],
        [{ currentPassword: "", newPassword: NEW, confirmPassword: NEW }, "currentPassword"],
        [{ currentPassword: OLD, newPassword: "x".repeat(1025), confirmPassword: "x".repeat(1025) }, "newPassword"],
      ];
      for (const [input, field] of cases) {
        const err = await changePassword(db, p, input).catch((e) => e);
        expect(err).toMatchObject({ code: "validation" });
        expect(Object.keys(err.fieldErrors)).toContain(field);
      }
      expect(await snapshotOf(db, { users: true, apiKeys: true })).toBe(before);
    });

    it("replaces the hash, ends every earlier session, clears a one-time password, and records no password", async () => {
      const p = await person();
      await db.update(users).set({ mustChangePassword: true }).where(eq(users.id, p.userId));
      const oldSession = { userId: p.userId, signedInAt: Date.now() - 1000 };
      const since = await lastAuditEventId(db);
      const now = new Date();
      const { changedAt } = await changePassword(db, p, { currentPassword: OLD, newPassword: NEW, confirmPassword: NEW }, now);
      expect(changedAt).toEqual(now);

      const [row] = await db.select().from(users).where(eq(users.id, p.userId));
      expect(await verifyPassword(NEW, row.passwordHash)).toBe(true);
      expect(await verifyPassword(OLD, row.passwordHash)).toBe(false);
      expect(row).toMatchObject({ passwordChangedAt: now, sessionsValidAfter: now, mustChangePassword: false });
      expect(await loadSessionUserForClaims(db, oldSession)).toBeNull();
      expect(await loadSessionUserForClaims(db, { userId: p.userId, signedInAt: now.getTime() })).not.toBeNull();

      const events = await auditEventsAfter(db, since);
      expect(events.map((e) => [e.action, e.workspaceId])).toEqual([["user.password_changed", null]]);
      const text = JSON.stringify(events);
      for (const secret of [OLD, NEW, row.passwordHash]) expect(text).not.toContain(secret);
    });

    it("counts wrong current passwords against the sign-in budget: a stolen session cannot guess the password", async () => {
      const p = await person();
      for (let i = 0; i < ACCOUNT_FREE_FAILURES + 1; i++) {
        await expect(changePassword(db, p, { currentPassword: `guess-number-${i}`, newPassword: NEW, confirmPassword: NEW })).rejects.toMatchObject({
          code: "validation",
        });
      }
      const before = await snapshotOf(db, { users: true, apiKeys: true });
      // Now even the right password waits, and nothing changes.
      await expect(changePassword(db, p, { currentPassword: OLD, newPassword: NEW, confirmPassword: NEW })).rejects.toMatchObject({
        code: "rate_limited",
        message: expect.stringMatching(/^Too many attempts; try again in \d+ minutes?\.$/),
      });
      expect(await snapshotOf(db, { users: true, apiKeys: true })).toBe(before);
      const [row] = await db.select().from(users).where(eq(users.id, p.userId));
      expect(await verifyPassword(OLD, row.passwordHash)).toBe(true);
    });

    it("refuses a disabled account", async () => {
      const p = await person();
      await db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, p.userId));
      const before = await snapshotOf(db, { users: true, apiKeys: true });
      await expect(changePassword(db, p, { currentPassword: OLD, newPassword: NEW, confirmPassword: NEW })).rejects.toMatchObject({
        code: "unauthenticated",
      });
      expect(await snapshotOf(db, { users: true, apiKeys: true })).toBe(before);
    });
  });

  describe("sign out everywhere", () => {
    it("ends every session of the actor's and no one else's", async () => {
      const p = await person();
      const q = await person();
      const signedInAt = Date.now() - 1000;
      const since = await lastAuditEventId(db);
      await signOutEverywhere(db, p);
      expect(await loadSessionUserForClaims(db, { userId: p.userId, signedInAt })).toBeNull();
      expect(await loadSessionUserForClaims(db, { userId: q.userId, signedInAt })).not.toBeNull();
      const events = await auditEventsAfter(db, since);
      expect(events).toMatchObject([{ action: "user.signed_out_everywhere", workspaceId: null, actorUserId: p.userId }]);
    });
  });

  describe("keys that act as you", () => {
    it("lists every live key and token the actor owns in any workspace, and nothing else", async () => {
      const p = await person([
        ["acme", "member"],
        ["globex", "member"],
      ]);
      const acmeAdmin = await contextFor(db, "admin@acme.test", "acme");
      const globexAdmin = await contextFor(db, "admin@globex.test", "globex");
      const acmeKey = await createApiKey(db, acmeAdmin, { name: `Acme for ${p.email}`, ownerId: p.userId });
      const globexKey = await createApiKey(db, globexAdmin, { name: `Globex for ${p.email}`, ownerId: p.userId, enabled: false });
      const token = await createMyToken(db, await contextFor(db, p.email, "acme"), { name: "Laptop" });
      const revoked = await createApiKey(db, acmeAdmin, { name: `Revoked for ${p.email}`, ownerId: p.userId });
      await db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, revoked.key.id));
      await createApiKey(db, acmeAdmin, { name: `Someone else's ${p.email}` });

      const rows = await listKeysActingAs(db, p);
      expect(rows.map((r) => r.id).sort()).toEqual([acmeKey.key.id, globexKey.key.id, token.token.id].sort());
      const byId = new Map(rows.map((r) => [r.id, r]));
      expect(byId.get(acmeKey.key.id)).toMatchObject({
        kind: "workspace",
        workspaceSlug: "acme",
        workspaceName: "Acme Inc.",
        state: "active",
        createdByName: expect.any(String),
      });
      expect(byId.get(globexKey.key.id)).toMatchObject({ workspaceSlug: "globex", state: "disabled" });
      expect(byId.get(token.token.id)).toMatchObject({ kind: "personal", createdById: p.userId });
      expect(JSON.stringify(rows)).not.toMatch(/secretHash|lk_[0-9A-Za-z]{38}/);
      expect(rows.every((r) => r.memberOfWorkspace)).toBe(true);

      // After leaving Globex the key is still theirs (and still listed), marked as such.
      await db.delete(memberships).where(and(eq(memberships.userId, p.userId), eq(memberships.workspaceId, await workspaceId(db, "globex"))));
      const after = new Map((await listKeysActingAs(db, p)).map((r) => [r.id, r]));
      expect(after.get(globexKey.key.id)?.memberOfWorkspace).toBe(false);
      expect(after.get(acmeKey.key.id)?.memberOfWorkspace).toBe(true);
    });

    it("revokes the actor's own key in its own workspace, audited there as via owner", async () => {
      const p = await person([["globex", "member"]]);
      const globexAdmin = await contextFor(db, "admin@globex.test", "globex");
      const key = await createApiKey(db, globexAdmin, { name: `Mine ${p.email}`, ownerId: p.userId });
      const since = await lastAuditEventId(db);
      await revokeKeyActingAsMe(db, p, key.key.id);
      const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, key.key.id));
      expect(row.revokedAt).toBeInstanceOf(Date);
      expect(row.revokedById).toBe(p.userId);
      expect(row.updatedAt.getTime()).toBe(row.revokedAt!.getTime());
      const events = await auditEventsAfter(db, since);
      expect(events).toMatchObject([
        {
          action: "api_key.revoked",
          workspaceId: await workspaceId(db, "globex"),
          apiKeyId: key.key.id,
          actorUserId: p.userId,
          metadata: { via: "owner", kind: "workspace" },
        },
      ]);
      expect(await listKeysActingAs(db, p)).toEqual([]);
      // Twice is not found: it is no longer live.
      await expect(revokeKeyActingAsMe(db, p, key.key.id)).rejects.toMatchObject({ code: "not_found" });
    });

    it("answers not found for a key that acts as someone else, even to an Admin or a Global Admin, and changes nothing", async () => {
      const victim = await person();
      const acmeAdmin = await contextFor(db, "admin@acme.test", "acme");
      const theirs = await createApiKey(db, acmeAdmin, { name: `Victim ${victim.email}`, ownerId: victim.userId });
      const service = await createApiKey(db, acmeAdmin, { name: `Service ${victim.email}`, ownerId: null });
      const attackers: AccountActor[] = [
        await person(),
        { userId: await userId(db, "admin@acme.test"), isGlobalAdmin: false },
        { userId: await userId(db, "global@latchkey.test"), isGlobalAdmin: true },
      ];
      const before = await snapshotOf(db, { users: true, apiKeys: true });
      for (const attacker of attackers) {
        for (const id of [theirs.key.id, service.key.id, "00000000-0000-4000-8000-000000000000", "nope", null, { id: theirs.key.id }]) {
          await expect(revokeKeyActingAsMe(db, attacker, id)).rejects.toMatchObject({ code: "not_found", message: "Key not found." });
        }
      }
      expect(await snapshotOf(db, { users: true, apiKeys: true })).toBe(before);
      const [row] = await db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.id, theirs.key.id)));
      expect(row.revokedAt).toBeNull();
    });
  });
});
