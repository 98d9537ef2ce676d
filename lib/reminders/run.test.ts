import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openDatabase, type OpenDatabase } from "@/db";
import { apiKeys, auditEvents, keyReminders, notifications, users } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { createApiKey, revokeApiKey, updateApiKey } from "@/lib/api-keys/core";
import { createMyToken } from "@/lib/api-keys/tokens";
import { updateWorkspaceSettings } from "@/lib/workspaces/core";
import { addUtcDays } from "@/lib/dates";
import { addUser, contextFor, seedFixtures, setWorkspace, userId, workspaceId } from "@/lib/testing/fixtures";
import { sendDueReminders } from "./run";

// Expiry reminders: each threshold of the workspace's reminder_days once per key and expiry (the
// smallest due one when several are due at once), then once "has expired"; to the owner, the
// creator and the workspace's Admins who are still live members; with the audit event in the
// same transaction; once across instances running at the same moment.

let handle: OpenDatabase & { url?: string };
const DAY = 86_400_000;

beforeAll(async () => {
  handle = await createTestDatabase();
  await seedFixtures(handle.db);
});
afterAll(async () => {
  await handle.close();
});

async function claimsOf(keyId: string) {
  return handle.db
    .select({ daysBefore: keyReminders.daysBefore, expiresAt: keyReminders.expiresAt })
    .from(keyReminders)
    .where(eq(keyReminders.apiKeyId, keyId))
    .orderBy(asc(keyReminders.sentAt), asc(keyReminders.daysBefore));
}

async function notificationsOf(keyId: string) {
  return handle.db
    .select({ email: users.email, kind: notifications.kind, title: notifications.title, body: notifications.body, href: notifications.href })
    .from(notifications)
    .innerJoin(users, eq(users.id, notifications.userId))
    .where(eq(notifications.apiKeyId, keyId))
    .orderBy(asc(notifications.createdAt), asc(users.email));
}

async function auditOf(keyId: string) {
  return handle.db
    .select({
      action: auditEvents.action,
      metadata: auditEvents.metadata,
      actorUserId: auditEvents.actorUserId,
      workspaceId: auditEvents.workspaceId,
    })
    .from(auditEvents)
    .where(and(eq(auditEvents.apiKeyId, keyId), inArray(auditEvents.action, ["api_key.expiring", "api_key.expired"])))
    .orderBy(asc(auditEvents.id));
}

async function keyExpiringIn(name: string, days: number, base = Date.now(), owner?: string) {
  const db = handle.db;
  const ctx = await contextFor(db, "admin@acme.test", "acme");
  const created = await createApiKey(db, ctx, {
    name,
    expiresAt: new Date(base + days * DAY).toISOString(),
    ...(owner ? { ownerId: await userId(db, owner) } : {}),
  });
  return created;
}

describe("sendDueReminders", () => {
  it("sends the 14-, 7- and 1-day reminders as the clock moves, each once, then the expiry notice", async () => {
    const base = Date.now();
    const { key } = await keyExpiringIn("Deploy bot", 10, base);
    const at = (days: number) => new Date(base + days * DAY);

    // Not yet in any window: nothing. (10 days left is inside 14.)
    await sendDueReminders(handle.db, at(-5));
    expect(await claimsOf(key.id)).toEqual([]);

    await sendDueReminders(handle.db, at(0));
    expect((await claimsOf(key.id)).map((c) => c.daysBefore)).toEqual([14]);
    const first = await notificationsOf(key.id);
    expect(first.map((n) => n.title)).toContain('API key "Deploy bot" expires in 10 days');

    // The same moment again, and a day later: already sent.
    await sendDueReminders(handle.db, at(0));
    await sendDueReminders(handle.db, at(1));
    expect((await claimsOf(key.id)).map((c) => c.daysBefore)).toEqual([14]);

    await sendDueReminders(handle.db, at(3.01));
    expect((await claimsOf(key.id)).map((c) => c.daysBefore)).toEqual([14, 7]);
    await sendDueReminders(handle.db, at(8.5));
    expect((await claimsOf(key.id)).map((c) => c.daysBefore)).toEqual([14, 7]);
    await sendDueReminders(handle.db, at(9.01));
    expect((await claimsOf(key.id)).map((c) => c.daysBefore)).toEqual([14, 7, 1]);
    await sendDueReminders(handle.db, at(10.01));
    await sendDueReminders(handle.db, at(10.5));
    expect((await claimsOf(key.id)).map((c) => c.daysBefore)).toEqual([14, 7, 1, 0]);

    const titles = [...new Set((await notificationsOf(key.id)).map((n) => n.title))];
    expect(titles).toEqual([
      'API key "Deploy bot" expires in 10 days',
      'API key "Deploy bot" expires in 7 days',
      'API key "Deploy bot" expires in 1 day',
      'API key "Deploy bot" has expired',
    ]);
    const audit = await auditOf(key.id);
    expect(audit.map((a) => a.action)).toEqual(["api_key.expiring", "api_key.expiring", "api_key.expiring", "api_key.expired"]);
    expect(audit[1].metadata).toEqual({ daysBefore: 7, daysLeft: 7, expiresAt: key.expiresAt!.toISOString() });
    // Written by the system, in the key's workspace (what the webhook outbox reads).
    const acme = await workspaceId(handle.db, "acme");
    expect(audit.every((a) => a.actorUserId === null && a.workspaceId === acme)).toBe(true);
  });

  it("sends only the smallest due reminder for a key made closer to its expiry than several thresholds", async () => {
    const { key } = await keyExpiringIn("Made late", 3);
    await sendDueReminders(handle.db);
    await sendDueReminders(handle.db);
    expect((await claimsOf(key.id)).map((c) => c.daysBefore)).toEqual([7]);
    const titles = [...new Set((await notificationsOf(key.id)).map((n) => n.title))];
    expect(titles).toEqual(['API key "Made late" expires in 3 days']);
    expect(await auditOf(key.id)).toHaveLength(1);
  });

  it("reminds afresh about a changed expiry, and not at all about a revoked key", async () => {
    const db = handle.db;
    const ctx = await contextFor(db, "admin@acme.test", "acme");
    const base = Date.now();
    const { key } = await keyExpiringIn("Extended later", 5, base);
    await sendDueReminders(db, new Date(base));
    expect((await claimsOf(key.id)).map((c) => c.daysBefore)).toEqual([7]);

    const later = new Date(base + 30 * DAY);
    await updateApiKey(db, ctx, key.id, { expiresAt: later.toISOString() });
    // The old expiry's 1-day moment: the key no longer expires then.
    await sendDueReminders(db, new Date(base + 4.5 * DAY));
    expect((await claimsOf(key.id)).map((c) => c.daysBefore)).toEqual([7]);
    await sendDueReminders(db, new Date(base + 16.5 * DAY));
    const claims = await claimsOf(key.id);
    expect(claims.map((c) => c.daysBefore)).toEqual([7, 14]);
    expect(claims[1].expiresAt.toISOString()).toBe(later.toISOString());

    const { key: revoked } = await keyExpiringIn("Revoked before its reminder", 3, base);
    await revokeApiKey(db, ctx, revoked.id);
    await sendDueReminders(db, new Date(base));
    expect(await claimsOf(revoked.id)).toEqual([]);
    expect(await notificationsOf(revoked.id)).toEqual([]);
  });

  it("tells the owner, the creator and the workspace's live Admins, each once, and nobody else", async () => {
    const db = handle.db;
    await addUser(db, { email: "second-admin@acme.test", name: "Second Admin", memberships: [["acme", "admin"]] });
    const disabled = await addUser(db, { email: "disabled-admin@acme.test", name: "Disabled Admin", memberships: [["acme", "admin"]] });
    await db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, disabled));
    const { key } = await keyExpiringIn("Owned by Mia", 2, Date.now(), "member@acme.test");
    await sendDueReminders(db);
    const got = await notificationsOf(key.id);
    // Ada made it and is an Admin: one notification, not two. Not the manager, the guest, the
    // disabled Admin, Globex's Admin, nor the Global Admin, who is no member of acme.
    expect(got.map((n) => n.email)).toEqual(["admin@acme.test", "member@acme.test", "second-admin@acme.test"]);
    expect(new Set(got.map((n) => n.href))).toEqual(new Set([`/w/acme/account/api/${key.id}`]));
    expect(got[0].kind).toBe("key_expiring");
    for (const n of got) {
      expect(n.body).not.toContain(key.prefix.replace("…", ""));
    }
  });

  it("tells only its owner about a personal token, linking to their tokens page", async () => {
    const db = handle.db;
    await setWorkspace(db, "acme", { personalTokensAllowed: true });
    const member = await contextFor(db, "member@acme.test", "acme");
    const { token } = await createMyToken(db, member, { name: "Mia's laptop", expiresAt: new Date(Date.now() + 6 * DAY).toISOString() });
    await sendDueReminders(db);
    const got = await notificationsOf(token.id);
    expect(got.map((n) => [n.email, n.title, n.href])).toEqual([
      ["member@acme.test", 'Personal token "Mia\'s laptop" expires in 6 days', "/w/acme/account/tokens"],
    ]);
  });

  it("honours the workspace's own reminder days", async () => {
    const db = handle.db;
    const globex = await contextFor(db, "admin@globex.test", "globex");
    await updateWorkspaceSettings(db, globex, { reminderDays: [30, 2] });
    const base = Date.now();
    const { key } = await createApiKey(db, globex, { name: "Globex monthly", expiresAt: new Date(base + 25 * DAY).toISOString() });
    await sendDueReminders(db, new Date(base));
    expect((await claimsOf(key.id)).map((c) => c.daysBefore)).toEqual([30]);
    await sendDueReminders(db, new Date(base + 15 * DAY));
    expect((await claimsOf(key.id)).map((c) => c.daysBefore)).toEqual([30]);
    await sendDueReminders(db, new Date(base + 23.5 * DAY));
    expect((await claimsOf(key.id)).map((c) => c.daysBefore)).toEqual([30, 2]);
    expect((await notificationsOf(key.id)).map((n) => n.email)).toEqual(["admin@globex.test", "admin@globex.test"]);
  });

  it("reads the keys a page at a time and still reaches every one", async () => {
    const base = Date.now();
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await keyExpiringIn(`Paged ${i}`, 2 + i / 10, base)).key.id);
    await sendDueReminders(handle.db, new Date(base), { pageSize: 2 });
    const claimed = await handle.db.select({ id: keyReminders.apiKeyId }).from(keyReminders).where(inArray(keyReminders.apiKeyId, made));
    expect(claimed.map((c) => c.id).sort()).toEqual([...made].sort());
  });

  it("goes on past a key whose reminder fails, and sends that one once it can", async () => {
    const db = handle.db;
    const base = Date.now();
    const { key: poison } = await keyExpiringIn("Fails first", 2, base);
    const { key: after } = await keyExpiringIn("After the failing one", 2.5, base);
    await db.execute(
      sql.raw(`create function fail_reminder() returns trigger language plpgsql as $$ begin raise exception 'refused for the test'; end $$`),
    );
    await db.execute(
      sql.raw(
        `create trigger fail_reminder before insert on key_reminders for each row when (new.api_key_id = '${poison.id}') execute function fail_reminder()`,
      ),
    );
    const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      await sendDueReminders(db, new Date(base));
    } finally {
      await db.execute(sql.raw("drop trigger fail_reminder on key_reminders"));
      await db.execute(sql.raw("drop function fail_reminder()"));
      quiet.mockRestore();
    }
    expect(await claimsOf(poison.id)).toEqual([]);
    expect(await notificationsOf(poison.id)).toEqual([]);
    expect((await claimsOf(after.id)).map((c) => c.daysBefore)).toEqual([7]);
    await sendDueReminders(db, new Date(base));
    expect((await claimsOf(poison.id)).map((c) => c.daysBefore)).toEqual([7]);
  });

  it("sends each reminder once when two instances run it at the same moment", async () => {
    const second = handle.url ? await openDatabase({ url: handle.url, migrate: false }) : handle;
    try {
      const base = Date.now();
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push((await keyExpiringIn(`Concurrent ${i}`, 1 + i, base)).key.id);
      const at = new Date(base);
      const [a, b] = await Promise.all([sendDueReminders(handle.db, at), sendDueReminders(second.db, at)]);
      const claims = await handle.db.select().from(keyReminders).where(inArray(keyReminders.apiKeyId, ids));
      expect(claims).toHaveLength(6);
      // Between them they sent everything that was due (the seeded keys may be due too), no key twice.
      expect(a.sent + b.sent).toBeGreaterThanOrEqual(6);
      const perKey = await handle.db
        .select({ apiKeyId: notifications.apiKeyId, userId: notifications.userId })
        .from(notifications)
        .where(inArray(notifications.apiKeyId, ids));
      const pairs = perKey.map((p) => `${p.apiKeyId}/${p.userId}`);
      expect(new Set(pairs).size).toBe(pairs.length);
      const events = await handle.db.select().from(auditEvents).where(inArray(auditEvents.apiKeyId, ids));
      expect(events.filter((e) => e.action === "api_key.expiring")).toHaveLength(6);
    } finally {
      if (second !== handle) await second.close();
    }
  });

  it("leaves keys that never expire alone", async () => {
    const db = handle.db;
    await setWorkspace(db, "acme", { maxKeyLifetimeDays: null });
    const ctx = await contextFor(db, "admin@acme.test", "acme");
    const { key } = await createApiKey(db, ctx, { name: "Forever", expiresAt: null });
    await setWorkspace(db, "acme", { maxKeyLifetimeDays: 730 });
    expect((await db.select({ e: apiKeys.expiresAt }).from(apiKeys).where(eq(apiKeys.id, key.id)))[0].e).toBeNull();
    await sendDueReminders(db, addUtcDays(Date.now(), 3650));
    expect(await claimsOf(key.id)).toEqual([]);
  });
});
