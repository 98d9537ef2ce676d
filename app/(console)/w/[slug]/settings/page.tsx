import type { Metadata } from "next";
import { ApiSettings } from "@/components/settings/api-settings";
import { MembersTable } from "@/components/settings/members-table";
import { getDb } from "@/db";
import { getPageWorkspaceContext } from "@/lib/auth/current";
import { can } from "@/lib/auth/permissions";
import { listMembers } from "@/lib/workspaces/core";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const ctx = await getPageWorkspaceContext(slug);
  if (!can(ctx, "workspace.settings")) {
    return (
      <section className="rounded-lg border bg-card p-8">
        <h2 className="text-lg font-semibold">Settings are for workspace Admins</h2>
        <p className="mt-1 text-sm text-muted-foreground">Ask an Admin of {ctx.workspace.name} to change its settings or members.</p>
      </section>
    );
  }
  const members = await listMembers(await getDb(), ctx);
  return (
    <div className="grid gap-8">
      <ApiSettings
        slug={slug}
        apiKeysEnabled={ctx.workspace.apiKeysEnabled}
        personalTokensAllowed={ctx.workspace.personalTokensAllowed}
        maxKeyLifetimeDays={ctx.workspace.maxKeyLifetimeDays}
      />
      <MembersTable slug={slug} members={members} currentUserId={ctx.userId} canDeleteUsers={ctx.isGlobalAdmin} />
    </div>
  );
}
