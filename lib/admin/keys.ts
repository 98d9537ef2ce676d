import { addUtcDays, subUtcDays } from "@/lib/dates";
import { and, asc, count, desc, eq, gt, ilike, inArray, isNotNull, isNull, lt, lte, or, sql, type SQL } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { apiKeys, users, workspaces, type ApiKey } from "@/db/schema";
import { isUuid, parseRevocation, revokeApiKey, stateOf, updateApiKey, type ApiKeyState } from "@/lib/api-keys/core";
import { resolveWorkspaceContext, type SessionUser, type WorkspaceContext } from "@/lib/auth/context";
import type { Principal } from "@/lib/auth/permissions";
import { AppError, forbidden, invalid } from "@/lib/errors";
import { anyOf, contains, startsWith } from "@/lib/like";
import { fieldErrorsOf } from "@/lib/validations/api-keys";
import { adminKeyFiltersSchema, bulkKeyIdsSchema, type AdminKeyFilters, type AdminKeyFiltersInput } from "@/lib/validations/admin";

// The Global Admin inventory: every key (workspace keys and personal tokens) of every
// workspace, filtered, sorted and paged in SQL. Only a Global Admin may call any of this.

const GLOBAL_ADMIN_ONLY = "Only Global Admins can see every workspace's keys.";

export interface AdminKeyRow {
  id: string;
  workspaceId: string;
  workspaceSlug: string;
  workspaceName: string;
  kind: ApiKey["kind"];
  name: string;
  ownerId: string | null;
  ownerName: string | null;
  ownerEmail: string | null;
  prefix: string;
  enabled: boolean;
  state: ApiKeyState;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface AdminKeyPage {
  rows: AdminKeyRow[];
  total: number;
  page: number;
  pageSize: number;
}

export function assertGlobalAdmin(principal: Pick<Principal, "isGlobalAdmin"> | null | undefined, message = GLOBAL_ADMIN_ONLY): void {
  if (!principal?.isGlobalAdmin) throw forbidden(message);
}

export function parseAdminKeyFilters(raw: AdminKeyFiltersInput | unknown): AdminKeyFilters {
  const r = adminKeyFiltersSchema.safeParse(raw ?? {});
  if (!r.success) throw invalid(fieldErrorsOf(r.error));
  return r.data;
}

const rowColumns = {
  id: apiKeys.id,
  workspaceId: apiKeys.workspaceId,
  workspaceSlug: workspaces.slug,
  workspaceName: workspaces.name,
  kind: apiKeys.kind,
  name: apiKeys.name,
  ownerId: apiKeys.ownerId,
  ownerName: users.name,
  ownerEmail: users.email,
  prefix: apiKeys.prefix,
  enabled: apiKeys.enabled,
  createdAt: apiKeys.createdAt,
  expiresAt: apiKeys.expiresAt,
  lastUsedAt: apiKeys.lastUsedAt,
  revokedAt: apiKeys.revokedAt,
};

type SelectedRow = Omit<AdminKeyRow, "state" | "workspaceSlug" | "workspaceName"> & {
  workspaceSlug: string | null;
  workspaceName: string | null;
};

function toRow(r: SelectedRow, now: Date): AdminKeyRow {
  return { ...r, workspaceSlug: r.workspaceSlug ?? "", workspaceName: r.workspaceName ?? "", state: stateOf(r, now) };
}

/**
 * Every filter is a condition on api_keys alone (other tables through sub-selects), so the
 * count needs no joins and each condition can use an api_keys index.
 */
function adminKeyConditions(f: AdminKeyFilters, now: Date): SQL | undefined {
  const conds: (SQL | undefined)[] = [];
  const notExpired = or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now));
  switch (f.state) {
    case "live":
      conds.push(isNull(apiKeys.revokedAt));
      break;
    case "active":
      conds.push(isNull(apiKeys.revokedAt), eq(apiKeys.enabled, true), notExpired);
      break;
    case "disabled":
      conds.push(isNull(apiKeys.revokedAt), eq(apiKeys.enabled, false), notExpired);
      break;
    case "expired":
      conds.push(isNull(apiKeys.revokedAt), lte(apiKeys.expiresAt, now));
      break;
    case "revoked":
      conds.push(isNotNull(apiKeys.revokedAt));
      break;
    case "all":
      break;
  }
  if (f.workspace) {
    conds.push(anyOf(apiKeys.workspaceId, sql`select ${workspaces.id} from ${workspaces} where ${workspaces.slug} = ${f.workspace}`));
  }
  if (f.owner) {
    conds.push(anyOf(apiKeys.ownerId, sql`select ${users.id} from ${users} where ${ilike(users.email, contains(f.owner))}`));
  }
  if (f.expiringWithin !== undefined) {
    conds.push(gt(apiKeys.expiresAt, now), lte(apiKeys.expiresAt, addUtcDays(now, f.expiringWithin)));
  }
  if (f.idleFor !== undefined) {
    const before = subUtcDays(now, f.idleFor);
    conds.push(or(lt(apiKeys.lastUsedAt, before), and(isNull(apiKeys.lastUsedAt), lt(apiKeys.createdAt, before))));
  }
  if (f.neverUsed) conds.push(isNull(apiKeys.lastUsedAt));
  if (f.noExpiry) conds.push(isNull(apiKeys.expiresAt));
  if (f.q) {
    const pattern = startsWith(f.q);
    conds.push(
      or(
        sql`lower(${apiKeys.name}) like ${pattern}`,
        sql`lower(${apiKeys.prefix}) like ${pattern}`,
        isUuid(f.q) ? eq(apiKeys.id, f.q.toLowerCase()) : undefined,
      ),
    );
  }
  return and(...conds);
}

function orderOf(f: AdminKeyFilters): SQL[] {
  const dir = f.dir ?? (f.sort === "created" || f.sort === "lastUsed" ? "desc" : "asc");
  const by = dir === "asc" ? asc : desc;
  const nullsLast = (expr: SQL) => sql`${expr} ${sql.raw(dir)} nulls last`;
  const order: Record<AdminKeyFilters["sort"], SQL[]> = {
    name: [by(sql`lower(${apiKeys.name})`)],
    workspace: [by(sql`lower(${workspaces.name})`), desc(apiKeys.createdAt)],
    owner: [nullsLast(sql`lower(${users.name})`), desc(apiKeys.createdAt)],
    created: [by(apiKeys.createdAt)],
    expires: [nullsLast(sql`${apiKeys.expiresAt}`)],
    lastUsed: [nullsLast(sql`${apiKeys.lastUsedAt}`)],
  };
  // The id keeps the order total, so paging never repeats or skips a row.
  return [...order[f.sort], dir === "asc" && f.sort === "created" ? asc(apiKeys.id) : desc(apiKeys.id)];
}

/** Every key of every workspace matching the filters, one page of it, with the total. Global Admin only. */
export async function listAllKeys(
  db: DbOrTx,
  principal: Pick<Principal, "isGlobalAdmin">,
  rawFilters: AdminKeyFiltersInput | unknown = {},
  now = new Date(),
): Promise<AdminKeyPage> {
  assertGlobalAdmin(principal);
  const f = parseAdminKeyFilters(rawFilters);
  const where = adminKeyConditions(f, now);
  const [rows, [{ total }]] = await Promise.all([
    db
      .select(rowColumns)
      .from(apiKeys)
      .innerJoin(workspaces, eq(workspaces.id, apiKeys.workspaceId))
      .leftJoin(users, eq(users.id, apiKeys.ownerId))
      .where(where)
      .orderBy(...orderOf(f))
      .limit(f.pageSize)
      .offset((f.page - 1) * f.pageSize),
    db.select({ total: count() }).from(apiKeys).where(where),
  ]);
  return { rows: rows.map((r) => toRow(r, now)), total, page: f.page, pageSize: f.pageSize };
}

/** `created_at` with its microseconds: a JS Date keeps only milliseconds, too coarse for a cursor. */
const cursorAt = sql<string>`to_char(${apiKeys.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * The filtered keys in batches, newest first, for the CSV export: keyset pagination on
 * (created_at, id), so each batch is one index range scan however deep the export goes.
 * The table's sort is not applied (a keyset needs a unique, indexed order).
 */
export async function* iterateAllKeys(
  db: DbOrTx,
  principal: Pick<Principal, "isGlobalAdmin">,
  rawFilters: AdminKeyFiltersInput | unknown = {},
  batchSize = 1000,
  now = new Date(),
): AsyncGenerator<AdminKeyRow[], void, undefined> {
  assertGlobalAdmin(principal);
  const f = parseAdminKeyFilters(rawFilters);
  const where = adminKeyConditions(f, now);
  let after: { at: string; id: string } | null = null;
  for (;;) {
    const page: (SelectedRow & { cursorAt: string })[] = await db
      .select({ ...rowColumns, cursorAt })
      .from(apiKeys)
      .innerJoin(workspaces, eq(workspaces.id, apiKeys.workspaceId))
      .leftJoin(users, eq(users.id, apiKeys.ownerId))
      .where(and(where, after ? sql`(${apiKeys.createdAt}, ${apiKeys.id}) < (${after.at}::timestamptz, ${after.id}::uuid)` : undefined))
      .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
      .limit(batchSize);
    if (page.length === 0) return;
    yield page.map(({ cursorAt: _c, ...r }) => toRow(r, now));
    if (page.length < batchSize) return;
    const last = page[page.length - 1];
    after = { at: last.cursorAt, id: last.id };
  }
}

export const ADMIN_KEY_CSV_HEADER = ["workspace", "name", "kind", "owner email", "prefix", "state", "created", "expires", "last used"] as const;

export function adminKeyCsvRecord(r: AdminKeyRow): unknown[] {
  return [
    r.workspaceName,
    r.name,
    r.kind,
    r.ownerEmail ?? "",
    r.prefix,
    r.state,
    r.createdAt.toISOString(),
    r.expiresAt?.toISOString() ?? "",
    r.lastUsedAt?.toISOString() ?? "",
  ];
}

export interface WorkspaceOption {
  slug: string;
  name: string;
}

/** Workspaces for the filter select. */
export async function listWorkspaceOptions(db: DbOrTx, principal: Pick<Principal, "isGlobalAdmin">): Promise<WorkspaceOption[]> {
  assertGlobalAdmin(principal);
  return db
    .select({ slug: workspaces.slug, name: workspaces.name })
    .from(workspaces)
    .orderBy(asc(sql`lower(${workspaces.name})`))
    .limit(1000);
}

// ---------------------------------------------------------------------------------------------
// Bulk disable / revoke

export type BulkKeyOperation = "disable" | "revoke";

export interface BulkKeyOutcome {
  /** Keys asked for (after removing duplicates). */
  requested: number;
  /** Keys this call changed; each change wrote its own audit event. */
  changed: number;
  /** Keys left as they were, and why (already revoked, already disabled, not found…). */
  skipped: { id: string; name: string | null; reason: string }[];
}

/**
 * Disables or revokes up to 500 keys for a Global Admin. Each key goes through the same core
 * function as the API tab (so each change is checked and audited the same way), with a context
 * for the key's own workspace, in a transaction of its own: one refused key leaves the others
 * changed. Personal tokens are revoked by that core too (a Global Admin may); they have no
 * switch to turn them back on, so "disable" leaves them alone.
 */
export async function bulkChangeKeys(
  db: Db,
  user: SessionUser,
  operation: BulkKeyOperation,
  rawIds: unknown,
  meta: { ip?: string | null; userAgent?: string | null } = {},
  /** For "revoke": why (`{ reason, reasonText }`); omitted, no reason. A bad one changes no key. */
  rawRevocation?: unknown,
): Promise<BulkKeyOutcome> {
  assertGlobalAdmin(user, "Only Global Admins can change keys across workspaces.");
  const parsed = bulkKeyIdsSchema.safeParse(rawIds);
  if (!parsed.success) throw invalid({ ids: parsed.error.issues.map((i) => i.message) }, parsed.error.issues[0]?.message);
  const ids = parsed.data;
  // Checked once before any key is touched; each key's revoke then reads the same input.
  if (operation === "revoke") parseRevocation(rawRevocation);
  const revocation = rawRevocation;

  const found = await db
    .select({ id: apiKeys.id, name: apiKeys.name, kind: apiKeys.kind, enabled: apiKeys.enabled, revokedAt: apiKeys.revokedAt, slug: workspaces.slug })
    .from(apiKeys)
    .innerJoin(workspaces, eq(workspaces.id, apiKeys.workspaceId))
    .where(inArray(apiKeys.id, ids));
  const byId = new Map(found.map((k) => [k.id, k]));
  const contexts = new Map<string, Promise<WorkspaceContext>>();
  const contextFor = (slug: string) => {
    let ctx = contexts.get(slug);
    if (!ctx) contexts.set(slug, (ctx = resolveWorkspaceContext(db, { user, slug, ip: meta.ip, userAgent: meta.userAgent })));
    return ctx;
  };

  const outcome: BulkKeyOutcome = { requested: ids.length, changed: 0, skipped: [] };
  const skip = (id: string, name: string | null, reason: string) => outcome.skipped.push({ id, name, reason });
  for (const id of ids) {
    const key = byId.get(id);
    if (!key) {
      skip(id, null, "Key not found.");
      continue;
    }
    if (key.revokedAt) {
      skip(id, key.name, "Already revoked.");
      continue;
    }
    try {
      const ctx = await contextFor(key.slug);
      if (operation === "disable") {
        if (key.kind === "personal") skip(id, key.name, "Personal tokens cannot be disabled, only revoked.");
        else if (!key.enabled) skip(id, key.name, "Already disabled.");
        else {
          await updateApiKey(db, ctx, id, { enabled: false });
          outcome.changed++;
        }
      } else {
        await revokeApiKey(
          db,
          ctx,
          id,
          key.kind === "personal" ? { kind: "personal", metadata: { kind: "personal", via: "admin" }, revocation } : { revocation },
        );
        outcome.changed++;
      }
    } catch (err) {
      // Changed by someone else meanwhile (revoked, say): report it and carry on with the rest.
      if (err instanceof AppError) skip(id, key.name, err.code === "not_found" ? "Already revoked." : err.message);
      else {
        console.error(`[admin] bulk ${operation} failed for one key: ${(err as Error)?.name ?? "error"}`);
        skip(id, key.name, "Something went wrong on our side; try again.");
      }
    }
  }
  return outcome;
}
