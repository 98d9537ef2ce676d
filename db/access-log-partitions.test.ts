import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { asc, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db, OpenDatabase } from "@/db";
import { accessLogs, type NewAccessLog } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";

// Migration 0012 turns access_logs into a table partitioned by day. A database is migrated up to
// 0011 here, given access-log rows, then migrated the rest of the way: every row must still be
// there, unchanged, each in its own day's partition, and the table must be what the app expects.

const MIGRATIONS = path.join(process.cwd(), "db", "migrations");
const rowsOf = <T>(result: unknown): T[] => (Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows);

/** A copy of the migrations folder that stops after `lastTag`. */
function migrationsUpTo(lastTag: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "latchkey-migrations-"));
  fs.mkdirSync(path.join(dir, "meta"));
  const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS, "meta", "_journal.json"), "utf8")) as { entries: { tag: string }[] };
  const last = journal.entries.findIndex((e) => e.tag === lastTag);
  if (last < 0) throw new Error(`no migration ${lastTag}`);
  journal.entries = journal.entries.slice(0, last + 1);
  for (const e of journal.entries) fs.copyFileSync(path.join(MIGRATIONS, `${e.tag}.sql`), path.join(dir, `${e.tag}.sql`));
  fs.writeFileSync(path.join(dir, "meta", "_journal.json"), JSON.stringify(journal));
  return dir;
}

async function migrate(handle: OpenDatabase, migrationsFolder: string): Promise<void> {
  if (handle.kind === "pglite") {
    const { migrate: run } = await import("drizzle-orm/pglite/migrator");
    await run(handle.db as never, { migrationsFolder });
  } else {
    const { migrate: run } = await import("drizzle-orm/postgres-js/migrator");
    await run(handle.db as never, { migrationsFolder });
  }
}

const all = (db: Db) => db.select().from(accessLogs).orderBy(asc(accessLogs.id));

describe("migration 0012 (access_logs partitioned by day)", () => {
  let handle: OpenDatabase;
  let upTo0011: string;

  beforeAll(async () => {
    handle = await createTestDatabase({ migrate: false });
    upTo0011 = migrationsUpTo("0011_key_usage_minutes");
  });
  afterAll(async () => {
    await handle.close();
    fs.rmSync(upTo0011, { recursive: true, force: true });
  });

  it("keeps every row written before it, each in its own day's partition, and ids go on from where they were", async () => {
    const db = handle.db;
    await migrate(handle, upTo0011);
    const [{ kind }] = rowsOf<{ kind: string }>(await db.execute(sql`select relkind::text as kind from pg_class where relname = 'access_logs'`));
    expect(kind).toBe("r"); // a plain table before

    // Written in SQL the 0011 schema takes, not through today's core (whose inserts name later columns).
    const [{ id: ws }] = rowsOf<{ id: string }>(await db.execute(sql`insert into workspaces (slug, name) values ('acme', 'Acme Inc.') returning id`));
    const [key] = rowsOf<{ id: string }>(
      await db.execute(sql`
        insert into api_keys (workspace_id, name, secret_hash, prefix, scopes)
        values (${ws}, 'Before partitions', ${"0".repeat(64)}, 'lk_Before…', '{me:read}') returning id`),
    );
    const at = [
      "2026-03-01T00:00:00.000Z",
      "2026-03-01T23:59:59.999Z",
      "2026-03-02T00:00:00.000Z",
      "2026-03-15T12:34:56.789Z",
      "2026-03-15T12:34:56.789Z",
    ];
    const rows: NewAccessLog[] = at.map((iso, i) => ({
      apiKeyId: key.id,
      workspaceId: ws,
      at: new Date(iso),
      method: i % 2 ? "POST" : "GET",
      path: `/before/${i}`,
      status: i % 2 ? 403 : 200,
      durationMs: 10 + i,
      reason: i % 2 ? "scope_missing" : null,
      ip: "203.0.113.9",
      integration: i === 3 ? "ledger-sync" : null,
      requestHeaders: i === 4 ? '{"accept":"*/*"}' : null,
      requestBody: i === 4 ? '{"n":1}' : null,
      responseBody: i === 4 ? '{"success":true}' : null,
    }));
    await db.insert(accessLogs).values(rows);
    const before = await all(db);
    expect(before).toHaveLength(5);

    await migrate(handle, MIGRATIONS);

    expect(await all(db)).toEqual(before);
    const where = rowsOf<{ id: number; part: string }>(
      await db.execute(sql`select id, tableoid::regclass::text as part from access_logs order by id`),
    );
    expect(where.map((w) => w.part)).toEqual([
      "access_logs_p20260301",
      "access_logs_p20260301",
      "access_logs_p20260302",
      "access_logs_p20260315",
      "access_logs_p20260315",
    ]);

    // Partitioned by range of at, keyed by (id, at), with the indexes it had, and a default partition.
    const [table] = rowsOf<{ kind: string; key: string; pk: string }>(
      await db.execute(sql`
        select c.relkind::text as kind, pg_get_partkeydef(c.oid) as key,
          (select pg_get_constraintdef(k.oid) from pg_constraint k where k.conrelid = c.oid and k.contype = 'p') as pk
        from pg_class c where c.relname = 'access_logs'`),
    );
    expect(table).toEqual({ kind: "p", key: "RANGE (at)", pk: "PRIMARY KEY (id, at)" });
    const indexes = rowsOf<{ name: string; def: string }>(
      await db.execute(sql`select indexname as name, indexdef as def from pg_indexes where tablename = 'access_logs' order by indexname`),
    );
    expect(indexes.map((i) => [i.name, i.def.replace(/^.* USING /, "")])).toEqual([
      ["access_logs_at_idx", "brin (at)"],
      ["access_logs_id_at_pk", "btree (id, at)"],
      ["access_logs_key_at_idx", "btree (api_key_id, at, status)"],
    ]);
    const [{ present }] = rowsOf<{ present: boolean }>(
      await db.execute(
        sql`select exists (select 1 from pg_partitioned_table p join pg_class d on d.oid = p.partdefid where d.relname = 'access_logs_default') as present`,
      ),
    );
    expect(present).toBe(true);

    const [{ seq }] = rowsOf<{ seq: string }>(await db.execute(sql`select pg_get_serial_sequence('access_logs', 'id') as seq`));
    expect(seq).toBe("public.access_logs_id_seq");
    // A new row gets the next id of the same sequence; a row for a day with no partition still lands.
    const [next] = await db
      .insert(accessLogs)
      .values({ ...rows[0], at: new Date("2019-05-05T05:05:05.000Z"), path: "/after" })
      .returning({ id: accessLogs.id });
    expect(next.id).toBeGreaterThan(Math.max(...before.map((r) => r.id)));
    const [{ part }] = rowsOf<{ part: string }>(
      await db.execute(sql`select tableoid::regclass::text as part from access_logs where path = '/after'`),
    );
    expect(part).toBe("access_logs_default");
  });
});
