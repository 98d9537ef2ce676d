// GET /admin/audit/export
import { getDb } from "@/db";
import { notFoundResponse, routeSessionUser } from "@/lib/admin/route-session";
import { AUDIT_CSV_HEADER, auditCsvRecord, iterateAuditEvents, parseAuditFilters } from "@/lib/audit/list";
import { csvResponse, csvStream } from "@/lib/csv";
import { AppError } from "@/lib/errors";
import { searchParamsRecord } from "@/lib/validations/admin";

export const dynamic = "force-dynamic";

/** Every workspace's audit events under the current filters as CSV, newest first. Global Admin only. */
export async function GET(request: Request): Promise<Response> {
  const db = await getDb();
  const user = await routeSessionUser(db);
  if (!user?.isGlobalAdmin) return notFoundResponse();
  let filters;
  try {
    filters = parseAuditFilters(searchParamsRecord(new URL(request.url).searchParams));
  } catch (err) {
    if (err instanceof AppError) return new Response(`${err.message}\n`, { status: 400, headers: { "content-type": "text/plain; charset=utf-8" } });
    throw err;
  }
  const batches = iterateAuditEvents(db, { all: true, principal: user }, filters, 1000);
  return csvResponse("latchkey-audit", csvStream(AUDIT_CSV_HEADER, batches, auditCsvRecord));
}
