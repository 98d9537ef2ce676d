import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { memberships, notifications } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { addUser, seedFixtures, userId, workspaceId } from "@/lib/testing/fixtures";
import { countUnreadNotifications, listNotifications, markAllNotificationsRead, markNotificationRead, UNREAD_COUNT_CAP } from "./core";

// Each person sees and marks only their own notifications: another's id is "not found" and
// leaves it unread, and "mark all read" touches only the caller's.

let handle: OpenDatabase;
let ada: { userId: string };
let hank: { userId: string };

async function notify(user: string, title: string, createdAt = new Date()) {
  const [row] = await handle.db
    .insert(notifications)
    .values({
      userId: user,
      workspaceId: await workspaceId(handle.db, user === hank.userId ? "globex" : "acme"),
      kind: "key_expiring",
      title,
      body: `${title}.`,
      href: "/w/acme/account/api",
      createdAt,
    })
    .returning();
  return row;
}

beforeAll(async () => {
  handle = await createTestDatabase();
  await seedFixtures(handle.db);
  ada = { userId: await userId(handle.db, "admin@acme.test") };
  hank = { userId: await userId(handle.db, "admin@globex.test") };
});
afterAll(async () => {
  await handle.close();
});

describe("notifications", () => {
  it("lists only the caller's own, newest first, paged", async () => {
    const t = Date.now();
    await notify(ada.userId, "Ada one", new Date(t - 3000));
    await notify(ada.userId, "Ada two", new Date(t - 2000));
    await notify(ada.userId, "Ada three", new Date(t - 1000));
    await notify(hank.userId, "Hank's secret plans", new Date(t));
    const page = await listNotifications(handle.db, ada, { limit: 2 });
    expect(page.map((n) => n.title)).toEqual(["Ada three", "Ada two"]);
    const rest = await listNotifications(handle.db, ada, { limit: 2, before: { createdAt: page[1].createdAt, id: page[1].id } });
    expect(rest.map((n) => n.title)).toEqual(["Ada one"]);
    expect((await listNotifications(handle.db, hank)).map((n) => n.title)).toEqual(["Hank's secret plans"]);
    expect(await countUnreadNotifications(handle.db, ada)).toBe(3);
  });

  it("refuses to mark someone else's notification read, as if it did not exist", async () => {
    const theirs = await notify(hank.userId, "Not for Ada");
    await expect(markNotificationRead(handle.db, ada, theirs.id)).rejects.toMatchObject({ code: "not_found", message: "Notification not found." });
    await expect(markNotificationRead(handle.db, ada, "not-a-uuid")).rejects.toMatchObject({ code: "not_found" });
    const [row] = await handle.db.select().from(notifications).where(eq(notifications.id, theirs.id));
    expect(row.readAt).toBeNull();

    const mine = await notify(ada.userId, "For Ada");
    expect(await markNotificationRead(handle.db, ada, mine.id)).toEqual({ href: "/w/acme/account/api" });
    const [after] = await handle.db.select().from(notifications).where(eq(notifications.id, mine.id));
    expect(after.readAt).not.toBeNull();
    // Marking it again keeps when it was first read.
    await markNotificationRead(handle.db, ada, mine.id);
    const [again] = await handle.db.select().from(notifications).where(eq(notifications.id, mine.id));
    expect(again.readAt).toEqual(after.readAt);
  });

  it("marks all of the caller's read and nobody else's", async () => {
    const hankUnread = await countUnreadNotifications(handle.db, hank);
    expect(hankUnread).toBeGreaterThan(0);
    const { marked } = await markAllNotificationsRead(handle.db, ada);
    expect(marked).toBeGreaterThan(0);
    expect(await countUnreadNotifications(handle.db, ada)).toBe(0);
    expect(await countUnreadNotifications(handle.db, hank)).toBe(hankUnread);
    expect((await listNotifications(handle.db, ada)).every((n) => n.read)).toBe(true);
  });

  it("stops showing a workspace's notifications to someone removed from it", async () => {
    const leaver = { userId: await addUser(handle.db, { email: "leaver@acme.test", name: "Lee Leaver", memberships: [["acme", "member"]] }) };
    const row = await notify(leaver.userId, "About an Acme key");
    expect((await listNotifications(handle.db, leaver)).map((n) => n.id)).toEqual([row.id]);
    expect(await countUnreadNotifications(handle.db, leaver)).toBe(1);
    await handle.db.delete(memberships).where(eq(memberships.userId, leaver.userId));
    expect(await listNotifications(handle.db, leaver)).toEqual([]);
    expect(await countUnreadNotifications(handle.db, leaver)).toBe(0);
    await expect(markNotificationRead(handle.db, leaver, row.id)).rejects.toMatchObject({ code: "not_found" });
  });

  it("never leads off the console, whatever a row's link says", async () => {
    const row = await notify(ada.userId, "Odd link");
    await handle.db.update(notifications).set({ href: "//evil.example/phish" }).where(eq(notifications.id, row.id));
    expect((await listNotifications(handle.db, ada, { limit: 1 }))[0]).toMatchObject({ id: row.id, href: "/" });
    expect(await markNotificationRead(handle.db, ada, row.id)).toEqual({ href: "/" });
  });

  it("counts unread up to the cap the bell shows as 99+", async () => {
    const many = await userId(handle.db, "member@acme.test");
    const ws = await workspaceId(handle.db, "acme");
    await handle.db.insert(notifications).values(
      Array.from({ length: UNREAD_COUNT_CAP + 5 }, (_, i) => ({
        userId: many,
        workspaceId: ws,
        kind: "key_expiring" as const,
        title: `n${i}`,
        body: "b",
        href: "/",
      })),
    );
    expect(await countUnreadNotifications(handle.db, { userId: many })).toBe(UNREAD_COUNT_CAP + 1);
  });
});
