import { eq, inArray, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db, OpenDatabase } from "@/db";
import { apiKeys } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { contextFor, seedFixtures } from "@/lib/testing/fixtures";
import { createApiKey } from "./core";
import { flushKeyUse, recordKeyUse } from "./usage";

// Last used is written in batches: a use costs no statement of its own, every key used since the
// last flush is updated by one statement, a busy key at most once a minute, and a use one instance
// saw earlier never overwrites a later one another instance wrote.

describe("recording key use", () => {
  let handle: OpenDatabase;
  let db: Db;
  let seq = 0;
  const statements: string[] = [];
  let counting: Db;

  beforeAll(async () => {
    handle = await createTestDatabase();
    db = handle.db;
    await seedFixtures(db);
    const dialect = new PgDialect();
    counting = new Proxy(db, {
      get(target, prop, receiver) {
        if (prop === "update" || prop === "insert") throw new Error(`recording a use must not build a query through db.${String(prop)}`);
        if (prop !== "execute") return Reflect.get(target, prop, receiver);
        return (query: SQL) => {
          statements.push(dialect.sqlToQuery(query).sql);
          return target.execute(query);
        };
      },
    });
  });
  afterAll(() => handle.close());

  async function newKeys(n: number) {
    const ctx = await contextFor(db, "admin@acme.test", "acme");
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await createApiKey(db, ctx, { name: `Used ${++seq}` })).key.id);
    return ids;
  }
  const lastUse = async (ids: string[]) =>
    Object.fromEntries(
      (
        await db
          .select({ id: apiKeys.id, at: apiKeys.lastUsedAt, ip: apiKeys.lastUsedIp, integration: apiKeys.lastUsedIntegration })
          .from(apiKeys)
          .where(inArray(apiKeys.id, ids))
      ).map((r) => [r.id, { at: r.at, ip: r.ip, integration: r.integration }]),
    );

  it("writes nothing per use, then every key used since the last flush in one statement", async () => {
    const ids = await newKeys(3);
    const t = Date.UTC(2031, 0, 2, 9);
    statements.length = 0;
    ids.forEach((id, i) => recordKeyUse(counting, id, { ip: `192.0.2.${i + 1}`, integration: i === 0 ? "billing-sync/2.1" : null }, t + i));
    expect(statements).toEqual([]);
    expect(Object.values(await lastUse(ids)).every((u) => u.at === null)).toBe(true);

    await flushKeyUse();
    expect(statements).toHaveLength(1);
    expect(await lastUse(ids)).toEqual({
      [ids[0]]: { at: new Date(t), ip: "192.0.2.1", integration: "billing-sync/2.1" },
      [ids[1]]: { at: new Date(t + 1), ip: "192.0.2.2", integration: null },
      [ids[2]]: { at: new Date(t + 2), ip: "192.0.2.3", integration: null },
    });
    // Nothing noted since: nothing written.
    await flushKeyUse();
    expect(statements).toHaveLength(1);
  });

  it("records a busy key once a minute, and a use without an address keeps the last one", async () => {
    const [id] = await newKeys(1);
    const t = Date.UTC(2031, 0, 3, 9);
    recordKeyUse(counting, id, { ip: "198.51.100.7", integration: null }, t);
    for (let s = 1; s < 60; s++) recordKeyUse(counting, id, { ip: "198.51.100.8", integration: null }, t + s * 1000);
    await flushKeyUse();
    expect((await lastUse([id]))[id]).toEqual({ at: new Date(t), ip: "198.51.100.7", integration: null });
    // A minute later, checked through /verify (no address of the key's own caller).
    recordKeyUse(counting, id, { integration: "verifier/1" }, t + 60_000);
    await flushKeyUse();
    expect((await lastUse([id]))[id]).toEqual({ at: new Date(t + 60_000), ip: "198.51.100.7", integration: "verifier/1" });
  });

  it("never replaces a later use written by another instance with an earlier one", async () => {
    const [id] = await newKeys(1);
    const later = new Date(Date.UTC(2031, 0, 4, 10));
    await db.update(apiKeys).set({ lastUsedAt: later, lastUsedIp: "203.0.113.5" }).where(eq(apiKeys.id, id));
    recordKeyUse(counting, id, { ip: "203.0.113.6", integration: null }, later.getTime() - 5_000);
    await flushKeyUse();
    expect((await lastUse([id]))[id]).toEqual({ at: later, ip: "203.0.113.5", integration: null });
  });
});
