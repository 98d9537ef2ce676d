import "server-only";
import { addHours } from "date-fns";
import { millisecondsInHour } from "date-fns/constants";
import { and, count, desc, eq, gte, lt, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "@/db";
import { subUtcDays } from "@/lib/dates";
import { accessLogGaps, accessLogs, keyAddressDays, keyUsageMinutes, type AccessLog, type AccessLogGap } from "@/db/schema";
import { getApiKeyAnyState, type ApiKeyView } from "@/lib/api-keys/core";
import { checkAddress, compileRules, type AddressVerdict } from "@/lib/net/ip-rules";
import type { WorkspaceContext } from "@/lib/auth/context";

const ACCESS_LOG_RANGES = { "24h": 1, "7d": 7, "30d": 30 } as const;

export const accessLogQuerySchema = z.object({
  status: z.enum(["all", "success", "refused"]).catch("all"),
  range: z.enum(["24h", "7d", "30d"]).catch("7d"),
  page: z.coerce.number().int().min(1).max(10_000).catch(1),
  pageSize: z.coerce.number().int().min(10).max(100).catch(25),
});
export type AccessLogQuery = z.infer<typeof accessLogQuerySchema>;

export interface AccessLogPage {
  rows: AccessLog[];
  total: number;
  page: number;
  pageSize: number;
}

/** A key's access log, newest first; the key must be one of the caller's workspace (live or revoked: its record stays readable). */
export async function listAccessLogs(
  db: DbOrTx,
  ctx: WorkspaceContext,
  keyId: string,
  query: AccessLogQuery,
  now = new Date(),
): Promise<AccessLogPage> {
  await getApiKeyAnyState(db, ctx, keyId); // permission + workspace check
  const since = subUtcDays(now, ACCESS_LOG_RANGES[query.range]);
  const conds: SQL[] = [eq(accessLogs.apiKeyId, keyId), gte(accessLogs.at, since)];
  if (query.status === "success") conds.push(lt(accessLogs.status, 400));
  if (query.status === "refused") conds.push(gte(accessLogs.status, 400));
  const where = and(...conds);
  const [rows, [{ total }]] = await Promise.all([
    db
      .select()
      .from(accessLogs)
      .where(where)
      .orderBy(desc(accessLogs.at), desc(accessLogs.id))
      .limit(query.pageSize)
      .offset((query.page - 1) * query.pageSize),
    db.select({ total: count() }).from(accessLogs).where(where),
  ]);
  return { rows, total, page: query.page, pageSize: query.pageSize };
}

/**
 * What the key's access log is missing: entries the server could not write (the database away
 * and the buffer full, or a batch refused), newest first, within the retention period. At most
 * `limit` rows, and the total lost over all of them.
 */
export async function listAccessLogGaps(
  db: DbOrTx,
  ctx: WorkspaceContext,
  keyId: string,
  limit = 5,
): Promise<{ gaps: Pick<AccessLogGap, "from" | "to" | "lost" | "cause">[]; lost: number }> {
  await getApiKeyAnyState(db, ctx, keyId); // permission + workspace check
  const where = and(eq(accessLogGaps.apiKeyId, keyId), eq(accessLogGaps.workspaceId, ctx.workspace.id));
  const [gaps, [{ lost }]] = await Promise.all([
    db
      .select({ from: accessLogGaps.from, to: accessLogGaps.to, lost: accessLogGaps.lost, cause: accessLogGaps.cause })
      .from(accessLogGaps)
      .where(where)
      .orderBy(desc(accessLogGaps.to))
      .limit(limit),
    db
      .select({ lost: sql<number>`coalesce(sum(${accessLogGaps.lost}), 0)::int` })
      .from(accessLogGaps)
      .where(where),
  ]);
  return { gaps, lost };
}

export interface UsageBucket {
  /** ISO start of the hour (UTC). */
  hour: string;
  success: number;
  refused: number;
}

/** Requests per hour over the last 7 days, split by success and refusal; every hour present. */
export async function usageByHour(db: DbOrTx, ctx: WorkspaceContext, keyId: string, now = new Date()): Promise<UsageBucket[]> {
  await getApiKeyAnyState(db, ctx, keyId);
  // The buckets are UTC hours. Not date-fns's startOfHour: it rounds to the server's local hour,
  // which in a zone like Asia/Kolkata (+05:30) begins half-way through a UTC hour.
  const end = addHours(Math.floor(now.getTime() / millisecondsInHour) * millisecondsInHour, 1);
  const start = subUtcDays(end, 7);
  // From the per-minute counts, which every request adds to (access-log rows are kept for some only).
  const hour = sql<string>`to_char(date_trunc('hour', ${keyUsageMinutes.minute} at time zone 'UTC'), 'YYYY-MM-DD"T"HH24:00:00"Z"')`;
  const rows = await db
    .select({
      hour,
      success: sql<number>`sum(${keyUsageMinutes.succeeded})`.mapWith(Number),
      refused: sql<number>`sum(${keyUsageMinutes.refused})`.mapWith(Number),
    })
    .from(keyUsageMinutes)
    .where(and(eq(keyUsageMinutes.apiKeyId, keyId), eq(keyUsageMinutes.workspaceId, ctx.workspace.id), gte(keyUsageMinutes.minute, start)))
    .groupBy(hour);
  const byHour = new Map(rows.map((r) => [r.hour, r]));
  const out: UsageBucket[] = [];
  for (let t = start; t < end; t = addHours(t, 1)) {
    const iso = t.toISOString().slice(0, 13) + ":00:00Z";
    const r = byHour.get(iso);
    out.push({ hour: iso, success: r?.success ?? 0, refused: r?.refused ?? 0 });
  }
  return out;
}

export interface KeyAddress {
  ip: string;
  succeeded: number;
  refused: number;
  lastSeenAt: Date;
  /** What the key's rules as they are now say of this address. */
  verdict: AddressVerdict;
}

/**
 * The client addresses the key was used from in the last 7 days (UTC days, today included), most
 * recently seen first, at most `limit` of them, with their requests and refusals and whether the
 * key's current IP rules allow each; and how many addresses there were in all.
 */
export async function listKeyAddresses(
  db: DbOrTx,
  ctx: WorkspaceContext,
  key: Pick<ApiKeyView, "id" | "ipAllow" | "ipDeny">,
  now = new Date(),
  limit = 50,
): Promise<{ addresses: KeyAddress[]; total: number }> {
  await getApiKeyAnyState(db, ctx, key.id); // permission + workspace check
  const since = subUtcDays(now, 6).toISOString().slice(0, 10);
  const where = and(eq(keyAddressDays.apiKeyId, key.id), eq(keyAddressDays.workspaceId, ctx.workspace.id), gte(keyAddressDays.day, since));
  const lastSeen = sql<Date | string>`max(${keyAddressDays.lastSeenAt})`;
  const [rows, [{ total }]] = await Promise.all([
    db
      .select({
        ip: keyAddressDays.ip,
        succeeded: sql<number>`sum(${keyAddressDays.succeeded})`.mapWith(Number),
        refused: sql<number>`sum(${keyAddressDays.refused})`.mapWith(Number),
        lastSeenAt: lastSeen,
      })
      .from(keyAddressDays)
      .where(where)
      .groupBy(keyAddressDays.ip)
      .orderBy(desc(lastSeen), keyAddressDays.ip)
      .limit(limit),
    db
      .select({ total: sql<number>`count(distinct ${keyAddressDays.ip})`.mapWith(Number) })
      .from(keyAddressDays)
      .where(where),
  ]);
  const rules = compileRules({ allow: key.ipAllow, deny: key.ipDeny });
  return {
    addresses: rows.map((r) => ({
      ip: r.ip,
      succeeded: r.succeeded,
      refused: r.refused,
      lastSeenAt: r.lastSeenAt instanceof Date ? r.lastSeenAt : new Date(r.lastSeenAt),
      verdict: checkAddress(rules, r.ip),
    })),
    total,
  };
}
