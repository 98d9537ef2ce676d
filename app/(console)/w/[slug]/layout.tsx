import { WorkspaceNav } from "@/components/shell/workspace-nav";
import { getPageWorkspaceContext } from "@/lib/auth/current";
import { can, ROLE_LABELS } from "@/lib/auth/permissions";

export default async function WorkspaceLayout({ children, params }: { children: React.ReactNode; params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const ctx = await getPageWorkspaceContext(slug);
  const roleLabel = ctx.isGlobalAdmin && !ctx.role ? "Global Admin" : ctx.role ? ROLE_LABELS[ctx.role] : "";
  return (
    <div className="grid gap-6">
      <div className="flex flex-wrap items-end justify-between gap-2">
        <div>
          <p className="text-sm text-muted-foreground">Workspace</p>
          <h1 className="text-2xl font-semibold tracking-tight">{ctx.workspace.name}</h1>
        </div>
        <p className="text-sm text-muted-foreground">
          You are {/^[AEIOU]/.test(roleLabel) ? "an" : "a"} <span className="font-medium text-foreground">{roleLabel}</span> here.
        </p>
      </div>
      <WorkspaceNav
        slug={slug}
        items={[
          { href: "account/api", label: "API" },
          ...(can(ctx, "tokens.own") ? [{ href: "account/tokens", label: "Personal tokens" }] : []),
          ...(can(ctx, "workspace.settings") ? [{ href: "settings", label: "Settings" }] : []),
          ...(can(ctx, "audit.read") ? [{ href: "audit", label: "Audit" }] : []),
        ]}
      />
      {children}
    </div>
  );
}
