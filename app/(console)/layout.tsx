import Link from "next/link";
import { AdminNav } from "@/components/admin/admin-nav";
import { AccountMenu } from "@/components/shell/account-menu";
import { DemoBanner } from "@/components/shell/demo-banner";
import { NotificationsBell } from "@/components/shell/notifications-bell";
import { Logo } from "@/components/shell/logo";
import { WorkspaceSwitcher } from "@/components/shell/workspace-switcher";
import { listMyWorkspaces, requireCurrentUser } from "@/lib/auth/current";
import { ROLE_LABELS } from "@/lib/auth/permissions";
import { getDb } from "@/db";
import { countUnreadNotifications } from "@/lib/notifications/core";

export default async function ConsoleLayout({ children }: { children: React.ReactNode }) {
  // The pages send someone with a one-time password to the password page; this frame must not, or that page could never render.
  const user = await requireCurrentUser({ passwordChangeAllowed: true });
  const [workspaces, unread] = await Promise.all([listMyWorkspaces(), getDb().then((db) => countUnreadNotifications(db, { userId: user.id }))]);
  return (
    <div className="flex min-h-dvh flex-col">
      <DemoBanner />
      <header className="sticky top-0 z-40 border-b bg-background/95 backdrop-blur">
        <div className="mx-auto flex h-14 max-w-7xl items-center gap-2 px-4 sm:gap-3 sm:px-6">
          <Link href="/" className="rounded-md outline-none focus-visible:ring-2 focus-visible:ring-ring" aria-label="Latchkey home">
            <Logo />
          </Link>
          {/* On a phone the row is tight: no separator, and the workspace's name is shortened sooner. */}
          <span className="hidden text-muted-foreground sm:inline" aria-hidden="true">
            /
          </span>
          <WorkspaceSwitcher workspaces={workspaces.map((w) => ({ slug: w.slug, name: w.name, roleLabel: w.role ? ROLE_LABELS[w.role] : null }))} />
          {user.isGlobalAdmin ? (
            <>
              <span className="hidden text-border sm:inline" aria-hidden="true">
                |
              </span>
              <AdminNav className="hidden sm:flex" />
            </>
          ) : null}
          <div className="ml-auto flex items-center gap-2">
            <NotificationsBell initialUnread={unread} />
            <AccountMenu name={user.name} email={user.email} isGlobalAdmin={user.isGlobalAdmin} />
          </div>
        </div>
        {user.isGlobalAdmin ? (
          // No room in the header row on a phone: the admin links get a strip of their own.
          <div className="border-t px-4 py-1 sm:hidden">
            <AdminNav compact />
          </div>
        ) : null}
      </header>
      <main className="mx-auto w-full max-w-7xl flex-1 px-4 py-6 sm:px-6">{children}</main>
    </div>
  );
}
