import "server-only";
import { sql } from "drizzle-orm";
import type { Db } from "@/db";
import { apiKeyPreviousSecrets } from "@/db/schema";
import { isConnectionFailure } from "@/lib/errors";

// The traffic of rotated-out secrets (requests since the rotation, last use), collected in memory
// and written for all of them together once a second, in one statement, as the keys' last use is
// (usage.ts): verification never waits for a write. Unlike a key's last use, every request counts
// and the last use is kept to the request, because "retire when quiet" is decided by it. This
// process's own uses are known at once (lastLocalUse); other instances' reach the database within
// a second, which is what verify.ts reads before it retires a secret as quiet.

const FLUSH_INTERVAL_MS = 1_000;
const MAX_PENDING = 100_000;

interface Pending {
  requests: number;
  at: number;
}

interface PreviousUseState {
  db: Db | null;
  pending: Map<string, Pending>;
  /** The last use this process saw of each previous secret (ms), kept after it is written. */
  lastSeen: Map<string, number>;
  timer: NodeJS.Timeout | null;
  flushing: Promise<void> | null;
}

const g = globalThis as unknown as { __latchkeyPreviousUse?: PreviousUseState };
const state: PreviousUseState = (g.__latchkeyPreviousUse ??= { db: null, pending: new Map(), lastSeen: new Map(), timer: null, flushing: null });

/** Notes one request made with a previous secret (`at`: the request's time, from lib/clock.ts). */
export function recordPreviousSecretUse(db: Db, id: string, at: number): void {
  state.db = db;
  noteUse(id, at);
  const p = state.pending.get(id);
  if (p) {
    p.requests++;
    p.at = Math.max(p.at, at);
  } else if (state.pending.size < MAX_PENDING) state.pending.set(id, { requests: 1, at });
  if (!state.timer) {
    state.timer = setInterval(() => void flushPreviousSecretUse(), FLUSH_INTERVAL_MS);
    state.timer.unref();
  }
}

/** Remembers a use seen here or read from the database, whichever is later. */
export function noteUse(id: string, at: number): void {
  if ((state.lastSeen.get(id) ?? 0) >= at) return;
  if (state.lastSeen.size >= MAX_PENDING) state.lastSeen.clear(); // bounded; the database still knows
  state.lastSeen.set(id, at);
}

/** The last use of a previous secret this process knows of (ms), or 0. */
export function lastLocalUse(id: string): number {
  return state.lastSeen.get(id) ?? 0;
}

/** Writes the uses noted so far (the timer, shutdown and tests call it). */
export async function flushPreviousSecretUse(): Promise<void> {
  if (state.flushing) return state.flushing.then(() => flushPreviousSecretUse());
  const db = state.db;
  if (!db || state.pending.size === 0) return;
  const batch = state.pending;
  state.pending = new Map();
  state.flushing = (async () => {
    try {
      const rows = [...batch].map(([id, p]) => ({ id, n: p.requests, at: new Date(p.at) }));
      // Also into a row retired meanwhile: these requests were accepted, before it stopped working.
      await db.execute(sql`
        update ${apiKeyPreviousSecrets} p set
          requests = p.requests + u.n,
          last_used_at = greatest(p.last_used_at, u.at)
        from json_to_recordset(${JSON.stringify(rows)}::json) as u(id uuid, n integer, at timestamptz)
        where p.id = u.id`);
    } catch (err) {
      if (isConnectionFailure(err)) {
        for (const [id, p] of batch) {
          const newer = state.pending.get(id);
          if (newer) {
            newer.requests += p.requests;
            newer.at = Math.max(newer.at, p.at);
          } else if (state.pending.size < MAX_PENDING) state.pending.set(id, p);
        }
      } else console.error(`[rotation] could not record the use of ${batch.size} previous secrets: ${(err as Error).name}`);
    } finally {
      state.flushing = null;
    }
  })();
  return state.flushing;
}

/** For tests: forgets what this process saw (as another instance would know nothing of it). */
export function forgetPreviousSecretUseForTests(): void {
  state.pending.clear();
  state.lastSeen.clear();
}
