import type { Metadata } from "next";
import { AccessDenied } from "@/components/access-denied";
import { AuditTable } from "@/components/admin/audit-table";
import { getDb } from "@/db";
import { filterValues } from "@/lib/admin/filter-values";
import { listAuditEvents } from "@/lib/audit/list";
import { AUDIT_ACTIONS } from "@/lib/audit/record";
import { getPageWorkspaceContext } from "@/lib/auth/current";
import { can } from "@/lib/auth/permissions";
import { AUDIT_FILTER_PARAMS, auditFiltersSchema, parseFiltersLeniently, searchParamsRecord } from "@/lib/validations/admin";

export const metadata: Metadata = { title: "Audit log" };

const WORKSPACE_FILTERS = AUDIT_FILTER_PARAMS.filter((n) => n !== "workspace");

export default async function WorkspaceAuditPage({
  params,
  searchParams,
}: {
  params: Promise<{ slug: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { slug } = await params;
  const ctx = await getPageWorkspaceContext(slug);

  if (!can(ctx, "audit.read")) {
    return (
      <AccessDenied title={<>You can&apos;t see the audit log of {ctx.workspace.name}</>}>
        Only workspace Admins can see who changed which key. Ask a workspace Admin if you need to know what happened to a key.
      </AccessDenied>
    );
  }

  const raw = searchParamsRecord(await searchParams);
  const { filters, errors } = parseFiltersLeniently(auditFiltersSchema, { ...raw, workspace: undefined });
  const db = await getDb();
  const page = await listAuditEvents(db, { workspaceId: ctx.workspace.id, principal: ctx }, filters);
  const { values, query } = filterValues(raw, WORKSPACE_FILTERS, errors);
  const base = `/w/${ctx.workspace.slug}/audit/export`;

  return (
    <section aria-labelledby="audit-title" className="grid gap-4">
      <div>
        <h2 id="audit-title" className="text-lg font-semibold">
          Audit log
        </h2>
        <p className="max-w-prose text-sm text-muted-foreground">Who did what to which key in {ctx.workspace.name}, when and from where.</p>
      </div>
      <AuditTable
        rows={page.rows}
        total={page.total}
        workspaces={null}
        actions={AUDIT_ACTIONS}
        values={values}
        errors={errors}
        exportHref={query ? `${base}?${query}` : base}
        filtered={query !== ""}
      />
    </section>
  );
}
