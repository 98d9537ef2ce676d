"use client";

import * as React from "react";
import { formatDistanceStrict } from "date-fns";

import { cn } from "@/lib/utils";

// One shared clock for every <RelativeTime> on the page, read through useSyncExternalStore:
// the server and the hydrating client both see "no clock" (0) and render the same UTC date;
// right after hydration the client switches to the relative text. No effect-driven setState.
const TICK_MS = 30_000;
let now = 0;
let timer: ReturnType<typeof setInterval> | undefined;
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (timer === undefined) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      listeners.forEach((notify) => notify());
    }, TICK_MS);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

function getSnapshot(): number {
  // Refresh a clock left stale while nothing was subscribed; stable between back-to-back reads.
  if (timer === undefined && Date.now() - now > TICK_MS) now = Date.now();
  return now;
}

function getServerSnapshot(): number {
  return 0;
}

function toDate(value: Date | string | number | null | undefined): Date | null {
  if (value === null || value === undefined || value === "") return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export type RelativeTimeProps = Omit<React.ComponentProps<"time">, "dateTime" | "children"> & {
  value: Date | string | number | null | undefined;
  /** Shown when `value` is null or not a date. */
  empty?: string;
};

/**
 * "3 days ago" / "in 2 years" inside <time dateTime={ISO} title={exact local time}>.
 * First render (server and hydration) shows the UTC day, yyyy-MM-dd; then the relative text.
 */
function RelativeTime({ value, empty = "Never", className, title, ...props }: RelativeTimeProps) {
  const clock = React.useSyncExternalStore(subscribe, getSnapshot, getServerSnapshot);
  const date = toDate(value);

  if (!date) {
    return (
      <span data-slot="relative-time" className={cn("text-muted-foreground", className)}>
        {empty}
      </span>
    );
  }

  const iso = date.toISOString();
  let text: string;
  let exact: string;
  if (clock === 0) {
    text = iso.slice(0, 10);
    exact = `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
  } else {
    // The future rounds down: a key chosen to expire in 7 days (at the end of that UTC day) reads "in 7
    // days" at any hour, never "in 8 days" in the morning; the past keeps date-fns' rounding.
    text =
      Math.abs(clock - date.getTime()) < 45_000
        ? "just now"
        : formatDistanceStrict(date, clock, { addSuffix: true, roundingMethod: date.getTime() > clock ? "floor" : "round" });
    exact = date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "long" });
  }

  return (
    <time data-slot="relative-time" dateTime={iso} title={title ?? exact} className={cn("whitespace-nowrap tabular-nums", className)} {...props}>
      {text}
    </time>
  );
}

export { RelativeTime };
