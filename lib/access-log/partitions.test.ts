import { count, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Db, type OpenDatabase } from "@/db";
import { accessLogs, type NewAccessLog } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { createApiKey } from "@/lib/api-keys/core";
import { contextFor, seedFixtures, workspaceId } from "@/lib/testing/fixtures";
import { DEFAULT_PARTITION, ensureAccessLogPartitions, listAccessLogPartitions, partitionName } from "./partitions";
import { enqueueAccessLog, flushAccessLogs, purgeAccessLogs } from "./writer";

// access_logs is partitioned by UTC day (migration 0012). These tests look at where rows are
// (tableoid: the partition a row is stored in) and which partitions exist (pg_inherits), on both
// databases; the concurrent ones need PostgreSQL, where instances have connections of their own.

const rowsOf = <T>(result: unknown): T[] => (Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows);

function entry(key: { id: string; workspaceId: string }, at: Date, path = "/api/data/me"): NewAccessLog {
  return { apiKeyId: key.id, workspaceId: key.workspaceId, at, method: "GET", path, status: 401, durationMs: 3, reason: "key_disabled" };
}

/** The partition each row is stored in, by path. */
async function whereAre(db: Db, paths: string[]): Promise<Record<string, string>> {
  const rows = rowsOf<{ path: string; part: string }>(
    await db.execute(
      sql`select path, tableoid::regclass::text as part from access_logs where path in (${sql.join(
        paths.map((p) => sql`${p}`),
        sql`, `,
      )})`,
    ),
  );
  return Object.fromEntries(rows.map((r) => [r.path, r.part]));
}

/** What pg_inherits says the partitions of access_logs are (the default one included). */
async function partitionsInCatalog(db: Db): Promise<string[]> {
  const rows = rowsOf<{ name: string }>(
    await db.execute(
      sql`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'access_logs'::regclass`,
    ),
  );
  return rows.map((r) => r.name).sort();
}

/** A partition's bounds as PostgreSQL states them, in UTC. */
async function boundsOf(db: Db, name: string): Promise<string> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`set local timezone = 'UTC'`);
    const [row] = rowsOf<{ bound: string }>(
      await tx.execute(sql`select pg_get_expr(relpartbound, oid) as bound from pg_class where relname = ${name}`),
    );
    return row.bound;
  });
}

async function tableExists(db: Db, name: string): Promise<boolean> {
  const [row] = rowsOf<{ present: boolean }>(await db.execute(sql`select to_regclass(${name}) is not null as present`));
  return row.present;
}

let handle: OpenDatabase & { url?: string };
let db: Db;
let key: { id: string; workspaceId: string };

beforeAll(async () => {
  handle = await createTestDatabase();
  db = handle.db;
  await seedFixtures(db);
  const { key: made } = await createApiKey(db, await contextFor(db, "admin@acme.test", "acme"), { name: "Partitioned" });
  key = { id: made.id, workspaceId: await workspaceId(db, "acme") };
});
afterAll(() => handle.close());

describe("access-log partitions", () => {
  it("makes today's partition and the next three days', and rows the writer writes land each in its own day's", async () => {
    const now = new Date("2030-06-10T12:00:00.000Z");
    expect(await ensureAccessLogPartitions(db, now, 30)).toEqual([
      "access_logs_p20300610",
      "access_logs_p20300611",
      "access_logs_p20300612",
      "access_logs_p20300613",
    ]);
    expect(await partitionsInCatalog(db)).toEqual(expect.arrayContaining(["access_logs_p20300610", "access_logs_p20300613", DEFAULT_PARTITION]));
    expect(await boundsOf(db, "access_logs_p20300611")).toBe("FOR VALUES FROM ('2030-06-11 00:00:00+00') TO ('2030-06-12 00:00:00+00')");
    // Made already: a second run makes nothing.
    expect(await ensureAccessLogPartitions(db, now, 30)).toEqual([]);

    const at: Record<string, string> = {
      "/p1/first-hour": "2030-06-10T00:00:00.000Z",
      "/p1/noon": "2030-06-10T12:00:00.000Z",
      "/p1/last-ms": "2030-06-10T23:59:59.999Z",
      "/p1/next-day": "2030-06-11T00:00:00.000Z",
      "/p1/third-day": "2030-06-12T18:30:00.000Z",
      "/p1/fourth-day": "2030-06-13T06:00:00.000Z",
    };
    for (const [path, iso] of Object.entries(at)) enqueueAccessLog(db, entry(key, new Date(iso), path));
    await flushAccessLogs();
    expect(await whereAre(db, Object.keys(at))).toEqual({
      "/p1/first-hour": "access_logs_p20300610",
      "/p1/noon": "access_logs_p20300610",
      "/p1/last-ms": "access_logs_p20300610",
      "/p1/next-day": "access_logs_p20300611",
      "/p1/third-day": "access_logs_p20300612",
      "/p1/fourth-day": "access_logs_p20300613",
    });
  });

  it("keeps a row for a day with no partition in the default partition, and moves it into the day's partition when that is made", async () => {
    await db
      .insert(accessLogs)
      .values([entry(key, new Date("2030-07-01T08:00:00.000Z"), "/p2/a"), entry(key, new Date("2030-07-01T09:00:00.000Z"), "/p2/b")]);
    expect(await whereAre(db, ["/p2/a", "/p2/b"])).toEqual({ "/p2/a": DEFAULT_PARTITION, "/p2/b": DEFAULT_PARTITION });
    const before = await db
      .select()
      .from(accessLogs)
      .where(inArray(accessLogs.path, ["/p2/a", "/p2/b"]))
      .orderBy(accessLogs.id);
    expect(before).toHaveLength(2);

    // A run for a "now" whose retention period reaches that day makes its partition too.
    const made = await ensureAccessLogPartitions(db, new Date("2030-06-20T00:00:00.000Z"), 30);
    expect(made).toContain("access_logs_p20300701");
    expect(await whereAre(db, ["/p2/a", "/p2/b"])).toEqual({ "/p2/a": "access_logs_p20300701", "/p2/b": "access_logs_p20300701" });
    // The same rows, ids and all.
    expect(
      await db
        .select()
        .from(accessLogs)
        .where(inArray(accessLogs.path, ["/p2/a", "/p2/b"]))
        .orderBy(accessLogs.id),
    ).toEqual(before);
    // Later rows of that day go straight to it.
    await db.insert(accessLogs).values(entry(key, new Date("2030-07-01T23:00:00.000Z"), "/p2/c"));
    expect((await whereAre(db, ["/p2/c"]))["/p2/c"]).toBe("access_logs_p20300701");
  });

  it("purge drops the partitions of days wholly past the retention period, keeps the day of the cut-off and later, and deletes old rows from the default partition", async () => {
    const now = new Date("2030-09-20T06:00:00.000Z");
    // Partitions for 18-21 August (made as of then), and for 20-23 September.
    await ensureAccessLogPartitions(db, new Date("2030-08-18T12:00:00.000Z"), 30);
    await ensureAccessLogPartitions(db, now, 30);
    const rows: [string, string][] = [
      ["/p3/18-aug", "2030-08-18T10:00:00.000Z"],
      ["/p3/20-aug-last-ms", "2030-08-20T23:59:59.999Z"],
      // 30 days before `now` is 21 August 06:00: this row is older, but its day straddles the cut-off.
      ["/p3/21-aug-before-cutoff", "2030-08-21T05:59:59.999Z"],
      ["/p3/21-aug-after-cutoff", "2030-08-21T07:00:00.000Z"],
      ["/p3/now", "2030-09-20T06:00:00.000Z"],
      // No partition was ever made for 1 August: in the default partition, and past retention.
      ["/p3/1-aug-default", "2030-08-01T00:00:00.000Z"],
    ];
    await db.insert(accessLogs).values(rows.map(([path, iso]) => entry(key, new Date(iso), path)));
    expect((await whereAre(db, ["/p3/1-aug-default"]))["/p3/1-aug-default"]).toBe(DEFAULT_PARTITION);
    const expired = (await listAccessLogPartitions(db)).filter((p) => p.to <= new Date("2030-08-21T00:00:00.000Z")).map((p) => p.name);
    expect(expired).toEqual(expect.arrayContaining(["access_logs_p20300818", "access_logs_p20300819", "access_logs_p20300820"]));
    expect(expired).not.toContain("access_logs_p20300821");

    expect(await purgeAccessLogs(db, now, 30)).toEqual({ partitions: expired, rows: 1 });
    // The tables themselves are gone, not emptied.
    for (const name of expired) expect(await tableExists(db, name), name).toBe(false);
    expect(await partitionsInCatalog(db)).not.toContain("access_logs_p20300818");
    expect(await tableExists(db, "access_logs_p20300821")).toBe(true);
    expect(
      Object.keys(
        await whereAre(
          db,
          rows.map(([p]) => p),
        ),
      ).sort(),
    ).toEqual(["/p3/21-aug-after-cutoff", "/p3/21-aug-before-cutoff", "/p3/now"]);
    // Nothing more to do a second time.
    expect(await purgeAccessLogs(db, now, 30)).toEqual({ partitions: [], rows: 0 });
    // Reads through the table still find what is kept.
    const [{ n }] = await db.select({ n: count() }).from(accessLogs).where(eq(accessLogs.path, "/p3/now"));
    expect(n).toBe(1);
  });
});

// Two instances are two connection pools; PGlite has one connection, so these need PostgreSQL.
describe.runIf(!!process.env.DATABASE_URL)("access-log partitions with several instances and the writer at once", () => {
  let other: OpenDatabase;
  beforeAll(async () => {
    other = await openDatabase({ url: handle.url!, migrate: false });
  });
  afterAll(() => other.close());

  it("two instances' maintenance at the same moment both succeed, and each partition is made once and dropped once", async () => {
    const now = new Date("2031-01-10T12:00:00.000Z");
    // Rows of days with no partition, for the runs to move.
    await db
      .insert(accessLogs)
      .values([entry(key, new Date("2031-01-20T01:00:00.000Z"), "/c1/a"), entry(key, new Date("2031-01-25T01:00:00.000Z"), "/c1/b")]);
    const runs = await Promise.all([
      ensureAccessLogPartitions(db, now, 30),
      ensureAccessLogPartitions(other.db, now, 30),
      ensureAccessLogPartitions(db, now, 30),
      ensureAccessLogPartitions(other.db, now, 30),
    ]);
    // A run that finds another at work skips that step; run once more, as the timer would.
    runs.push(await ensureAccessLogPartitions(other.db, now, 30));
    const made = runs.flat().sort();
    expect(made).toEqual([
      "access_logs_p20310110",
      "access_logs_p20310111",
      "access_logs_p20310112",
      "access_logs_p20310113",
      "access_logs_p20310120",
      "access_logs_p20310125",
    ]);
    expect(await whereAre(db, ["/c1/a", "/c1/b"])).toEqual({ "/c1/a": "access_logs_p20310120", "/c1/b": "access_logs_p20310125" });

    const later = new Date("2031-03-01T00:00:00.000Z");
    const expired = (await listAccessLogPartitions(db)).filter((p) => p.to <= new Date("2031-01-30T00:00:00.000Z")).map((p) => p.name);
    const purges = await Promise.all([purgeAccessLogs(db, later, 30), purgeAccessLogs(other.db, later, 30)]);
    purges.push(await purgeAccessLogs(other.db, later, 30));
    expect(purges.flatMap((p) => p.partitions).sort()).toEqual([...expired].sort());
    for (const name of expired) expect(await tableExists(db, name), name).toBe(false);
  });

  it("an insert that arrives while a partition is being made waits for it and lands in it, neither refused nor lost", async () => {
    const day = new Date("2031-04-02T00:00:00.000Z");
    const now = new Date("2031-03-20T00:00:00.000Z");
    await ensureAccessLogPartitions(db, now, 30); // so that the run below has only that day to make
    await db.insert(accessLogs).values(entry(key, new Date("2031-04-02T10:00:00.000Z"), "/c2/stray"));
    // A reader of the default partition holds the attach back, so the insert below is made while
    // the partition is half made (the moment a row routed to the default partition would be refused).
    const reader = await openDatabase({ url: handle.url!, migrate: false });
    let release = () => {};
    let held = () => {};
    const holdingLock = new Promise<void>((resolve) => (held = resolve));
    const holding = reader.db.transaction(async (tx) => {
      await tx.execute(sql`select count(*) from ${sql.identifier(DEFAULT_PARTITION)}`);
      held();
      await new Promise<void>((resolve) => (release = resolve));
    });
    await Promise.race([holdingLock, holding]);
    // Until a statement (by its text) waits for a lock.
    const waiting = async (what: string) => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const [{ n }] = rowsOf<{ n: number }>(
          await reader.db.execute(sql`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query ilike ${`%${what}%`}`),
        );
        if (n > 0) return;
        if (Date.now() > deadline) throw new Error(`no "${what}" waited for a lock within 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    try {
      const making = ensureAccessLogPartitions(other.db, now, 30);
      await waiting("attach partition");
      // (A query builder runs when it is awaited or executed: executed here, awaited below.)
      const inserting = db
        .insert(accessLogs)
        .values(entry(key, new Date("2031-04-02T11:00:00.000Z"), "/c2/during"))
        .execute();
      await waiting("insert into");
      release();
      await holding;
      expect(await making).toEqual([partitionName(day)]);
      await inserting;
    } finally {
      release();
      await reader.close();
    }
    expect(await whereAre(db, ["/c2/stray", "/c2/during"])).toEqual({ "/c2/stray": "access_logs_p20310402", "/c2/during": "access_logs_p20310402" });
  });
});
