import "server-only";
import { randomUUID } from "node:crypto";
import { onTransactionEnd, type OpenDatabase } from "@/db";

// Verified keys are cached per instance so the hot path usually needs no query at all.
// Correctness comes from an epoch: any change that can alter a verification (a key, a
// workspace's settings, a membership, a user) bumps it — through PostgreSQL NOTIFY from
// triggers (db/migrations/0004) for every instance, and, on the instance that made it, after
// every transaction ends (db/index.ts onTransactionEnd), whichever code path ran it. An entry is used only while the epoch is the one its lookup *started*
// in, so a lookup racing a change never re-caches the old row.
//
// A notification that cannot arrive must never leave a revoked key accepted. So the cache is on
// only while this instance keeps hearing its own heartbeat: it NOTIFYs a ping through the pool
// every HEARTBEAT_MS and must hear it back on the LISTEN connection within HEARTBEAT_STALE_MS.
// A cut LISTEN connection, a database that is down, or notifications delayed by a backlog all
// turn the cache off (every verification reads the database, which then answers or is a 503),
// and when the heartbeat returns everything cached before is forgotten. A TTL bounds the rest.
// LISTEN needs a direct, session-level connection: behind PgBouncer in transaction mode it never
// hears anything, so the cache simply stays off.

const CACHE_TTL_MS = 30_000;
const MAX_ENTRIES = 50_000;
const HEARTBEAT_MS = 250;
/** The longest a heartbeat may go unheard before the cache turns itself off. */
export const HEARTBEAT_STALE_MS = 1_000;
const CHANNEL = "latchkey_auth";

interface Entry<T> {
  value: T;
  epoch: number;
  at: number;
}

interface CacheState {
  epoch: number;
  listening: boolean;
  /** When this instance last heard its own heartbeat (ms); 0: not yet. */
  lastHeard: number;
  heartbeat?: ReturnType<typeof setInterval>;
  /** Unsubscribes from this process's own transactions. */
  stopLocal?: () => void;
  entries: Map<string, Entry<unknown>>;
}

const g = globalThis as unknown as { __latchkeyAuthCache?: CacheState };
const state: CacheState = (g.__latchkeyAuthCache ??= { epoch: 0, listening: false, lastHeard: 0, entries: new Map() });

/** Is the cache to be trusted now: subscribed, and the heartbeat heard recently? */
const live = (now: number) => state.listening && now - state.lastHeard <= HEARTBEAT_STALE_MS;

/** The heartbeat came back. If it had been late, notifications may have been lost meanwhile. */
function heartbeatHeard(now = Date.now()): void {
  if (now - state.lastHeard > HEARTBEAT_STALE_MS) bumpAuthEpoch();
  state.lastHeard = now;
}

export const authEpoch = (): number => state.epoch;

/** Forget every cached verification (a change happened somewhere). */
export function bumpAuthEpoch(): void {
  state.epoch++;
  state.entries.clear();
}

export function cachedVerification<T>(hash: string, now = Date.now()): T | undefined {
  if (!live(now)) return undefined;
  const entry = state.entries.get(hash) as Entry<T> | undefined;
  if (!entry) return undefined;
  if (entry.epoch !== state.epoch || now - entry.at > CACHE_TTL_MS) {
    state.entries.delete(hash);
    return undefined;
  }
  return entry.value;
}

/** Stores a lookup made when the epoch was `startedAt`; dropped if anything changed since. */
export function cacheVerification<T>(hash: string, value: T, startedAt: number, now = Date.now()): void {
  if (!live(now) || startedAt !== state.epoch) return;
  if (state.entries.size >= MAX_ENTRIES) state.entries.clear();
  state.entries.set(hash, { value, epoch: startedAt, at: now });
}

/**
 * Subscribes this process to change notifications and starts the heartbeat that keeps the cache
 * on. Resolves once the first heartbeat is heard, or after HEARTBEAT_STALE_MS with the cache
 * still off (it turns on by itself when one is heard).
 */
export async function startAuthCache(database: Pick<OpenDatabase, "listen" | "notify">): Promise<void> {
  if (state.listening) return;
  state.stopLocal ??= onTransactionEnd(bumpAuthEpoch);
  const ping = `ping:${randomUUID()}`;
  let firstHeard: () => void = () => {};
  const first = new Promise<void>((resolve) => (firstHeard = resolve));
  await database.listen(
    CHANNEL,
    (payload) => {
      // Another instance's ping says nothing about what this connection may have missed.
      if (payload.startsWith("ping:")) {
        if (payload === ping) {
          heartbeatHeard();
          firstHeard();
        }
        return;
      }
      bumpAuthEpoch();
    },
    () => bumpAuthEpoch(),
  );
  state.listening = true;
  const beat = () => void database.notify(CHANNEL, ping).catch(() => {});
  state.heartbeat = setInterval(beat, HEARTBEAT_MS);
  state.heartbeat.unref?.();
  beat();
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([first, new Promise<void>((resolve) => (timer = setTimeout(resolve, HEARTBEAT_STALE_MS)))]);
  clearTimeout(timer);
}

/** For tests: turn the cache off and empty it. */
export function stopAuthCacheForTests(): void {
  state.listening = false;
  clearInterval(state.heartbeat);
  state.heartbeat = undefined;
  state.lastHeard = 0;
  bumpAuthEpoch();
}
