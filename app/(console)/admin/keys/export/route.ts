// GET /admin/keys/export
import { getDb } from "@/db";
import { ADMIN_KEY_CSV_HEADER, adminKeyCsvRecord, iterateAllKeys, parseAdminKeyFilters } from "@/lib/admin/keys";
import { notFoundResponse, routeSessionUser } from "@/lib/admin/route-session";
import { csvResponse, csvStream } from "@/lib/csv";
import { AppError } from "@/lib/errors";
import { searchParamsRecord } from "@/lib/validations/admin";

export const dynamic = "force-dynamic";

/** The key inventory under the current filters as CSV, streamed in keyset batches. Global Admin only. */
export async function GET(request: Request): Promise<Response> {
  const db = await getDb();
  const user = await routeSessionUser(db);
  if (!user?.isGlobalAdmin) return notFoundResponse();
  let filters;
  try {
    filters = parseAdminKeyFilters(searchParamsRecord(new URL(request.url).searchParams));
  } catch (err) {
    if (err instanceof AppError) return new Response(`${err.message}\n`, { status: 400, headers: { "content-type": "text/plain; charset=utf-8" } });
    throw err;
  }
  const batches = iterateAllKeys(db, user, filters, 1000);
  return csvResponse("latchkey-keys", csvStream(ADMIN_KEY_CSV_HEADER, batches, adminKeyCsvRecord));
}
