"use client";

import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { toast } from "sonner";
import { listOlderNotificationsAction, markAllNotificationsReadAction, markNotificationReadAction } from "@/lib/notifications/actions";
import type { NotificationView } from "@/lib/notifications/core";
import { Button } from "@/components/ui/button";
import { RelativeTime } from "@/components/ui/relative-time";
import { cn } from "@/lib/utils";

/** The account page's list: every notification of the caller's, a page at a time, newest first. */
export function NotificationsList({ initial, pageSize }: { initial: NotificationView[]; pageSize: number }) {
  const router = useRouter();
  const [items, setItems] = useState(initial);
  const [more, setMore] = useState(initial.length >= pageSize);
  const [loading, startLoading] = useTransition();
  const [, startTransition] = useTransition();

  if (items.length === 0)
    return (
      <p className="text-sm text-muted-foreground">Nothing yet. Reminders about keys you own, made or administer appear here before they expire.</p>
    );

  const open = (n: NotificationView) =>
    startTransition(async () => {
      setItems((list) => list.map((i) => (i.id === n.id ? { ...i, read: true } : i)));
      const result = await markNotificationReadAction(n.id);
      if (!result.ok) toast.error(result.error);
      router.push(n.href);
    });

  const older = () =>
    startLoading(async () => {
      const last = items[items.length - 1];
      const result = await listOlderNotificationsAction({ createdAt: new Date(last.createdAt).toISOString(), id: last.id });
      if (!result.ok) {
        toast.error(result.error);
        return;
      }
      setItems((list) => [...list, ...result.data]);
      setMore(result.data.length >= pageSize);
    });

  const markAll = () =>
    startTransition(async () => {
      const result = await markAllNotificationsReadAction();
      if (!result.ok) {
        toast.error(result.error);
        return;
      }
      setItems((list) => list.map((i) => ({ ...i, read: true })));
      toast.success(result.data.marked === 1 ? "1 notification marked read." : `${result.data.marked} notifications marked read.`);
      router.refresh();
    });

  return (
    <div className="grid gap-3">
      <div>
        <Button variant="outline" size="sm" onClick={markAll} disabled={items.every((i) => i.read)}>
          Mark all read
        </Button>
      </div>
      <ul className="divide-y rounded-lg border">
        {items.map((n) => (
          <li key={n.id}>
            <button
              type="button"
              onClick={() => open(n)}
              className="flex w-full items-start gap-3 px-4 py-3 text-left outline-none hover:bg-accent focus-visible:ring-2 focus-visible:ring-ring"
            >
              <span aria-hidden="true" className={cn("mt-1.5 size-2 shrink-0 rounded-full", n.read ? "bg-transparent" : "bg-primary")} />
              <span className="grid min-w-0 flex-1 gap-0.5">
                <span className={cn("break-words text-sm", n.read ? "text-muted-foreground" : "font-medium")}>
                  {n.read ? null : <span className="sr-only">Unread: </span>}
                  {n.title}
                </span>
                <span className="text-xs break-words text-muted-foreground">{n.body}</span>
              </span>
              <RelativeTime value={n.createdAt} className="shrink-0 text-xs text-muted-foreground" />
            </button>
          </li>
        ))}
      </ul>
      {more ? (
        <div>
          <Button variant="ghost" size="sm" onClick={older} disabled={loading}>
            {loading ? "Loading…" : "Show older"}
          </Button>
        </div>
      ) : null}
    </div>
  );
}
