import "server-only";
import { millisecondsInDay } from "date-fns/constants";
import { sql } from "drizzle-orm";
import type { Db, DbOrTx, Tx } from "@/db";
import { addUtcDays, subUtcDays } from "@/lib/dates";

// access_logs is partitioned by range of `at`, one partition per UTC day (access_logs_pYYYYMMDD),
// plus access_logs_default for a row whose day has no partition (migration 0012 says why a day).
// Here: partitions are made ahead (today and the next few days) at boot and on the purge timer,
// rows that landed in the default partition are moved into their day's partition when it is
// made, and a day wholly past the retention period is dropped as a table, never DELETEd row by
// row. Retention is therefore by whole days: a row is kept at least the retention period and goes
// within a day after it (the first purge after its whole day is past). Deleting the rows of the
// one day that straddles the cut-off would make it exact, but with a purge every 10 minutes that
// DELETE would reach every row before its partition was dropped, which is the cost partitioning
// is here to avoid.
//
// Several instances run this at once, and the writer inserts meanwhile. Each step (one partition
// made or dropped) is its own transaction under one advisory lock taken with try: an instance
// that finds another at work skips that step (the other does it, or the next run does), and re-
// checks under the lock whether it is still to do. A step waits at most 2 s for a table lock,
// since it holds others' writes back meanwhile; one that cannot get it fails, ends that run, and
// is tried again at the next, days before the partition is needed.

/** Today's partition and this many days' after it are made ahead. */
export const PARTITION_DAYS_AHEAD = 3;
export const DEFAULT_PARTITION = "access_logs_default";
const PARTITION_NAME = /^access_logs_p(\d{4})(\d{2})(\d{2})$/;
// The migrator's lock is 724411 (db/index.ts).
const MAINTENANCE_LOCK = 724412;

export interface AccessLogPartition {
  name: string;
  /** The day's first instant (inclusive) and the next day's (exclusive), UTC. */
  from: Date;
  to: Date;
}

export const startOfUtcDay = (date: Date | number): Date => new Date(Math.floor(new Date(date).getTime() / millisecondsInDay) * millisecondsInDay);

/** The partition that holds the UTC day of `date`. */
export const partitionName = (date: Date | number): string => `access_logs_p${startOfUtcDay(date).toISOString().slice(0, 10).replaceAll("-", "")}`;

/** The first day whose rows are kept, `days` back from `now`: everything before it may go. */
export const firstKeptDay = (now: Date, days: number): Date => startOfUtcDay(subUtcDays(now, days));

// postgres.js returns the rows themselves, PGlite an object holding them.
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;
}

/** The day partitions of access_logs (not the default one), oldest first. */
export async function listAccessLogPartitions(db: DbOrTx): Promise<AccessLogPartition[]> {
  const rows = rowsOf<{ name: string }>(
    await db.execute(sql`
      select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'public.access_logs'::regclass`),
  );
  const out: AccessLogPartition[] = [];
  for (const { name } of rows) {
    const m = PARTITION_NAME.exec(name);
    if (!m) continue;
    const from = new Date(`${m[1]}-${m[2]}-${m[3]}T00:00:00.000Z`);
    out.push({ name, from, to: addUtcDays(from, 1) });
  }
  return out.sort((a, b) => a.from.getTime() - b.from.getTime());
}

/** Runs one maintenance step unless another instance holds the lock (then null). */
async function whileLocked<T>(db: Db, step: (tx: Tx) => Promise<T>): Promise<T | null> {
  return db.transaction(async (tx) => {
    const [{ locked }] = rowsOf<{ locked: boolean }>(await tx.execute(sql.raw(`select pg_try_advisory_xact_lock(${MAINTENANCE_LOCK}) as locked`)));
    if (!locked) return null;
    await tx.execute(sql`set local lock_timeout = '2s'`);
    return step(tx);
  });
}

async function partitionExists(tx: Tx, name: string): Promise<boolean> {
  const [{ present }] = rowsOf<{ present: boolean }>(await tx.execute(sql`select to_regclass(${`public.${name}`}) is not null as present`));
  return present;
}

/**
 * Makes the partition of the UTC day starting at `day`, moving into it the rows of that day that
 * are in the default partition. Built beside the table and then attached. Meanwhile the parent is
 * locked against writes (SHARE; reads go on): an insert routes its rows when it starts, so one
 * that began before the attach and chose the default partition for a row of this day would be
 * refused by the default partition's new constraint; held back instead, it routes afresh once the
 * partition is there. The referenced tables are locked before it, in the order a cascading delete
 * takes them (workspaces, api_keys, access_logs), since adding the partition's foreign keys locks
 * them: taken after, a key deleted meanwhile could deadlock with this. The writer's batches only
 * wait the few milliseconds this takes. False when the partition exists already or another
 * instance is at work.
 */
async function makePartition(db: Db, day: Date): Promise<boolean> {
  const name = partitionName(day);
  const from = day.toISOString();
  const to = addUtcDays(day, 1).toISOString();
  const made = await whileLocked(db, async (tx) => {
    if (await partitionExists(tx, name)) return false;
    await tx.execute(sql`lock table workspaces, api_keys in share row exclusive mode`);
    await tx.execute(sql`lock table only access_logs in share mode`);
    await tx.execute(sql`create table ${sql.identifier(name)} (like access_logs)`);
    await tx.execute(sql`
      with moved as (delete from ${sql.identifier(DEFAULT_PARTITION)} where at >= ${from}::timestamptz and at < ${to}::timestamptz returning *)
      insert into ${sql.identifier(name)} select * from moved`);
    // Bounds are DDL, not parameters; both are ISO instants made here from a Date.
    await tx.execute(sql.raw(`alter table access_logs attach partition "${name}" for values from ('${from}') to ('${to}')`));
    return true;
  });
  return made === true;
}

/**
 * Makes the partitions of today and the next PARTITION_DAYS_AHEAD days, and of every day still
 * within the retention period that has rows in the default partition (an instance whose clock is
 * off, or a day nobody had made yet), moving those rows into it. Returns the partitions made.
 */
export async function ensureAccessLogPartitions(db: Db, now: Date, days: number): Promise<string[]> {
  const wanted = new Map<string, Date>();
  for (let i = 0; i <= PARTITION_DAYS_AHEAD; i++) {
    const day = addUtcDays(startOfUtcDay(now), i);
    wanted.set(partitionName(day), day);
  }
  const strays = rowsOf<{ day: string }>(
    await db.execute(sql`
      select distinct to_char(at at time zone 'UTC', 'YYYY-MM-DD') as day from ${sql.identifier(DEFAULT_PARTITION)}
      where at >= ${firstKeptDay(now, days).toISOString()}::timestamptz`),
  );
  for (const { day } of strays) {
    const start = new Date(`${day}T00:00:00.000Z`);
    wanted.set(partitionName(start), start);
  }
  const existing = new Set((await listAccessLogPartitions(db)).map((p) => p.name));
  const made: string[] = [];
  for (const [name, day] of [...wanted].sort(([a], [b]) => a.localeCompare(b)))
    if (!existing.has(name) && (await makePartition(db, day))) made.push(name);
  return made;
}

/**
 * Drops every partition whose whole day is before the first kept day (`days` back from `now`),
 * and deletes the rows before that day from the default partition (only rows whose day never
 * had a partition are there). Returns the partitions dropped and the rows deleted.
 */
export async function dropExpiredAccessLogs(db: Db, now: Date, days: number): Promise<{ partitions: string[]; rows: number }> {
  const keepFrom = firstKeptDay(now, days);
  const partitions: string[] = [];
  for (const p of await listAccessLogPartitions(db)) {
    if (p.to > keepFrom) break;
    // DROP locks the parent briefly (ACCESS EXCLUSIVE): a DETACH first would take the same lock.
    const dropped = await whileLocked(db, async (tx) => {
      if (!(await partitionExists(tx, p.name))) return false;
      await tx.execute(sql`drop table ${sql.identifier(p.name)}`);
      return true;
    });
    if (dropped) partitions.push(p.name);
  }
  const [{ n }] = rowsOf<{ n: number }>(
    await db.execute(sql`
      with gone as (delete from ${sql.identifier(DEFAULT_PARTITION)} where at < ${keepFrom.toISOString()}::timestamptz returning 1)
      select count(*)::int as n from gone`),
  );
  return { partitions, rows: n };
}
