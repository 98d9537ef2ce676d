// GET /admin/audit/export
export { exportAdminAuditCsv as GET } from "@/lib/exports";

export const dynamic = "force-dynamic";
