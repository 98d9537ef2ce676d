import type { Metadata } from "next";
import { AccessDenied } from "@/components/access-denied";
import { ApiSettings } from "@/components/settings/api-settings";
import { MembersTable } from "@/components/settings/members-table";
import { WebhookSettings } from "@/components/settings/webhooks";
import { getDb } from "@/db";
import { defaultLimitsOf } from "@/lib/api-keys/core";
import { getPageWorkspaceContext } from "@/lib/auth/current";
import { can } from "@/lib/auth/permissions";
import { listWebhookEndpoints } from "@/lib/webhooks/core";
import { listMembers } from "@/lib/workspaces/core";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const ctx = await getPageWorkspaceContext(slug);
  if (!can(ctx, "workspace.settings")) {
    return (
      <AccessDenied title="Settings are for workspace Admins">Ask an Admin of {ctx.workspace.name} to change its settings or members.</AccessDenied>
    );
  }
  const db = await getDb();
  const [members, endpoints] = await Promise.all([listMembers(db, ctx), listWebhookEndpoints(db, ctx)]);
  return (
    <div className="grid grid-cols-[minmax(0,1fr)] gap-8">
      <ApiSettings
        slug={slug}
        apiKeysEnabled={ctx.workspace.apiKeysEnabled}
        personalTokensAllowed={ctx.workspace.personalTokensAllowed}
        maxKeyLifetimeDays={ctx.workspace.maxKeyLifetimeDays}
        reminderDays={ctx.workspace.reminderDays}
        defaultLimits={defaultLimitsOf(ctx.workspace)}
      />
      <WebhookSettings slug={slug} endpoints={endpoints} />
      <MembersTable slug={slug} members={members} currentUserId={ctx.userId} canDeleteUsers={ctx.isGlobalAdmin} />
    </div>
  );
}
