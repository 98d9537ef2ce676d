// GET /admin/keys/export
export { exportAdminKeysCsv as GET } from "@/lib/exports";

export const dynamic = "force-dynamic";
