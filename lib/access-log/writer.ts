import "server-only";
import { millisecondsInMinute } from "date-fns/constants";
import { lt, sql } from "drizzle-orm";
import type { Db } from "@/db";
import { accessLogs, type NewAccessLog } from "@/db/schema";
import { subUtcDays } from "@/lib/dates";
import { env } from "@/lib/env";
import { isConnectionFailure } from "@/lib/errors";

// Access-log entries are buffered in memory and written in batches, so logging never adds a
// database write to the request path. A batch the database could not take (it was unreachable)
// goes back to the front of the buffer and is written once it answers again. Nothing is lost
// silently: entries shed because the buffer was full, or refused by the database itself, are
// counted and reported (accessLogStats(), shown by /api/health). On a crash at most the
// unflushed buffer (≤ one flush interval while the database answers) is lost.

const FLUSH_INTERVAL_MS = 1000;
const BATCH_SIZE = 500;
const MAX_BUFFER = 20_000;
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
});

/** What the writer holds and what it could not keep, since this process started. */
export function accessLogStats(): { pending: number; dropped: number } {
  return { pending: state.buffer.length, dropped: state.droppedTotal + state.dropped + state.refused };
}

export function enqueueAccessLog(db: Db, entry: NewAccessLog): void {
  state.db = db;
  if (state.buffer.length >= MAX_BUFFER) {
    state.dropped++; // the database is not keeping up (or is away); shed load rather than memory
    return;
  }
  state.buffer.push(entry);
  if (!state.timer) {
    state.timer = setInterval(() => void flushAccessLogs(), FLUSH_INTERVAL_MS);
    state.timer.unref();
  }
}

/** Writes everything buffered so far (tests and shutdown call it directly). */
export async function flushAccessLogs(): Promise<void> {
  if (state.flushing) return state.flushing.then(() => flushAccessLogs()); // then what arrived meanwhile
  const db = state.db;
  if (!db || state.buffer.length === 0) return maybePurge();
  const batch = state.buffer.splice(0, state.buffer.length);
  state.flushing = (async () => {
    try {
      for (let i = 0; i < batch.length; i += BATCH_SIZE) await insertAccessLogs(db, batch.slice(i, i + BATCH_SIZE));
      if (state.dropped > 0) {
        console.warn(`[access-log] dropped ${state.dropped} entries while the buffer was full`);
        state.droppedTotal += state.dropped;
        state.dropped = 0;
      }
    } catch (err) {
      if (isConnectionFailure(err)) {
        // Unwritten, not lost: back in front of what arrived meanwhile, within the buffer's bound.
        const room = Math.max(0, MAX_BUFFER - state.buffer.length);
        const kept = batch.slice(batch.length - Math.min(batch.length, room));
        state.dropped += batch.length - kept.length;
        state.buffer.unshift(...kept);
      } else {
        state.refused += batch.length;
        console.error(`[access-log] the database refused ${batch.length} entries: ${(err as Error).name}`);
      }
    } finally {
      state.flushing = null;
    }
    await maybePurge();
  })();
  return state.flushing;
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
  await purgeAccessLogs(db).catch((err: Error) => console.error(`[access-log] purge failed: ${err.name}`));
}

/** Deletes entries older than the retention period. Returns how many. */
export async function purgeAccessLogs(db: Db, now = new Date(), days = retentionDays()): Promise<number> {
  const cutoff = subUtcDays(now, days);
  const old = lt(accessLogs.at, cutoff);
  const n = await db.$count(accessLogs, old);
  if (n > 0) await db.delete(accessLogs).where(old);
  return n;
}
