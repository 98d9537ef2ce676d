import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { createTestDatabase, openThroughProxy } from "@/db/testing";
import { DATABASE_UNAVAILABLE, isConnectionFailure, OUTCOME_UNKNOWN } from "@/lib/errors";
import type { TcpProxy } from "@/lib/testing/tcp-proxy";

// A partition that nobody announces: the connection stays open and PostgreSQL's answers never
// arrive. Without a query timeout the request would wait for TCP keepalive, minutes. The proxy's
// stall() is that black hole; the watched socket (db/socket.ts) must turn it into a connection
// failure within the query timeout, and say honestly what became of a change. PostgreSQL only:
// the embedded database has no connection.

const QUERY_TIMEOUT_S = 1;
// The timeout, the watchdog's 100 ms tick, and room for a busy machine.
const ANSWER_WITHIN_MS = QUERY_TIMEOUT_S * 1000 + 1_500;

describe.runIf(!!process.env.DATABASE_URL)("a database that stops answering", () => {
  let direct: OpenDatabase & { url?: string };
  let proxied: OpenDatabase;
  let proxy: TcpProxy;

  beforeAll(async () => {
    direct = await createTestDatabase();
    await direct.db.execute(sql`create table stall_probe (id int primary key)`);
    ({ proxied, proxy } = await openThroughProxy(direct, { querySeconds: QUERY_TIMEOUT_S, connectSeconds: 2 }));
  });

  afterAll(async () => {
    proxy?.restore();
    await proxied?.close();
    await proxy?.close();
    await direct?.close();
  });

  beforeEach(async () => {
    proxy.restore();
    await direct.db.execute(sql`truncate stall_probe`);
  });

  /** How a promise settled, and how long it took. */
  async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; error?: unknown; value?: T }> {
    const started = performance.now();
    try {
      const value = await work();
      return { ms: performance.now() - started, value };
    } catch (error) {
      return { ms: performance.now() - started, error };
    }
  }

  // postgres.js answers execute() with the rows themselves.
  const rows = async () => ((await direct.db.execute(sql`select id from stall_probe order by id`)) as unknown as { id: number }[]).map((r) => r.id);

  it("fails a query the database does not answer within the timeout, and serves again once it does", async () => {
    await proxied.db.execute(sql`select 1`);
    proxy.stall();
    const stalled = await timed(() => proxied.db.execute(sql`select 1`));
    expect(stalled.error, "the stalled query must fail, not hang").toBeDefined();
    expect(isConnectionFailure(stalled.error)).toBe(true);
    expect(stalled.ms).toBeGreaterThanOrEqual(QUERY_TIMEOUT_S * 1000 - 50);
    expect(stalled.ms).toBeLessThan(ANSWER_WITHIN_MS);

    proxy.restore();
    const after = await timed(() => proxied.db.execute(sql`select 1 as one`));
    expect(after.error).toBeUndefined();
    expect(after.ms).toBeLessThan(1_000);
  });

  it("gives up within the connect timeout on a proxy that accepts connections and drops them, and recovers within a second", async () => {
    await proxied.db.execute(sql`select 1`);
    // What a load balancer or connection pooler in front of a stopped server does.
    proxy.cut();
    const cut = await timed(() => proxied.db.execute(sql`select 1`));
    expect(isConnectionFailure(cut.error)).toBe(true);
    expect(cut.ms).toBeLessThan(2_000 + 1_500);
    // A second attempt as well: the failure must not leave the pool waiting on a lost connection.
    const again = await timed(() => proxied.db.execute(sql`select 1`));
    expect(isConnectionFailure(again.error)).toBe(true);
    expect(again.ms).toBeLessThan(2_000 + 1_500);

    proxy.restore();
    const after = await timed(() => proxied.db.execute(sql`select 1 as one`));
    expect(after.error).toBeUndefined();
    expect(after.ms).toBeLessThan(1_000);
  });

  it("a transaction stalled before its COMMIT was sent changed nothing, and says so", async () => {
    const answer = await timed(() =>
      proxied.db.transaction(async (tx) => {
        await tx.execute(sql`insert into stall_probe values (1)`);
        proxy.stall();
        await tx.execute(sql`insert into stall_probe values (2)`);
      }),
    );
    expect((answer.error as Error | undefined)?.message).toBe(DATABASE_UNAVAILABLE);
    expect(answer.ms).toBeLessThan(ANSWER_WITHIN_MS);
    proxy.restore();
    // The dropped connection's transaction is rolled back by PostgreSQL.
    await expect.poll(rows, { timeout: 5_000 }).toEqual([]);
  });

  it("a COMMIT that goes unanswered is reported as outcome unknown, never as nothing changed", async () => {
    const answer = await timed(() =>
      proxied.db.transaction(async (tx) => {
        await tx.execute(sql`insert into stall_probe values (3)`);
        // The work is done; COMMIT goes out into the black hole.
        proxy.stall();
      }),
    );
    expect((answer.error as Error | undefined)?.message).toBe(OUTCOME_UNKNOWN);
    expect(answer.ms).toBeLessThan(ANSWER_WITHIN_MS);
  });

  it("a statement that runs silently longer than the timeout counts as lost too", async () => {
    const answer = await timed(() => proxied.db.execute(sql`select pg_sleep(${QUERY_TIMEOUT_S * 3})`));
    expect(isConnectionFailure(answer.error)).toBe(true);
    expect(answer.ms).toBeLessThan(ANSWER_WITHIN_MS);
  });

  it("leaves idle connections and long but flowing results alone", async () => {
    const pid = async () => ((await proxied.db.execute(sql`select pg_backend_pid() as pid`)) as unknown as { pid: number }[])[0].pid;
    const before = new Set<number>();
    // Every connection of the pool once, then idle for longer than the timeout.
    for (let i = 0; i < 12; i++) before.add(await pid());
    await new Promise((resolve) => setTimeout(resolve, QUERY_TIMEOUT_S * 1000 + 500));
    expect(before.has(await pid()), "an idle connection must survive the timeout").toBe(true);

    // Rows arriving for longer than the timeout, a little at a time, are progress, not silence
    // (each larger than PostgreSQL's 8 KiB output buffer, so each is sent as it is made).
    const flowing = await timed(() =>
      proxied.db.execute(sql`select repeat('x', 20000) as filler, pg_sleep(0.2) from generate_series(1, ${QUERY_TIMEOUT_S * 8}) g`),
    );
    expect(flowing.error).toBeUndefined();
  });
});
