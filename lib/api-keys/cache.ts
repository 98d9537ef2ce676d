import "server-only";
import { onTransactionEnd, type OpenDatabase } from "@/db";

// Verified keys are cached per instance so the hot path usually needs no query at all.
// Correctness comes from an epoch: any change that can alter a verification (a key, a
// workspace's settings, a membership, a user) bumps it — through PostgreSQL NOTIFY from
// triggers (db/migrations/0004) for every instance, and, on the instance that made it, after
// every transaction ends (db/index.ts onTransactionEnd), whichever code path ran it. An entry is used only while the epoch is the one its lookup *started*
// in, so a lookup racing a change never re-caches the old row. The cache is on only while the
// NOTIFY subscription is live; a TTL bounds staleness should a notification ever be lost.

const CACHE_TTL_MS = 30_000;
const MAX_ENTRIES = 50_000;

interface Entry<T> {
  value: T;
  epoch: number;
  at: number;
}

interface CacheState {
  epoch: number;
  listening: boolean;
  /** Unsubscribes from this process's own transactions. */
  stopLocal?: () => void;
  entries: Map<string, Entry<unknown>>;
}

const g = globalThis as unknown as { __latchkeyAuthCache?: CacheState };
const state: CacheState = (g.__latchkeyAuthCache ??= { epoch: 0, listening: false, entries: new Map() });

export const authEpoch = (): number => state.epoch;

/** Forget every cached verification (a change happened somewhere). */
export function bumpAuthEpoch(): void {
  state.epoch++;
  state.entries.clear();
}

export function cachedVerification<T>(hash: string, now = Date.now()): T | undefined {
  if (!state.listening) return undefined;
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
  if (!state.listening || startedAt !== state.epoch) return;
  if (state.entries.size >= MAX_ENTRIES) state.entries.clear();
  state.entries.set(hash, { value, epoch: startedAt, at: now });
}

/** Subscribes this process to change notifications and turns the cache on. */
export async function startAuthCache(database: Pick<OpenDatabase, "listen">): Promise<void> {
  if (state.listening) return;
  state.stopLocal ??= onTransactionEnd(bumpAuthEpoch);
  await database.listen(
    "latchkey_auth",
    () => bumpAuthEpoch(),
    () => bumpAuthEpoch(),
  );
  state.listening = true;
}

/** For tests: turn the cache off and empty it. */
export function stopAuthCacheForTests(): void {
  state.listening = false;
  bumpAuthEpoch();
}
