import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { OpenDatabase } from "@/db";
import { notifications, users } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import type { SessionClaims } from "@/lib/auth/context";
import { seedFixtures, userId, workspaceId } from "@/lib/testing/fixtures";
import {
  countUnreadNotificationsAction,
  listOlderNotificationsAction,
  loadNotificationsAction,
  markAllNotificationsReadAction,
  markNotificationReadAction,
} from "./actions";

// The bell's server actions, as anyone can POST them: no session gets nothing, and a signed-in
// person reads and marks only their own, whatever id they send.

const session = vi.hoisted(() => ({ claims: null as SessionClaims | null }));
vi.mock("@/lib/account/session", () => ({ sessionClaims: async () => session.claims }));
vi.mock("next/headers", () => ({ headers: async () => new Headers({ "user-agent": "vitest" }) }));
vi.mock("next/cache", () => ({ revalidatePath: vi.fn() }));

let opened: OpenDatabase;
let adasId: string;
const g = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase> };
const ENDED = "Your session has ended. Sign in again.";

async function signInAs(email: string) {
  session.claims = { userId: await userId(opened.db, email), signedInAt: Date.now() };
}

beforeAll(async () => {
  opened = await createTestDatabase();
  await seedFixtures(opened.db);
  g.__latchkeyDb = Promise.resolve(opened);
  const [row] = await opened.db
    .insert(notifications)
    .values({
      userId: await userId(opened.db, "admin@acme.test"),
      workspaceId: await workspaceId(opened.db, "acme"),
      kind: "key_expiring",
      title: 'API key "Billing sync" expires in 7 days',
      body: "Rotate it.",
      href: "/w/acme/account/api",
    })
    .returning();
  adasId = row.id;
});
afterAll(async () => {
  g.__latchkeyDb = undefined;
  await opened?.close();
});
beforeEach(() => {
  session.claims = null;
});

const isUnread = async () => (await opened.db.select().from(notifications).where(eq(notifications.id, adasId)))[0].readAt === null;

describe("notification actions", () => {
  it("refuse a caller without a session, changing nothing", async () => {
    for (const result of [
      await loadNotificationsAction(),
      await countUnreadNotificationsAction(),
      await markNotificationReadAction(adasId),
      await markAllNotificationsReadAction(),
      await listOlderNotificationsAction({ createdAt: new Date().toISOString(), id: adasId }),
    ])
      expect(result).toEqual({ ok: false, error: ENDED });
    expect(await isUnread()).toBe(true);
  });

  it("show another workspace's Admin none of Ada's, and never mark hers read", async () => {
    await signInAs("admin@globex.test");
    expect(await loadNotificationsAction()).toEqual({ ok: true, data: { items: [], unread: 0 } });
    expect(await markNotificationReadAction(adasId)).toEqual({ ok: false, error: "Notification not found." });
    expect(await markAllNotificationsReadAction()).toEqual({ ok: true, data: { marked: 0 } });
    expect(await isUnread()).toBe(true);
  });

  it("let Ada read and mark hers, also while a one-time password waits to be replaced", async () => {
    await opened.db.update(users).set({ mustChangePassword: true }).where(eq(users.email, "admin@acme.test"));
    await signInAs("admin@acme.test");
    const loaded = await loadNotificationsAction();
    expect(loaded.ok && loaded.data.items.map((n) => [n.title, n.read])).toEqual([['API key "Billing sync" expires in 7 days', false]]);
    expect(await countUnreadNotificationsAction()).toEqual({ ok: true, data: 1 });
    expect(await markNotificationReadAction(adasId)).toEqual({ ok: true, data: { href: "/w/acme/account/api" } });
    expect(await isUnread()).toBe(false);
    expect(await countUnreadNotificationsAction()).toEqual({ ok: true, data: 0 });
  });
});
