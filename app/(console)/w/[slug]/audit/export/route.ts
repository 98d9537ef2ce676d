// GET /w/{slug}/audit/export
import { getDb } from "@/db";
import { requestMeta } from "@/lib/actions";
import { notFoundResponse, routeSessionUser } from "@/lib/admin/route-session";
import { AUDIT_CSV_HEADER, auditCsvRecord, iterateAuditEvents, parseAuditFilters } from "@/lib/audit/list";
import { resolveWorkspaceContext, type WorkspaceContext } from "@/lib/auth/context";
import { can } from "@/lib/auth/permissions";
import { csvResponse, csvStream, exportFilters } from "@/lib/csv";
import { AppError } from "@/lib/errors";

export const dynamic = "force-dynamic";

/** One workspace's audit events under the current filters as CSV. Those who may read its audit log only. */
export async function GET(request: Request, { params }: { params: Promise<{ slug: string }> }): Promise<Response> {
  const { slug } = await params;
  const db = await getDb();
  const user = await routeSessionUser(db);
  if (!user) return notFoundResponse();
  let ctx: WorkspaceContext;
  try {
    ctx = await resolveWorkspaceContext(db, { user, slug, ...(await requestMeta()) });
  } catch (err) {
    if (err instanceof AppError && err.code === "not_found") return notFoundResponse();
    throw err;
  }
  if (!can(ctx, "audit.read")) return notFoundResponse();
  const parsed = exportFilters(request, parseAuditFilters);
  if ("response" in parsed) return parsed.response;
  const { filters } = parsed;
  const batches = iterateAuditEvents(db, { workspaceId: ctx.workspace.id, principal: ctx }, filters, 1000);
  return csvResponse(`latchkey-audit-${ctx.workspace.slug}`, csvStream(AUDIT_CSV_HEADER, batches, auditCsvRecord));
}
