import { listAuditEvents } from "@/lib/audit/list";
import { restAuditFiltersSchema } from "@/lib/validations/admin";
import { auditEventPageSchema } from "@/lib/validations/responses";
import { invalid } from "@/lib/errors";
import { fieldErrorsOf } from "@/lib/validations/api-keys";
import { defineOperation } from "./define";
import { EXAMPLE_KEY_ID, EXAMPLE_USER_ID } from "./examples";

export const listAuditEventsOperation = defineOperation({
  id: "listAuditEvents",
  method: "GET",
  path: "/api/data/audit",
  tag: "Audit log",
  summary: "List audit events",
  description:
    "The workspace's audit log, newest first: who did what to which key, when and from where. Filtered and paged on the server. " +
    "The key filter is apiKey (a key id, or the start of a key's name or prefix), as ?key= carries a credential.",
  scope: "audit:read",
  permission: "The key's owner must be allowed to read the workspace's audit log (Admin).",
  query: restAuditFiltersSchema,
  examples: { query: { action: "api_key.revoked", from: "2026-03-01", pageSize: "50" } },
  output: {
    component: "AuditEventPage",
    schema: auditEventPageSchema,
    example: {
      items: [
        {
          id: 4711,
          createdAt: "2026-03-15T08:00:00.000Z",
          workspaceId: "5d8a2f1e-3b4c-4d6e-8f90-a1b2c3d4e5f6",
          workspaceSlug: "acme",
          workspaceName: "Acme Inc.",
          actorUserId: EXAMPLE_USER_ID,
          actorName: "Ada Admin",
          actorEmail: "ada@example.com",
          actorApiKeyId: null,
          actorKeyPrefix: null,
          action: "api_key.revoked",
          apiKeyId: EXAMPLE_KEY_ID,
          targetName: "CI deploy",
          changes: null,
          metadata: null,
          ip: "203.0.113.7",
          userAgent: "Mozilla/5.0",
        },
      ],
      total: 1,
      page: 1,
      pageSize: 50,
    },
  },
  status: 200,
  async handler({ db, ctx, url }) {
    // ?key= is a credential, not a filter (the filter is apiKey).
    const { key: _credential, ...query } = Object.fromEntries(url.searchParams);
    const parsed = restAuditFiltersSchema.safeParse(query);
    if (!parsed.success) throw invalid(fieldErrorsOf(parsed.error));
    const { apiKey, ...filters } = parsed.data;
    const page = await listAuditEvents(db, { workspaceId: ctx.workspace.id, principal: ctx }, { ...filters, key: apiKey });
    return { items: page.rows, total: page.total, page: page.page, pageSize: page.pageSize };
  },
});
