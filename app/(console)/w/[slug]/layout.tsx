import { TabNav } from "@/components/shell/tab-nav";
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
      <TabNav
        label="Workspace"
        items={[
          { href: `/w/${slug}/account/api`, label: "API" },
          ...(can(ctx, "tokens.own") ? [{ href: `/w/${slug}/account/tokens`, label: "Personal tokens" }] : []),
          ...(can(ctx, "workspace.settings") ? [{ href: `/w/${slug}/settings`, label: "Settings" }] : []),
          ...(can(ctx, "audit.read") ? [{ href: `/w/${slug}/audit`, label: "Audit" }] : []),
        ]}
      />
      {children}
    </div>
  );
}
