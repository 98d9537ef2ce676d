import "server-only";
import { and, count, desc, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { memberships, notifications, type NotificationKind } from "@/db/schema";
import type { AccountActor } from "@/lib/account/audit";
import { now as clockNow } from "@/lib/clock";
import { notFound } from "@/lib/errors";
import { isUuid } from "@/lib/api-keys/core";

// A person's own notifications, and nobody else's: every query here filters by the caller's user
// id, so someone else's notification is "not found" whatever id is sent; and only while they are
// still a member of its workspace, so someone removed stops reading about that workspace's keys. Marking one read is not
// audited: it changes no key, setting or permission, only what the bell shows its owner.

export const NOTIFICATION_NOT_FOUND = "Notification not found.";
/** The bell shows "99+" past this: counting further would read every unread row on every page. */
export const UNREAD_COUNT_CAP = 99;
/** How many the account page lists at a time. */
export const NOTIFICATIONS_PAGE_SIZE = 25;

export interface NotificationView {
  id: string;
  kind: NotificationKind;
  title: string;
  body: string;
  href: string;
  createdAt: Date;
  read: boolean;
}

type Actor = Pick<AccountActor, "userId">;

/** The caller's notifications, of no workspace or of one they still belong to. */
function visibleTo(actor: Actor) {
  return and(
    eq(notifications.userId, actor.userId),
    or(
      isNull(notifications.workspaceId),
      sql`exists (select 1 from ${memberships} where ${memberships.workspaceId} = ${notifications.workspaceId} and ${memberships.userId} = ${actor.userId})`,
    ),
  );
}

/** Only a path on this console is followed: whatever wrote the row, a click never leaves the site. */
const consolePath = (href: string) => (href.startsWith("/") && !href.startsWith("//") && !href.startsWith("/\\") ? href : "/");

/** The newest notifications first, `limit` of them, older than `before` (a previous page's last) when given. */
export async function listNotifications(
  db: DbOrTx,
  actor: Actor,
  opts: { limit?: number; before?: { createdAt: Date; id: string } } = {},
): Promise<NotificationView[]> {
  const limit = Math.min(Math.max(1, opts.limit ?? 20), 100);
  const before = opts.before;
  if (before && (!isUuid(before.id) || Number.isNaN(before.createdAt.getTime()))) return [];
  const rows = await db
    .select()
    .from(notifications)
    .where(
      and(
        visibleTo(actor),
        before
          ? or(lt(notifications.createdAt, before.createdAt), and(eq(notifications.createdAt, before.createdAt), lt(notifications.id, before.id)))
          : undefined,
      ),
    )
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(limit);
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    title: r.title,
    body: r.body,
    href: consolePath(r.href),
    createdAt: r.createdAt,
    read: r.readAt !== null,
  }));
}

/** How many are unread, up to UNREAD_COUNT_CAP + 1 (shown as "99+"). */
export async function countUnreadNotifications(db: DbOrTx, actor: Actor): Promise<number> {
  const unread = db
    .select({ one: sql`1` })
    .from(notifications)
    .where(and(visibleTo(actor), isNull(notifications.readAt)))
    .limit(UNREAD_COUNT_CAP + 1)
    .as("unread");
  const [{ n }] = await db.select({ n: count() }).from(unread);
  return n;
}

/** Marks one of the caller's notifications read; returns where it leads. Another's is not found. */
export async function markNotificationRead(db: DbOrTx, actor: Actor, id: unknown): Promise<{ href: string }> {
  if (typeof id !== "string" || !isUuid(id)) throw notFound(NOTIFICATION_NOT_FOUND);
  const [row] = await db
    .update(notifications)
    .set({ readAt: sql`coalesce(${notifications.readAt}, ${clockNow().toISOString()}::timestamptz)` })
    .where(and(eq(notifications.id, id), visibleTo(actor)))
    .returning({ href: notifications.href });
  if (!row) throw notFound(NOTIFICATION_NOT_FOUND);
  return { href: consolePath(row.href) };
}

/** Marks every unread notification of the caller's read; returns how many. */
export async function markAllNotificationsRead(db: DbOrTx, actor: Actor): Promise<{ marked: number }> {
  const rows = await db
    .update(notifications)
    .set({ readAt: clockNow() })
    .where(and(visibleTo(actor), isNull(notifications.readAt)))
    .returning({ id: notifications.id });
  return { marked: rows.length };
}
