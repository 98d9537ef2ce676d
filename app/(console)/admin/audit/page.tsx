import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { AuditTable } from "@/components/admin/audit-table";
import { getDb } from "@/db";
import { filterValues } from "@/lib/admin/filter-values";
import { listWorkspaceOptions } from "@/lib/admin/keys";
import { listAuditEvents } from "@/lib/audit/list";
import { AUDIT_ACTIONS } from "@/lib/audit/record";
import { requireCurrentUser } from "@/lib/auth/current";
import { AUDIT_FILTER_PARAMS, auditFiltersSchema, parseFiltersLeniently, searchParamsRecord } from "@/lib/validations/admin";

export const metadata: Metadata = { title: "Audit log · Admin" };

export default async function AdminAuditPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireCurrentUser();
  // Not "forbidden": to anyone else this page does not exist.
  if (!user.isGlobalAdmin) notFound();

  const raw = searchParamsRecord(await searchParams);
  const { filters, errors } = parseFiltersLeniently(auditFiltersSchema, raw);
  const db = await getDb();
  const [page, workspaces] = await Promise.all([listAuditEvents(db, { all: true, principal: user }, filters), listWorkspaceOptions(db, user)]);
  const { values, query } = filterValues(raw, AUDIT_FILTER_PARAMS, errors);

  return (
    <section aria-labelledby="admin-audit-title" className="grid gap-4">
      <div>
        <h2 id="admin-audit-title" className="text-lg font-semibold">
          Audit log
        </h2>
        <p className="max-w-prose text-sm text-muted-foreground">Who did what to which key, when and from where — in every workspace.</p>
      </div>
      <AuditTable
        rows={page.rows}
        total={page.total}
        workspaces={workspaces}
        actions={AUDIT_ACTIONS}
        values={values}
        errors={errors}
        exportHref={query ? `/admin/audit/export?${query}` : "/admin/audit/export"}
        filtered={query !== ""}
      />
    </section>
  );
}
