"use server";

import { sessionAction, type ActionResult } from "@/lib/actions";
import {
  countUnreadNotifications,
  listNotifications,
  markAllNotificationsRead,
  markNotificationRead,
  NOTIFICATIONS_PAGE_SIZE,
  type NotificationView,
} from "./core";

// The bell's actions: the wrapper checks the session, the core keeps each person to their own
// notifications. A person who still has to replace a one-time password sees the frame (and the
// bell) too, so these allow it.

export interface NotificationsSnapshot {
  items: NotificationView[];
  unread: number;
}

/** The newest notifications and the unread count, read when the bell is opened. */
export async function loadNotificationsAction(): Promise<ActionResult<NotificationsSnapshot>> {
  return sessionAction(
    async (caller, db) => {
      const [items, unread] = await Promise.all([listNotifications(db, caller, { limit: 20 }), countUnreadNotifications(db, caller)]);
      return { items, unread };
    },
    { passwordChangeAllowed: true },
  );
}

export async function markNotificationReadAction(id: string): Promise<ActionResult<{ href: string }>> {
  return sessionAction((caller, db) => markNotificationRead(db, caller, id), { passwordChangeAllowed: true });
}

export async function markAllNotificationsReadAction(): Promise<ActionResult<{ marked: number }>> {
  return sessionAction((caller, db) => markAllNotificationsRead(db, caller), { passwordChangeAllowed: true });
}

/** The unread count alone, which the bell refreshes while the page stays open. */
export async function countUnreadNotificationsAction(): Promise<ActionResult<number>> {
  return sessionAction((caller, db) => countUnreadNotifications(db, caller), { passwordChangeAllowed: true });
}

/** A page of older notifications, for the account page's "Show older": those before the given one (its time and id). */
export async function listOlderNotificationsAction(before: { createdAt: string; id: string }): Promise<ActionResult<NotificationView[]>> {
  return sessionAction(
    async (caller, db) => {
      const at = new Date(typeof before?.createdAt === "string" ? before.createdAt : Number.NaN);
      if (Number.isNaN(at.getTime()) || typeof before?.id !== "string") return [];
      return listNotifications(db, caller, { limit: NOTIFICATIONS_PAGE_SIZE, before: { createdAt: at, id: before.id } });
    },
    { passwordChangeAllowed: true },
  );
}
