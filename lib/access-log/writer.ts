import "server-only";
import { millisecondsInMinute } from "date-fns/constants";
import { lt, sql } from "drizzle-orm";
import type { Db } from "@/db";
import { accessLogGaps, accessLogs, keyAddressDays, keyUsageMinutes, type AccessLogGap, type NewAccessLog } from "@/db/schema";
import { subUtcDays } from "@/lib/dates";
import { env } from "@/lib/env";
import { isConnectionFailure } from "@/lib/errors";
import { dropExpiredAccessLogs, ensureAccessLogPartitions } from "./partitions";

// Every request made with a key is counted, per key and minute, in memory, and the counts are
// added to key_usage_minutes once a second in one statement: that is what the usage chart reads;
// likewise per key, client address and UTC day into key_address_days (the key page's "used from").
// A full access-log row is kept only for a refusal and for keys with request or response logging
// on. Both are buffered in memory and written in batches, so logging never adds a database write
// to the request path. A batch the database could not take (it was unreachable)
// goes back to the front of the buffer and is written once it answers again. Nothing is lost
// silently: entries shed because the buffer was full, or refused by the database itself, are
// counted and reported: in total by accessLogStats() (shown by /api/health), and per key as a gap
// (how many, between when and when, why) written to access_log_gaps once the database answers,
// which the key's page shows. On a crash at most the unflushed buffer (≤ one flush interval while
// the database answers) is lost.

const FLUSH_INTERVAL_MS = 1000;
const BATCH_SIZE = 500;
/** Entries held while the database does not take them; beyond it they are shed and counted. */
export const MAX_BUFFER = 20_000;
const PURGE_EVERY_MS = 10 * millisecondsInMinute;

const retentionDays = () => env().LATCHKEY_ACCESS_LOG_RETENTION_DAYS;

interface WriterState {
  db: Db | null;
  buffer: NewAccessLog[];
  timer: NodeJS.Timeout | null;
  flushing: Promise<void> | null;
  lastPurge: number;
  /** Shed since the last report because the buffer was full. */
  dropped: number;
  /** Totals since this process started, for the health endpoint. */
  droppedTotal: number;
  refused: number;
  /** Losses per key and cause, not yet written to access_log_gaps. */
  gaps: Map<string, Omit<AccessLogGap, "id">>;
  /** Entries of the batch being written now (still pending until it is). */
  writing: number;
  /** Requests counted per key and minute, not yet added to key_usage_minutes. */
  usage: Map<string, UsageCount>;
  /** Requests counted per key, client address and UTC day, not yet added to key_address_days. */
  addresses: Map<string, AddressCount>;
}

interface AddressCount {
  apiKeyId: string;
  /** The UTC day, YYYY-MM-DD. */
  day: string;
  ip: string;
  succeeded: number;
  refused: number;
  lastSeen: number;
}

interface UsageCount {
  apiKeyId: string;
  minute: number;
  succeeded: number;
  refused: number;
}

const g = globalThis as unknown as { __latchkeyAccessLog?: WriterState };
const state: WriterState = (g.__latchkeyAccessLog ??= {
  db: null,
  buffer: [],
  timer: null,
  flushing: null,
  lastPurge: 0,
  dropped: 0,
  droppedTotal: 0,
  refused: 0,
  gaps: new Map(),
  writing: 0,
  usage: new Map(),
  addresses: new Map(),
});
// A writer state made before this field existed (a dev server's hot reload keeps globalThis).
state.addresses ??= new Map();

/** What the writer holds and what it could not keep, since this process started. */
export function accessLogStats(): { pending: number; dropped: number } {
  return { pending: state.buffer.length + state.writing, dropped: state.droppedTotal + state.dropped + state.refused };
}

/**
 * Counts a request made with a key and, unless `row` is false, keeps its access-log row (the
 * REST API keeps one for refusals and for keys with logging on).
 */
export function enqueueAccessLog(db: Db, entry: NewAccessLog, { row = true }: { row?: boolean } = {}): void {
  countAccess(db, entry.apiKeyId, entry.status, entry.at instanceof Date ? entry.at.getTime() : Date.now(), entry.ip ?? null);
  if (!row) return;
  if (state.buffer.length >= MAX_BUFFER) {
    state.dropped++; // the database is not keeping up (or is away); shed load rather than memory
    recordLoss([entry], "buffer_full");
    return;
  }
  state.buffer.push(entry);
}

/** Counts a request made with a key, without an access-log row: enqueueAccessLog with `row: false`, for the hot path. */
export function countAccess(db: Db, apiKeyId: string, status: number, at = Date.now(), ip: string | null = null): void {
  state.db = db;
  countUsage(apiKeyId, at, status >= 400);
  if (ip) countAddress(apiKeyId, ip, at, status >= 400 ? 0 : 1, status >= 400 ? 1 : 0, at);
  if (!state.timer) {
    state.timer = setInterval(() => void flushAccessLogs(), FLUSH_INTERVAL_MS);
    state.timer.unref();
  }
}

function countUsage(apiKeyId: string, at: number, refused: boolean, n = 1): void {
  const minute = at - (at % 60_000);
  const id = `${apiKeyId} ${minute}`;
  let count = state.usage.get(id);
  if (!count) state.usage.set(id, (count = { apiKeyId, minute, succeeded: 0, refused: 0 }));
  if (refused) count.refused += n;
  else count.succeeded += n;
}

function countAddress(apiKeyId: string, ip: string, at: number, succeeded: number, refused: number, lastSeen: number): void {
  const day = new Date(at).toISOString().slice(0, 10);
  const id = `${apiKeyId} ${day} ${ip}`;
  let count = state.addresses.get(id);
  if (!count) state.addresses.set(id, (count = { apiKeyId, day, ip, succeeded: 0, refused: 0, lastSeen }));
  count.succeeded += succeeded;
  count.refused += refused;
  if (lastSeen > count.lastSeen) count.lastSeen = lastSeen;
}

/**
 * Adds the per-address counts so far to key_address_days in one statement, as writeUsage does;
 * kept for next time if the database cannot be reached.
 */
async function writeAddresses(db: Db, addresses: Map<string, AddressCount>): Promise<void> {
  if (addresses.size === 0) return;
  const counts = [...addresses.values()];
  const json = JSON.stringify(
    counts.map((c) => ({
      api_key_id: c.apiKeyId,
      day: c.day,
      ip: c.ip,
      succeeded: c.succeeded,
      refused: c.refused,
      last_seen_at: new Date(c.lastSeen),
    })),
  );
  try {
    await db.execute(sql`
      insert into ${keyAddressDays} (api_key_id, workspace_id, day, ip, succeeded, refused, last_seen_at)
      select k.id, k.workspace_id, r.day, r.ip, r.succeeded, r.refused, r.last_seen_at
      from json_populate_recordset(null::key_address_days, ${json}::json) r
      join api_keys k on k.id = r.api_key_id
      on conflict (api_key_id, day, ip) do update
        set succeeded = key_address_days.succeeded + excluded.succeeded, refused = key_address_days.refused + excluded.refused,
          last_seen_at = greatest(key_address_days.last_seen_at, excluded.last_seen_at)`);
  } catch (err) {
    if (isConnectionFailure(err))
      for (const c of counts) countAddress(c.apiKeyId, c.ip, Date.parse(`${c.day}T00:00:00Z`), c.succeeded, c.refused, c.lastSeen);
    else console.error(`[access-log] the database refused the address counts of ${counts.length} key-days: ${(err as Error).name}`);
    throw err;
  }
}

/**
 * Adds the counts so far to key_usage_minutes in one statement (of keys that still exist, in the
 * key's own workspace). If the database cannot be reached they are kept and added next time.
 */
async function writeUsage(db: Db, usage: Map<string, UsageCount>): Promise<void> {
  if (usage.size === 0) return;
  const counts = [...usage.values()];
  const json = JSON.stringify(
    counts.map((c) => ({ api_key_id: c.apiKeyId, minute: new Date(c.minute), succeeded: c.succeeded, refused: c.refused })),
  );
  try {
    await db.execute(sql`
      insert into ${keyUsageMinutes} (api_key_id, workspace_id, minute, succeeded, refused)
      select k.id, k.workspace_id, r.minute, r.succeeded, r.refused
      from json_populate_recordset(null::key_usage_minutes, ${json}::json) r
      join api_keys k on k.id = r.api_key_id
      on conflict (api_key_id, minute) do update
        set succeeded = key_usage_minutes.succeeded + excluded.succeeded, refused = key_usage_minutes.refused + excluded.refused`);
  } catch (err) {
    if (isConnectionFailure(err)) {
      for (const c of counts) {
        countUsage(c.apiKeyId, c.minute, false, c.succeeded);
        countUsage(c.apiKeyId, c.minute, true, c.refused);
      }
    } else console.error(`[access-log] the database refused the request counts of ${counts.length} key-minutes: ${(err as Error).name}`);
    throw err;
  }
}

/** Writes everything buffered so far (tests and shutdown call it directly). */
export async function flushAccessLogs(): Promise<void> {
  if (state.flushing) return state.flushing.then(() => flushAccessLogs()); // then what arrived meanwhile
  const db = state.db;
  if (!db || (state.buffer.length === 0 && state.usage.size === 0 && state.addresses.size === 0 && state.gaps.size === 0)) return maybePurge();
  // What is here now; what arrives while this flush writes goes with the next.
  const batch = state.buffer.splice(0, state.buffer.length);
  const usage = state.usage;
  state.usage = new Map();
  const addresses = state.addresses;
  state.addresses = new Map();
  state.writing = batch.length;
  state.flushing = (async () => {
    try {
      await writeUsage(db, usage).catch(() => {});
      await writeAddresses(db, addresses).catch(() => {});
      for (let i = 0; i < batch.length; i += BATCH_SIZE) await insertAccessLogs(db, batch.slice(i, i + BATCH_SIZE));
      // Kept for the next flush if it fails: the batch itself is written and must not be retried.
      if (state.gaps.size > 0) await writeGaps(db).catch(() => {});
      if (state.dropped > 0) {
        console.warn(`[access-log] dropped ${state.dropped} entries while the buffer was full`);
        state.droppedTotal += state.dropped;
        state.dropped = 0;
      }
    } catch (err) {
      if (isConnectionFailure(err)) {
        // Unwritten, not lost: back in front of what arrived meanwhile, within the buffer's bound.
        const room = Math.max(0, MAX_BUFFER - state.buffer.length);
        const shed = batch.length - Math.min(batch.length, room);
        state.dropped += shed;
        recordLoss(batch.slice(0, shed), "buffer_full");
        state.buffer.unshift(...batch.slice(shed));
      } else {
        state.refused += batch.length;
        recordLoss(batch, "refused");
        console.error(`[access-log] the database refused ${batch.length} entries: ${(err as Error).name}`);
      }
    } finally {
      state.writing = 0;
      state.flushing = null;
    }
    await maybePurge();
  })();
  return state.flushing;
}

function recordLoss(entries: NewAccessLog[], cause: AccessLogGap["cause"]): void {
  for (const e of entries) {
    const at = e.at instanceof Date ? e.at : new Date();
    const id = `${e.apiKeyId} ${cause}`;
    const gap = state.gaps.get(id);
    if (!gap) state.gaps.set(id, { apiKeyId: e.apiKeyId, workspaceId: e.workspaceId, from: at, to: at, lost: 1, cause });
    else {
      gap.lost++;
      if (at < gap.from) gap.from = at;
      if (at > gap.to) gap.to = at;
    }
  }
}

/**
 * Writes the losses counted so far, one row per key and cause, in the key's own workspace (of
 * keys that still exist), and forgets them; if the database does not take them, they stay for
 * the next flush.
 */
async function writeGaps(db: Db): Promise<void> {
  const gaps = [...state.gaps.entries()];
  state.gaps = new Map();
  const json = JSON.stringify(gaps.map(([, g]) => ({ api_key_id: g.apiKeyId, from: g.from, to: g.to, lost: g.lost, cause: g.cause })));
  try {
    await db.execute(sql`
      insert into ${accessLogGaps} (api_key_id, workspace_id, "from", "to", lost, cause)
      select k.id, k.workspace_id, r."from", r."to", r.lost, r.cause
      from json_populate_recordset(null::access_log_gaps, ${json}::json) r
      join api_keys k on k.id = r.api_key_id`);
  } catch (err) {
    // Merged back with what was lost meanwhile.
    for (const [id, g] of gaps) {
      const now = state.gaps.get(id);
      if (!now) state.gaps.set(id, g);
      else state.gaps.set(id, { ...g, lost: g.lost + now.lost, from: g.from < now.from ? g.from : now.from, to: g.to > now.to ? g.to : now.to });
    }
    throw err;
  }
}

/**
 * One statement per batch with the rows as a single JSON parameter. Drizzle's multi-row insert
 * binds 13 parameters a row and builds the SQL in JavaScript, which under load cost more CPU
 * than the requests being logged; JSON.stringify is native and PostgreSQL maps the keys to the
 * columns by name.
 */
async function insertAccessLogs(db: Db, rows: NewAccessLog[]): Promise<void> {
  if (rows.length === 0) return;
  const json = JSON.stringify(
    rows.map((r) => ({
      api_key_id: r.apiKeyId,
      workspace_id: r.workspaceId,
      at: r.at,
      method: r.method,
      path: r.path,
      status: r.status,
      duration_ms: r.durationMs,
      reason: r.reason ?? null,
      ip: r.ip ?? null,
      integration: r.integration ?? null,
      request_headers: r.requestHeaders ?? null,
      request_body: r.requestBody ?? null,
      response_body: r.responseBody ?? null,
    })),
  );
  await db.execute(sql`
    insert into ${accessLogs} (api_key_id, workspace_id, at, method, path, status, duration_ms, reason, ip, integration,
      request_headers, request_body, response_body)
    select api_key_id, workspace_id, at, method, path, status, duration_ms, reason, ip, integration,
      request_headers, request_body, response_body
    from json_populate_recordset(null::access_logs, ${json}::json)`);
}

async function maybePurge(): Promise<void> {
  const db = state.db;
  if (!db || Date.now() - state.lastPurge < PURGE_EVERY_MS) return;
  state.lastPurge = Date.now();
  await purgeAccessLogs(db).catch((err: Error & { code?: string }) =>
    console.error(`[access-log] purge failed: ${err.name}${err.code ? ` ${err.code}` : ""}`),
  );
}

/**
 * What is past the retention period goes: the access-log partitions whose whole day is (dropped as
 * tables, lib/access-log/partitions.ts), and the gaps and usage counts older than it. Partitions
 * for the next days are made first, and rows that landed in the default partition are moved to
 * their day's. Returns the partitions dropped and the rows deleted from the default partition.
 */
export async function purgeAccessLogs(db: Db, now = new Date(), days = retentionDays()): Promise<{ partitions: string[]; rows: number }> {
  const cutoff = subUtcDays(now, days);
  await ensureAccessLogPartitions(db, now, days);
  const purged = await dropExpiredAccessLogs(db, now, days);
  await db.delete(accessLogGaps).where(lt(accessLogGaps.to, cutoff));
  await db.delete(keyUsageMinutes).where(lt(keyUsageMinutes.minute, cutoff));
  await db.delete(keyAddressDays).where(lt(keyAddressDays.day, cutoff.toISOString().slice(0, 10)));
  return purged;
}

/** At start: today's access-log partition and the next days' (a row whose day has none still lands, in the default partition). */
export async function prepareAccessLogPartitions(db: Db, now = new Date()): Promise<void> {
  // The name and SQLSTATE only (a lock timeout is 55P03): a driver's message may quote values.
  await ensureAccessLogPartitions(db, now, retentionDays()).catch((err: Error & { code?: string }) =>
    console.error(`[access-log] making partitions failed: ${err.name}${err.code ? ` ${err.code}` : ""}`),
  );
}
