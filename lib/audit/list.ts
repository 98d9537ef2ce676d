import "server-only";
import { and, asc, count, desc, eq, gte, ilike, lt, or, sql, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { DbOrTx } from "@/db";
import { addUtcDays } from "@/lib/dates";
import { apiKeys, auditEvents, users, workspaces, type AuditChanges } from "@/db/schema";
import { isUuid } from "@/lib/api-keys/core";
import type { WorkspaceContext } from "@/lib/auth/context";
import { can, type Principal } from "@/lib/auth/permissions";
import { forbidden, invalid } from "@/lib/errors";
import { anyOf, contains, startsWith } from "@/lib/like";
import { fieldErrorsOf } from "@/lib/validations/api-keys";
import { auditFiltersSchema, type AuditFilters, type AuditFiltersInput } from "@/lib/validations/admin";
import { describeActor, describeRevocationReason, describeTarget, formatChanges } from "./format";

// The audit log, read side: every workspace for a Global Admin, or one workspace for those
// who may read its audit log. Filtered, sorted by time and paged in SQL.

/**
 * `{ all: true }` — every workspace, Global Admins only. `{ workspaceId }` — one workspace,
 * with the caller's context for that workspace, which must carry the audit.read permission.
 */
export type AuditScope = { all: true; principal: Pick<Principal, "isGlobalAdmin"> } | { workspaceId: string; principal: WorkspaceContext };

export interface AuditEventRow {
  id: number;
  createdAt: Date;
  workspaceId: string | null;
  workspaceSlug: string | null;
  workspaceName: string | null;
  actorUserId: string | null;
  actorName: string | null;
  actorEmail: string | null;
  actorApiKeyId: string | null;
  actorKeyPrefix: string | null;
  action: string;
  apiKeyId: string | null;
  targetName: string | null;
  changes: AuditChanges | null;
  metadata: Record<string, unknown> | null;
  ip: string | null;
  userAgent: string | null;
}

export interface AuditEventPage {
  rows: AuditEventRow[];
  total: number;
  page: number;
  pageSize: number;
}

const AUDIT_GLOBAL_ONLY = "Only Global Admins can see every workspace's audit log.";
const AUDIT_DENIED = "Only workspace Admins can see this workspace's audit log.";

/** The workspace the scope is limited to, or null for all; throws forbidden when the caller may not. */
function scopeWorkspace(scope: AuditScope): string | null {
  if ("all" in scope) {
    if (!scope.principal?.isGlobalAdmin) throw forbidden(AUDIT_GLOBAL_ONLY);
    return null;
  }
  const ctx = scope.principal;
  if (!ctx || ctx.workspace?.id !== scope.workspaceId || !can(ctx, "audit.read")) throw forbidden(AUDIT_DENIED);
  return scope.workspaceId;
}

export function parseAuditFilters(raw: AuditFiltersInput | unknown): AuditFilters {
  const r = auditFiltersSchema.safeParse(raw ?? {});
  if (!r.success) throw invalid(fieldErrorsOf(r.error));
  return r.data;
}

const actor = alias(users, "actor");
const actorKey = alias(apiKeys, "actor_key");

const rowColumns = {
  id: auditEvents.id,
  createdAt: auditEvents.createdAt,
  workspaceId: auditEvents.workspaceId,
  workspaceSlug: workspaces.slug,
  workspaceName: workspaces.name,
  actorUserId: auditEvents.actorUserId,
  actorName: actor.name,
  actorEmail: actor.email,
  actorApiKeyId: auditEvents.actorApiKeyId,
  actorKeyPrefix: actorKey.prefix,
  action: auditEvents.action,
  apiKeyId: auditEvents.apiKeyId,
  targetName: auditEvents.targetName,
  changes: auditEvents.changes,
  metadata: auditEvents.metadata,
  ip: auditEvents.ip,
  userAgent: auditEvents.userAgent,
};

const nextDay = (day: string) => addUtcDays(new Date(`${day}T00:00:00.000Z`), 1);

/** Conditions on audit_events alone (other tables through sub-selects), so the count needs no joins. */
function conditions(workspaceId: string | null, f: AuditFilters): SQL | undefined {
  const conds: (SQL | undefined)[] = [];
  if (workspaceId) conds.push(eq(auditEvents.workspaceId, workspaceId));
  else if (f.workspace)
    conds.push(anyOf(auditEvents.workspaceId, sql`select ${workspaces.id} from ${workspaces} where ${workspaces.slug} = ${f.workspace}`));
  if (f.actor) conds.push(anyOf(auditEvents.actorUserId, sql`select ${users.id} from ${users} where ${ilike(users.email, contains(f.actor))}`));
  if (f.action) conds.push(eq(auditEvents.action, f.action));
  if (f.key) {
    if (isUuid(f.key)) conds.push(eq(auditEvents.apiKeyId, f.key.toLowerCase()));
    else {
      const pattern = startsWith(f.key);
      conds.push(
        or(
          sql`lower(${auditEvents.targetName}) like ${pattern}`,
          anyOf(auditEvents.apiKeyId, sql`select ${apiKeys.id} from ${apiKeys} where lower(${apiKeys.prefix}) like ${pattern}`),
        ),
      );
    }
  }
  if (f.from) conds.push(gte(auditEvents.createdAt, new Date(`${f.from}T00:00:00.000Z`)));
  if (f.to) conds.push(lt(auditEvents.createdAt, nextDay(f.to)));
  return and(...conds);
}

function selectRows(db: DbOrTx) {
  return db
    .select(rowColumns)
    .from(auditEvents)
    .leftJoin(workspaces, eq(workspaces.id, auditEvents.workspaceId))
    .leftJoin(actor, eq(actor.id, auditEvents.actorUserId))
    .leftJoin(actorKey, eq(actorKey.id, auditEvents.actorApiKeyId));
}

/** One page of audit events, newest first unless `dir` is "asc", with the total. */
export async function listAuditEvents(db: DbOrTx, scope: AuditScope, rawFilters: AuditFiltersInput | unknown = {}): Promise<AuditEventPage> {
  const workspaceId = scopeWorkspace(scope);
  const f = parseAuditFilters(rawFilters);
  const where = conditions(workspaceId, f);
  const by = f.dir === "asc" ? asc : desc;
  const [rows, [{ total }]] = await Promise.all([
    selectRows(db)
      .where(where)
      .orderBy(by(auditEvents.createdAt), by(auditEvents.id))
      .limit(f.pageSize)
      .offset((f.page - 1) * f.pageSize),
    db.select({ total: count() }).from(auditEvents).where(where),
  ]);
  return { rows, total, page: f.page, pageSize: f.pageSize };
}

/** `created_at` with its microseconds: a JS Date keeps only milliseconds, too coarse for a cursor. */
const cursorAt = sql<string>`to_char(${auditEvents.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The filtered events in batches, newest first, by keyset on (created_at, id): for the CSV export. */
export async function* iterateAuditEvents(
  db: DbOrTx,
  scope: AuditScope,
  rawFilters: AuditFiltersInput | unknown = {},
  batchSize = 1000,
): AsyncGenerator<AuditEventRow[], void, undefined> {
  const workspaceId = scopeWorkspace(scope);
  const where = conditions(workspaceId, parseAuditFilters(rawFilters));
  let after: { at: string; id: number } | null = null;
  for (;;) {
    const page: (AuditEventRow & { cursorAt: string })[] = await db
      .select({ ...rowColumns, cursorAt })
      .from(auditEvents)
      .leftJoin(workspaces, eq(workspaces.id, auditEvents.workspaceId))
      .leftJoin(actor, eq(actor.id, auditEvents.actorUserId))
      .leftJoin(actorKey, eq(actorKey.id, auditEvents.actorApiKeyId))
      .where(and(where, after ? sql`(${auditEvents.createdAt}, ${auditEvents.id}) < (${after.at}::timestamptz, ${after.id})` : undefined))
      .orderBy(desc(auditEvents.createdAt), desc(auditEvents.id))
      .limit(batchSize);
    if (page.length === 0) return;
    yield page.map(({ cursorAt: _c, ...r }) => r);
    if (page.length < batchSize) return;
    const last = page[page.length - 1];
    after = { at: last.cursorAt, id: last.id };
  }
}

export const AUDIT_CSV_HEADER = ["time", "workspace", "actor", "actor email", "action", "target", "reason", "changes", "ip"] as const;

export function auditCsvRecord(e: AuditEventRow): unknown[] {
  const who = describeActor(e);
  return [
    e.createdAt.toISOString(),
    e.workspaceName ?? "",
    who.primary,
    e.actorEmail ?? "",
    e.action,
    describeTarget(e) ?? "",
    describeRevocationReason(e) ?? "",
    formatChanges(e.changes).join("; "),
    e.ip ?? "",
  ];
}
