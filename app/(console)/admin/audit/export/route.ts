// GET /admin/audit/export
import { getDb } from "@/db";
import { notFoundResponse, routeSessionUser } from "@/lib/admin/route-session";
import { AUDIT_CSV_HEADER, auditCsvRecord, iterateAuditEvents, parseAuditFilters } from "@/lib/audit/list";
import { csvResponse, csvStream, exportFilters } from "@/lib/csv";

export const dynamic = "force-dynamic";

/** Every workspace's audit events under the current filters as CSV, newest first. Global Admin only. */
export async function GET(request: Request): Promise<Response> {
  const db = await getDb();
  const user = await routeSessionUser(db);
  if (!user?.isGlobalAdmin) return notFoundResponse();
  const parsed = exportFilters(request, parseAuditFilters);
  if ("response" in parsed) return parsed.response;
  const { filters } = parsed;
  const batches = iterateAuditEvents(db, { all: true, principal: user }, filters, 1000);
  return csvResponse("latchkey-audit", csvStream(AUDIT_CSV_HEADER, batches, auditCsvRecord));
}
