import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { createTestDatabase, openThroughProxy } from "@/db/testing";
import { flushAccessLogs } from "@/lib/access-log/writer";
import { createApiKey } from "@/lib/api-keys/core";
import { contextFor, seedFixtures } from "@/lib/testing/fixtures";
import { callApi } from "@/lib/testing/api";
import type { TcpProxy } from "@/lib/testing/tcp-proxy";

// Whatever holds a request up in the database (here a stalled connection the socket watch is
// told not to notice for 30 s), the REST answer comes within DATABASE_QUERY_TIMEOUT_SECONDS: a
// read is unavailable, a change of unknown outcome. PostgreSQL only: there is no connection to
// stall on the embedded database.

describe.runIf(!!process.env.DATABASE_URL)("the request deadline", () => {
  let direct: OpenDatabase & { url?: string };
  let proxied: OpenDatabase;
  let proxy: TcpProxy;
  let secret: string;
  const g = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase> };
  const saved = process.env.DATABASE_QUERY_TIMEOUT_SECONDS;

  beforeAll(async () => {
    direct = await createTestDatabase();
    await seedFixtures(direct.db);
    ({ secret } = await createApiKey(direct.db, await contextFor(direct.db, "admin@acme.test", "acme"), { name: "Deadline" }));
    ({ proxied, proxy } = await openThroughProxy(direct, { querySeconds: 30, connectSeconds: 30 }));
    g.__latchkeyDb = Promise.resolve(proxied);
    process.env.DATABASE_QUERY_TIMEOUT_SECONDS = "1";
  });

  afterAll(async () => {
    if (saved === undefined) delete process.env.DATABASE_QUERY_TIMEOUT_SECONDS;
    else process.env.DATABASE_QUERY_TIMEOUT_SECONDS = saved;
    g.__latchkeyDb = undefined;
    proxy?.restore();
    await flushAccessLogs();
    await proxied?.close();
    await proxy?.close();
    await direct?.close();
  });

  async function timed(method: string, path: string, body?: unknown) {
    const started = performance.now();
    const res = await callApi(
      new Request(`http://localhost${path}`, {
        method,
        headers: { "x-apikey": secret, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      }),
    );
    const json = (await res.json()) as { statusCode: string; error?: { code: string } };
    return { ms: performance.now() - started, status: res.status, retryAfter: res.headers.get("retry-after"), code: json.error?.code };
  }

  it("answers a stalled read 503 database_unavailable, and a stalled change 503 outcome_unknown, within the timeout", async () => {
    expect((await timed("GET", "/api/data/me")).status).toBe(200);
    proxy.stall();
    const read = await timed("GET", "/api/data/api-keys");
    expect(read).toMatchObject({ status: 503, retryAfter: "5", code: "database_unavailable" });
    expect(read.ms).toBeLessThan(1_000 + 750);
    const change = await timed("POST", "/api/data/api-keys", { name: "Made in the dark" });
    expect(change).toMatchObject({ status: 503, retryAfter: "5", code: "outcome_unknown" });
    expect(change.ms).toBeLessThan(1_000 + 750);
    proxy.restore();
  });
});
