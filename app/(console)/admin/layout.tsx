import { notFound } from "next/navigation";
import { TabNav } from "@/components/shell/tab-nav";
import { requireCurrentUser } from "@/lib/auth/current";

// The pages check again (layouts and pages render independently); this keeps the frame away
// from anyone who is not a Global Admin.
export default async function AdminLayout({ children }: { children: React.ReactNode }) {
  const user = await requireCurrentUser();
  if (!user.isGlobalAdmin) notFound();
  return (
    <div className="grid gap-6">
      <div className="flex flex-wrap items-end justify-between gap-2">
        <div>
          <p className="text-sm text-muted-foreground">Global Admin</p>
          <h1 className="text-2xl font-semibold tracking-tight">All workspaces</h1>
        </div>
        <p className="text-sm text-muted-foreground">
          Signed in as <span className="font-medium text-foreground">{user.email}</span>
        </p>
      </div>
      <TabNav
        label="Admin pages"
        items={[
          { href: "/admin/keys", label: "All keys" },
          { href: "/admin/users", label: "Users" },
          { href: "/admin/audit", label: "Audit log" },
        ]}
      />
      {children}
    </div>
  );
}
