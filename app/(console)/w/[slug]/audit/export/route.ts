// GET /w/{slug}/audit/export
import { consoleRoute } from "@/lib/actions";
import { AUDIT_CSV_HEADER, auditCsvRecord, iterateAuditEvents, parseAuditFilters } from "@/lib/audit/list";
import { csvResponse, csvStream, exportFilters } from "@/lib/csv";

export const dynamic = "force-dynamic";

/** One workspace's audit events under the current filters as CSV. Those who may read its audit log only. */
export const GET = consoleRoute({ workspace: true, permission: "audit.read" }, async (request, ctx, db) => {
  const parsed = exportFilters(request, parseAuditFilters);
  if ("response" in parsed) return parsed.response;
  const batches = iterateAuditEvents(db, { workspaceId: ctx.workspace.id, principal: ctx }, parsed.filters, 1000);
  return csvResponse(`latchkey-audit-${ctx.workspace.slug}`, csvStream(AUDIT_CSV_HEADER, batches, auditCsvRecord));
});
