// GET /w/{slug}/audit/export
export { exportWorkspaceAuditCsv as GET } from "@/lib/exports";

export const dynamic = "force-dynamic";
