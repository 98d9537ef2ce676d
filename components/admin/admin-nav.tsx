"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { ShieldCheck } from "lucide-react";
import { cn } from "@/lib/utils";

const ITEMS = [
  { href: "/admin/keys", label: "Keys" },
  { href: "/admin/users", label: "Users" },
  { href: "/admin/audit", label: "Audit" },
] as const;

function useActive() {
  const pathname = usePathname();
  return (href: string) => pathname === href || pathname.startsWith(`${href}/`);
}

/**
 * The Global Admin area in the console header: "Admin · Keys · Users · Audit". Below `sm` the header
 * has no room, so the console layout shows the same links in a strip under it (`compact`).
 */
export function AdminNav({ compact = false, className }: { compact?: boolean; className?: string }) {
  const isActive = useActive();
  return (
    <nav aria-label="Admin" className={cn("flex items-center gap-1", className)}>
      <span className={cn("mr-1 items-center gap-1 text-xs font-medium text-muted-foreground", compact ? "inline-flex" : "hidden md:inline-flex")}>
        <ShieldCheck aria-hidden="true" className="size-3.5" />
        Admin
      </span>
      <ul className="flex items-center gap-1">
        {ITEMS.map((item) => {
          const active = isActive(item.href);
          return (
            <li key={item.href}>
              <Link
                href={item.href}
                aria-current={active ? "page" : undefined}
                className={cn(
                  "inline-flex items-center rounded-md px-2.5 text-sm font-medium outline-none transition-colors focus-visible:ring-2 focus-visible:ring-ring",
                  compact ? "h-7" : "h-8",
                  active ? "bg-accent text-accent-foreground" : "text-muted-foreground hover:bg-accent hover:text-accent-foreground",
                )}
              >
                {compact ? null : <span className="sr-only md:hidden">Admin </span>}
                {item.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
