import "server-only";
import { randomUUID } from "node:crypto";
import { onTransactionEnd, type OpenDatabase } from "@/db";

// Verified keys are cached per instance so the hot path usually needs no query at all.
//
// Invalidation is targeted. Each entry depends on its key, its workspace and its owner; triggers
// (db/migrations/0010) NOTIFY every instance of exactly what changed — `k:<key id>`,
// `w:<workspace id>`, `u:<user id>` (a user, or one of their memberships) — and each instance
// evicts only the entries that depend on it. A change in workspace A never touches workspace B's
// entries. A payload this code does not know (an older instance's) empties the cache.
//
// The instance that made a change must refuse on its very next request, before its own
// notifications have come back. So after every transaction this process ends (db/index.ts
// onTransactionEnd, whatever code path ran it) it sends a sync token through the pool and stops
// reading the cache until it hears that token on its LISTEN connection: PostgreSQL delivers
// notifications in commit order, so by then the change's own notifications have arrived and done
// their eviction. Meanwhile verifications read the database (a few milliseconds).
//
// A lookup may race a change: it read the old row, the change's notification arrives, then the
// lookup stores what it read. So every eviction is numbered, and a lookup stores its result only
// if nothing it depends on was evicted since it started.
//
// A notification that cannot arrive must never leave a revoked key accepted. So the cache is on
// only while this instance keeps hearing its own heartbeat: it NOTIFYs a ping through the pool
// every HEARTBEAT_MS and must hear it back on the LISTEN connection within HEARTBEAT_STALE_MS.
// A LISTEN connection that closes turns the cache off at once; one that goes silent (a partition),
// a database that is down, or notifications delayed by a backlog turn it off within that window (every verification reads the database, which then answers or is a 503),
// and when the heartbeat returns everything cached before is forgotten. A sync token unheard
// for as long does the same. With that, entries can live long; the TTL only bounds the rare
// case nothing else covers. Memory is bounded by evicting the least recently used entry.
// LISTEN needs a direct, session-level connection: behind PgBouncer in transaction mode it never
// hears anything, so the cache simply stays off.

const CACHE_TTL_MS = 10 * 60_000;
const MAX_ENTRIES = 50_000;
const HEARTBEAT_MS = 250;
/** The longest a heartbeat (or a sync token) may go unheard before the cache turns itself off. */
export const HEARTBEAT_STALE_MS = 1_000;
const CHANNEL = "latchkey_auth";
/** Evictions remembered for lookups in flight; past it, every lookup in flight is treated as stale. */
const MAX_REMEMBERED_EVICTIONS = 10_000;

/** What an entry depends on: `k:<key id>`, `w:<workspace id>`, `u:<owner id>`. */
export type Dependency = `${"k" | "w" | "u"}:${string}`;

interface Entry<T> {
  value: T;
  deps: readonly Dependency[];
  at: number;
}

interface CacheState {
  /** Numbers every eviction; a lookup remembers the number it started at. */
  generation: number;
  /** The generation of the last eviction of everything. */
  clearedAt: number;
  /** The generation at which each dependency was last evicted (recent ones only). */
  evictedAt: Map<string, number>;
  listening: boolean;
  /** When this instance last heard its own heartbeat (ms); 0: not yet. */
  lastHeard: number;
  heartbeat?: ReturnType<typeof setInterval>;
  /** Unsubscribes from this process's own transactions. */
  stopLocal?: () => void;
  /** Sync tokens sent after this process's own transactions and not heard back yet, with when. */
  syncs: Map<string, number>;
  sendSync?: () => void;
  /** Entries by key hash, least recently used first. */
  entries: Map<string, Entry<unknown>>;
  /** Entries by dependency. */
  dependents: Map<string, Set<string>>;
}

const g = globalThis as unknown as { __latchkeyVerificationCache?: CacheState };
const state: CacheState = (g.__latchkeyVerificationCache ??= {
  generation: 0,
  clearedAt: 0,
  evictedAt: new Map(),
  listening: false,
  lastHeard: 0,
  syncs: new Map(),
  entries: new Map(),
  dependents: new Map(),
});

/** Is the cache to be trusted now: subscribed, the heartbeat heard recently, no sync lost? */
function live(now: number): boolean {
  if (!state.listening || now - state.lastHeard > HEARTBEAT_STALE_MS) return false;
  for (const sent of state.syncs.values()) {
    if (now - sent <= HEARTBEAT_STALE_MS) break; // in order of sending: the rest are younger
    // A notification may have been lost with it: trust nothing cached before.
    state.syncs.clear();
    clearVerificationCache();
    break;
  }
  return true;
}

/** The heartbeat came back. If it had been late, notifications may have been lost meanwhile. */
function heartbeatHeard(now = Date.now()): void {
  if (now - state.lastHeard > HEARTBEAT_STALE_MS) clearVerificationCache();
  state.lastHeard = now;
}

/** Where a lookup starts: pass it to cacheVerification. */
export const cacheGeneration = (): number => state.generation;

/** Forgets every cached verification. */
export function clearVerificationCache(): void {
  state.generation++;
  state.clearedAt = state.generation;
  state.evictedAt.clear();
  state.entries.clear();
  state.dependents.clear();
}

function remove(hash: string): void {
  const entry = state.entries.get(hash);
  if (!entry) return;
  state.entries.delete(hash);
  for (const dep of entry.deps) {
    const set = state.dependents.get(dep);
    set?.delete(hash);
    if (set?.size === 0) state.dependents.delete(dep);
  }
}

/** Forgets the entries that depend on what changed. */
export function evictDependents(deps: Iterable<string>): void {
  state.generation++;
  if (state.evictedAt.size >= MAX_REMEMBERED_EVICTIONS) {
    state.evictedAt.clear();
    state.clearedAt = state.generation; // lookups in flight can no longer tell: none may store
  }
  for (const dep of deps) {
    state.evictedAt.set(dep, state.generation);
    const hashes = state.dependents.get(dep);
    if (hashes) for (const hash of [...hashes]) remove(hash);
  }
}

export function cachedVerification<T>(hash: string, now = Date.now()): T | undefined {
  if (!live(now) || state.syncs.size > 0) return undefined;
  const entry = state.entries.get(hash) as Entry<T> | undefined;
  if (!entry) return undefined;
  if (now - entry.at > CACHE_TTL_MS) {
    remove(hash);
    return undefined;
  }
  // Most recently used goes last.
  state.entries.delete(hash);
  state.entries.set(hash, entry);
  return entry.value;
}

/** Stores a lookup that started at `startedAt`, unless something it depends on changed since. */
export function cacheVerification<T>(hash: string, value: T, deps: readonly Dependency[], startedAt: number, now = Date.now()): void {
  if (!live(now) || state.clearedAt > startedAt) return;
  for (const dep of deps) if ((state.evictedAt.get(dep) ?? -1) > startedAt) return;
  remove(hash);
  if (state.entries.size >= MAX_ENTRIES) remove(state.entries.keys().next().value!);
  state.entries.set(hash, { value, deps, at: now });
  for (const dep of deps) {
    let set = state.dependents.get(dep);
    if (!set) state.dependents.set(dep, (set = new Set()));
    set.add(hash);
  }
}

/** A notification on the channel: a heartbeat, a sync token, or what changed. */
function heard(payload: string, ping: string): void {
  if (payload.startsWith("ping:")) {
    // Another instance's ping says nothing about what this connection may have missed.
    if (payload === ping) heartbeatHeard();
    return;
  }
  if (payload.startsWith("sync:")) {
    state.syncs.delete(payload);
    return;
  }
  if (/^[kwu]:[0-9a-f-]{36}$/i.test(payload)) return evictDependents([payload.toLowerCase()]);
  clearVerificationCache();
}

/**
 * Subscribes this process to change notifications and starts the heartbeat that keeps the cache
 * on. Resolves once the first heartbeat is heard, or after HEARTBEAT_STALE_MS with the cache
 * still off (it turns on by itself when one is heard).
 */
export async function startAuthCache(database: Pick<OpenDatabase, "listen" | "notify">): Promise<void> {
  if (state.listening) return;
  const ping = `ping:${randomUUID()}`;
  let firstHeard: () => void = () => {};
  const first = new Promise<void>((resolve) => (firstHeard = resolve));
  state.sendSync = () => {
    const token = `sync:${randomUUID()}`;
    state.syncs.set(token, Date.now());
    // Not heard back within the window (the notify failed, or was lost): see live().
    void database.notify(CHANNEL, token).catch(() => {});
  };
  state.stopLocal ??= onTransactionEnd(() => state.sendSync?.());
  await database.listen(
    CHANNEL,
    (payload) => {
      heard(payload, ping);
      if (payload === ping) firstHeard();
    },
    // (Re)subscribed: whatever was notified before may have been missed.
    () => clearVerificationCache(),
    // The listening connection closed: off at once, until the heartbeat is heard again (which
    // then forgets everything cached before).
    () => {
      state.lastHeard = 0;
    },
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

/** What the cache holds, for tests and the health figures. */
export function verificationCacheSize(): number {
  return state.entries.size;
}

/** For tests: resolves once every sync token this process sent has come back (at most a second). */
export async function cacheSettled(): Promise<void> {
  for (const until = Date.now() + HEARTBEAT_STALE_MS; state.syncs.size > 0 && Date.now() < until;)
    await new Promise((resolve) => setTimeout(resolve, 5));
}

/** For tests: turn the cache off and empty it. */
export function stopAuthCacheForTests(): void {
  state.listening = false;
  clearInterval(state.heartbeat);
  state.heartbeat = undefined;
  state.lastHeard = 0;
  state.syncs.clear();
  clearVerificationCache();
}
