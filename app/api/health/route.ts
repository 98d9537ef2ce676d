// GET /api/health
import { sql } from "drizzle-orm";
import { getDatabase } from "@/db";
import { fail, ok } from "@/lib/api/envelope";
import { routeMethods } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = routeMethods({
  GET: async () => {
    try {
      const { db, kind } = await getDatabase();
      await db.execute(sql`select 1`);
      return ok({ status: "ok", database: { kind, reachable: true } });
    } catch {
      return fail(503, { message: "The database is not reachable.", code: "database_unreachable" });
    }
  },
});
