import "server-only";
import { consoleRoute } from "@/lib/actions";
import { ADMIN_KEY_CSV_HEADER, adminKeyCsvRecord, iterateAllKeys, parseAdminKeyFilters } from "@/lib/admin/keys";
import { AUDIT_CSV_HEADER, auditCsvRecord, iterateAuditEvents, parseAuditFilters } from "@/lib/audit/list";
import { csvResponse, csvStream, exportFilters } from "@/lib/csv";

// The console's CSV downloads, streamed in keyset batches under the page's current filters. The
// route files under app/ only mount these at their paths; the gate is the actions' own.

/** GET /admin/keys/export: the key inventory. Global Admin only. */
export const exportAdminKeysCsv = consoleRoute({ globalAdmin: true }, async (request, { user }, db) => {
  const parsed = exportFilters(request, parseAdminKeyFilters);
  if ("response" in parsed) return parsed.response;
  const batches = iterateAllKeys(db, user, parsed.filters, 1000);
  return csvResponse("latchkey-keys", csvStream(ADMIN_KEY_CSV_HEADER, batches, adminKeyCsvRecord));
});

/** GET /admin/audit/export: every workspace's audit events, newest first. Global Admin only. */
export const exportAdminAuditCsv = consoleRoute({ globalAdmin: true }, async (request, { user }, db) => {
  const parsed = exportFilters(request, parseAuditFilters);
  if ("response" in parsed) return parsed.response;
  const batches = iterateAuditEvents(db, { all: true, principal: user }, parsed.filters, 1000);
  return csvResponse("latchkey-audit", csvStream(AUDIT_CSV_HEADER, batches, auditCsvRecord));
});

/** GET /w/{slug}/audit/export: one workspace's audit events. Those who may read its audit log only. */
export const exportWorkspaceAuditCsv = consoleRoute({ workspace: true, permission: "audit.read" }, async (request, ctx, db) => {
  const parsed = exportFilters(request, parseAuditFilters);
  if ("response" in parsed) return parsed.response;
  const batches = iterateAuditEvents(db, { workspaceId: ctx.workspace.id, principal: ctx }, parsed.filters, 1000);
  return csvResponse(`latchkey-audit-${ctx.workspace.slug}`, csvStream(AUDIT_CSV_HEADER, batches, auditCsvRecord));
});
