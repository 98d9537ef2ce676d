import "server-only";
import { sql } from "drizzle-orm";
import type { Db } from "@/db";
import { apiKeys } from "@/db/schema";
import { INTEGRATION_NAME_MAX } from "@/lib/api/limits";
import { isConnectionFailure } from "@/lib/errors";

// Last used (when, from which address, by which integration) is collected in memory and written
// for every key together, once a second, in one statement: verification never waits for a write
// and never costs one of its own. Each key is recorded at most once a minute per instance, so a
// busy key costs one row update a minute, not one a request. A batch the database cannot take
// (unreachable) is kept, and newer uses of the same keys replace it; shutdown writes what is left.

const USAGE_WRITE_INTERVAL_MS = 60_000;
const FLUSH_INTERVAL_MS = 1_000;
/** Distinct keys waiting to be written; beyond it the oldest use is the one not recorded. */
const MAX_PENDING = 100_000;

interface Use {
  at: number;
  /** undefined: leave the key's last address as it is (a key checked through /verify). */
  ip?: string | null;
  integration: string | null;
}

interface UsageState {
  db: Db | null;
  /** When each key's use was last taken for writing (the once-a-minute debounce). */
  lastTaken: Map<string, number>;
  pending: Map<string, Use>;
  timer: NodeJS.Timeout | null;
  flushing: Promise<void> | null;
}

// On globalThis, so every bundle of this module shares one state (see lib/api/rate-limit.ts).
const g = globalThis as unknown as { __latchkeyKeyUse?: UsageState };
const state: UsageState = (g.__latchkeyKeyUse ??= { db: null, lastTaken: new Map(), pending: new Map(), timer: null, flushing: null });

/** Notes that a key was used; written with the next batch. `ip` undefined leaves the last address as it was. */
export function recordKeyUse(db: Db, keyId: string, meta: { ip?: string | null; integration: string | null }, now = Date.now()): void {
  const previous = state.lastTaken.get(keyId);
  if (previous !== undefined && now - previous < USAGE_WRITE_INTERVAL_MS) return;
  state.lastTaken.set(keyId, now);
  if (state.lastTaken.size > MAX_PENDING) state.lastTaken.clear(); // bounded memory; worst case one extra write per key
  if (state.pending.size >= MAX_PENDING && !state.pending.has(keyId)) return;
  state.db = db;
  state.pending.set(keyId, { at: now, ip: meta.ip, integration: meta.integration?.slice(0, INTEGRATION_NAME_MAX) ?? null });
  if (!state.timer) {
    state.timer = setInterval(() => void flushKeyUse(), FLUSH_INTERVAL_MS);
    state.timer.unref();
  }
}

/** Writes every use noted so far (the timer, shutdown and tests call it). */
export async function flushKeyUse(): Promise<void> {
  if (state.flushing) return state.flushing.then(() => flushKeyUse());
  const db = state.db;
  if (!db || state.pending.size === 0) return;
  const batch = state.pending;
  state.pending = new Map();
  state.flushing = (async () => {
    try {
      await writeUses(db, batch);
    } catch (err) {
      if (isConnectionFailure(err)) {
        // Kept for the next flush, unless a newer use of the same key arrived meanwhile.
        for (const [id, use] of batch) if (!state.pending.has(id) && state.pending.size < MAX_PENDING) state.pending.set(id, use);
      } else console.error(`[usage] could not record the use of ${batch.size} keys: ${(err as Error).name}`);
    } finally {
      state.flushing = null;
    }
  })();
  return state.flushing;
}

/**
 * One UPDATE for the whole batch, the rows as a single JSON parameter. A key another instance
 * saw used later keeps that later time (and its address and integration).
 */
async function writeUses(db: Db, batch: Map<string, Use>): Promise<void> {
  const rows = [...batch].map(([id, u]) => ({ id, at: new Date(u.at), keep_ip: u.ip === undefined, ip: u.ip ?? null, integration: u.integration }));
  await db.execute(sql`
    update ${apiKeys} k set
      last_used_at = u.at,
      last_used_ip = case when u.keep_ip then k.last_used_ip else u.ip end,
      last_used_integration = u.integration
    from json_to_recordset(${JSON.stringify(rows)}::json) as u(id uuid, at timestamptz, keep_ip boolean, ip text, integration text)
    where k.id = u.id and (k.last_used_at is null or k.last_used_at <= u.at)`);
}
