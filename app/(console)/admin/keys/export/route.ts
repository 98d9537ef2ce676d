// GET /admin/keys/export
import { consoleRoute } from "@/lib/actions";
import { ADMIN_KEY_CSV_HEADER, adminKeyCsvRecord, iterateAllKeys, parseAdminKeyFilters } from "@/lib/admin/keys";
import { csvResponse, csvStream, exportFilters } from "@/lib/csv";

export const dynamic = "force-dynamic";

/** The key inventory under the current filters as CSV, streamed in keyset batches. Global Admin only. */
export const GET = consoleRoute({ globalAdmin: true }, async (request, { user }, db) => {
  const parsed = exportFilters(request, parseAdminKeyFilters);
  if ("response" in parsed) return parsed.response;
  const batches = iterateAllKeys(db, user, parsed.filters, 1000);
  return csvResponse("latchkey-keys", csvStream(ADMIN_KEY_CSV_HEADER, batches, adminKeyCsvRecord));
});
