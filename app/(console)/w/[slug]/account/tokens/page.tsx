import type { Metadata } from "next";
import { AccessDenied } from "@/components/access-denied";
import { TokensPanel } from "@/components/tokens/tokens-panel";
import { getDb } from "@/db";
import { listMyTokens } from "@/lib/api-keys/tokens";
import { getPageWorkspaceContext } from "@/lib/auth/current";
import { can } from "@/lib/auth/permissions";

export const metadata: Metadata = { title: "Personal tokens" };

export default async function TokensPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const ctx = await getPageWorkspaceContext(slug);
  const reason = !can(ctx, "tokens.own")
    ? "Guests cannot create personal tokens."
    : !ctx.role
      ? "Personal tokens belong to workspace members; you are not a member of this workspace."
      : !ctx.workspace.personalTokensAllowed
        ? `Personal tokens are turned off in this workspace. ${can(ctx, "workspace.settings") ? "You can allow them in Settings." : "An Admin can allow them in the workspace settings."}`
        : null;
  if (reason) {
    return <AccessDenied title="Personal tokens are not available">{reason}</AccessDenied>;
  }
  const tokens = await listMyTokens(await getDb(), ctx);
  return <TokensPanel slug={slug} tokens={tokens} />;
}
