import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { accessLogs } from "@/db/schema";
import { createTestDatabase, openThroughProxy } from "@/db/testing";
import { createApiKey } from "@/lib/api-keys/core";
import { contextFor, seedFixtures } from "@/lib/testing/fixtures";
import type { TcpProxy } from "@/lib/testing/tcp-proxy";
import { listAccessLogGaps } from "./query";
import { accessLogStats, enqueueAccessLog, flushAccessLogs, MAX_BUFFER } from "./writer";

// Access-log entries written while PostgreSQL is unreachable are kept and written once it is
// back, not dropped. The outage is real: a TCP proxy between the writer and the server, cut and
// restored. There is no connection to cut on the embedded database, so this runs on PostgreSQL.

describe.runIf(!!process.env.DATABASE_URL)("access-log entries across a database outage", () => {
  let direct: OpenDatabase & { url?: string };
  let proxied: OpenDatabase;
  let proxy: TcpProxy;
  let key: { id: string; workspaceId: string };

  beforeAll(async () => {
    direct = await createTestDatabase();
    await seedFixtures(direct.db);
    const ctx = await contextFor(direct.db, "admin@acme.test", "acme");
    const created = await createApiKey(direct.db, ctx, { name: "Logged through an outage" });
    key = { id: created.key.id, workspaceId: ctx.workspace.id };
    ({ proxied, proxy } = await openThroughProxy(direct));
  });

  afterAll(async () => {
    await proxied?.close();
    await proxy?.close();
    await direct?.close();
  });

  const rows = async () => (await direct.db.select({ n: count() }).from(accessLogs).where(eq(accessLogs.apiKeyId, key.id)))[0].n;
  const entry = (n: number, at = new Date()) => ({
    apiKeyId: key.id,
    workspaceId: key.workspaceId,
    at,
    method: "GET",
    path: `/api/data/me?n=${n}`,
    status: 200,
    durationMs: 3,
  });

  it("keeps what could not be written during the cut and writes it once the database is back", async () => {
    for (let i = 0; i < 40; i++) enqueueAccessLog(proxied.db, entry(i));
    await flushAccessLogs();
    expect(await rows()).toBe(40);

    proxy.cut();
    for (let i = 40; i < 100; i++) enqueueAccessLog(proxied.db, entry(i));
    await flushAccessLogs();
    // Not written, not lost: still waiting.
    expect(accessLogStats()).toEqual({ pending: 60, dropped: 0 });
    for (let i = 100; i < 110; i++) enqueueAccessLog(proxied.db, entry(i));

    proxy.restore();
    await expect
      .poll(
        async () => {
          await flushAccessLogs();
          return accessLogStats().pending;
        },
        { timeout: 15_000, interval: 200 },
      )
      .toBe(0);
    expect(await rows()).toBe(110);
    expect(accessLogStats().dropped).toBe(0);
  });

  it("sheds what the full buffer cannot hold, counts it, and records it on the key's log once the database is back", async () => {
    const before = await rows();
    proxy.cut();
    const t0 = Date.UTC(2031, 5, 1);
    for (let i = 0; i < MAX_BUFFER + 250; i++) enqueueAccessLog(proxied.db, entry(i, new Date(t0 + i)));
    await flushAccessLogs();
    expect(accessLogStats()).toEqual({ pending: MAX_BUFFER, dropped: 250 });

    proxy.restore();
    await expect
      .poll(
        async () => {
          await flushAccessLogs();
          return accessLogStats().pending;
        },
        { timeout: 30_000, interval: 200 },
      )
      .toBe(0);
    expect(await rows()).toBe(before + MAX_BUFFER);
    // The newest entries were the ones shed: the buffer kept what came first.
    const ctx = await contextFor(direct.db, "admin@acme.test", "acme");
    expect(await listAccessLogGaps(direct.db, ctx, key.id)).toEqual({
      lost: 250,
      gaps: [{ from: new Date(t0 + MAX_BUFFER), to: new Date(t0 + MAX_BUFFER + 249), lost: 250, cause: "buffer_full" }],
    });
  });
});
