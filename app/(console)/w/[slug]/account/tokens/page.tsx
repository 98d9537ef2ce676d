import type { Metadata } from "next";
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
        ? `Personal tokens are turned off in ${ctx.workspace.name}.${can(ctx, "workspace.settings") ? " You can allow them in Settings." : " An Admin can allow them in the workspace settings."}`
        : null;
  if (reason) {
    return (
      <section aria-labelledby="tokens-off-title" className="rounded-lg border bg-card p-8">
        <h2 id="tokens-off-title" className="text-lg font-semibold">
          Personal tokens are not available
        </h2>
        <p className="mt-1 max-w-prose text-sm text-muted-foreground">{reason}</p>
      </section>
    );
  }
  const tokens = await listMyTokens(await getDb(), ctx);
  return <TokensPanel slug={slug} tokens={tokens} />;
}
