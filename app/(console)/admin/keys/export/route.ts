// GET /admin/keys/export
import { getDb } from "@/db";
import { ADMIN_KEY_CSV_HEADER, adminKeyCsvRecord, iterateAllKeys, parseAdminKeyFilters } from "@/lib/admin/keys";
import { notFoundResponse, routeSessionUser } from "@/lib/admin/route-session";
import { csvResponse, csvStream, exportFilters } from "@/lib/csv";

export const dynamic = "force-dynamic";

/** The key inventory under the current filters as CSV, streamed in keyset batches. Global Admin only. */
export async function GET(request: Request): Promise<Response> {
  const db = await getDb();
  const user = await routeSessionUser(db);
  if (!user?.isGlobalAdmin) return notFoundResponse();
  const parsed = exportFilters(request, parseAdminKeyFilters);
  if ("response" in parsed) return parsed.response;
  const { filters } = parsed;
  const batches = iterateAllKeys(db, user, filters, 1000);
  return csvResponse("latchkey-keys", csvStream(ADMIN_KEY_CSV_HEADER, batches, adminKeyCsvRecord));
}
