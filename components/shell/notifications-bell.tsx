"use client";

import { useEffect, useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { Bell, CheckCheck } from "lucide-react";
import { toast } from "sonner";
import {
  countUnreadNotificationsAction,
  loadNotificationsAction,
  markAllNotificationsReadAction,
  markNotificationReadAction,
} from "@/lib/notifications/actions";
import type { NotificationView } from "@/lib/notifications/core";
import { Button } from "@/components/ui/button";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { RelativeTime } from "@/components/ui/relative-time";
import { Skeleton } from "@/components/ui/skeleton";
import { cn } from "@/lib/utils";

/** The count the server can tell exactly; past it the bell says "99+". */
const CAP = 99;
/** How often an open page refreshes the count while it is visible. */
const REFRESH_MS = 60_000;

const shown = (n: number) => (n > CAP ? `${CAP}+` : String(n));

export function NotificationsBell({ initialUnread }: { initialUnread: number }) {
  const router = useRouter();
  const [unread, setUnread] = useState(initialUnread);
  const [items, setItems] = useState<NotificationView[] | null>(null);
  const [, startTransition] = useTransition();

  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState !== "visible") return;
      void countUnreadNotificationsAction().then((r) => {
        if (r.ok) setUnread(r.data);
      });
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  const load = () =>
    startTransition(async () => {
      const result = await loadNotificationsAction();
      if (!result.ok) {
        toast.error(result.error);
        setItems([]);
        return;
      }
      setItems(result.data.items);
      setUnread(result.data.unread);
    });

  const open = (n: NotificationView) =>
    startTransition(async () => {
      if (!n.read) {
        setItems((list) => list?.map((i) => (i.id === n.id ? { ...i, read: true } : i)) ?? null);
        setUnread((u) => Math.max(0, u - 1));
      }
      const result = await markNotificationReadAction(n.id);
      if (!result.ok) toast.error(result.error);
      router.push(n.href);
    });

  const markAll = () =>
    startTransition(async () => {
      const result = await markAllNotificationsReadAction();
      if (!result.ok) {
        toast.error(result.error);
        return;
      }
      setItems((list) => list?.map((i) => ({ ...i, read: true })) ?? null);
      setUnread(0);
      toast.success(result.data.marked === 1 ? "1 notification marked read." : `${result.data.marked} notifications marked read.`);
    });

  const label = unread === 0 ? "Notifications" : `Notifications, ${shown(unread)} unread`;

  return (
    <DropdownMenu onOpenChange={(next) => next && load()}>
      <DropdownMenuTrigger asChild>
        <Button variant="ghost" size="icon" aria-label={label} className="relative">
          <Bell aria-hidden="true" />
          {unread > 0 ? (
            <span
              aria-hidden="true"
              className="absolute top-1 right-1 min-w-4 rounded-full bg-primary px-1 text-center text-[10px] leading-4 font-semibold text-primary-foreground tabular-nums"
            >
              {shown(unread)}
            </span>
          ) : null}
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end" className="w-[min(24rem,calc(100vw-2rem))] p-0">
        <div className="flex items-center justify-between gap-2 px-3 py-2">
          <DropdownMenuLabel className="p-0 text-sm font-semibold">Notifications</DropdownMenuLabel>
          <DropdownMenuItem
            disabled={unread === 0}
            onSelect={(e) => {
              // Stays open so the list can be seen turning read.
              e.preventDefault();
              markAll();
            }}
            className="px-2 py-1 text-xs"
          >
            <CheckCheck aria-hidden="true" />
            Mark all read
          </DropdownMenuItem>
        </div>
        <DropdownMenuSeparator className="my-0" />
        <div className="max-h-96 overflow-y-auto p-1">
          {items === null ? (
            <div className="grid gap-2 p-2" aria-busy="true" aria-label="Loading notifications">
              {[0, 1, 2].map((i) => (
                <Skeleton key={i} className="h-12 w-full" />
              ))}
            </div>
          ) : items.length === 0 ? (
            <p className="px-3 py-6 text-center text-sm text-muted-foreground">
              No notifications yet. Reminders about keys you own, made or administer will appear here before they expire.
            </p>
          ) : (
            items.map((n) => (
              <DropdownMenuItem key={n.id} onSelect={() => open(n)} className="items-start gap-3 py-2">
                <span aria-hidden="true" className={cn("mt-1.5 size-2 shrink-0 rounded-full", n.read ? "bg-transparent" : "bg-primary")} />
                <span className="grid min-w-0 flex-1 gap-0.5">
                  <span className={cn("line-clamp-3 text-sm break-words", n.read ? "text-muted-foreground" : "font-medium")}>
                    {n.read ? null : <span className="sr-only">Unread: </span>}
                    {n.title}
                  </span>
                  <span className="line-clamp-2 text-xs text-muted-foreground">{n.body}</span>
                  <RelativeTime value={n.createdAt} className="text-xs text-muted-foreground" />
                </span>
              </DropdownMenuItem>
            ))
          )}
        </div>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
