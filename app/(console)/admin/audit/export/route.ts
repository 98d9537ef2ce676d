// GET /admin/audit/export
import { consoleRoute } from "@/lib/actions";
import { AUDIT_CSV_HEADER, auditCsvRecord, iterateAuditEvents, parseAuditFilters } from "@/lib/audit/list";
import { csvResponse, csvStream, exportFilters } from "@/lib/csv";

export const dynamic = "force-dynamic";

/** Every workspace's audit events under the current filters as CSV, newest first. Global Admin only. */
export const GET = consoleRoute({ globalAdmin: true }, async (request, { user }, db) => {
  const parsed = exportFilters(request, parseAuditFilters);
  if ("response" in parsed) return parsed.response;
  const batches = iterateAuditEvents(db, { all: true, principal: user }, parsed.filters, 1000);
  return csvResponse("latchkey-audit", csvStream(AUDIT_CSV_HEADER, batches, auditCsvRecord));
});
