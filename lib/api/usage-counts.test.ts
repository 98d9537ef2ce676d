import { and, count, eq, sum } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { accessLogs, keyUsageMinutes } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { flushAccessLogs } from "@/lib/access-log/writer";
import { createApiKey, updateApiKey } from "@/lib/api-keys/core";
import { attachSocketAddress } from "@/lib/net/client-address";
import { contextFor, seedFixtures } from "@/lib/testing/fixtures";
import { callApi } from "@/lib/testing/api";

// Every request made with a key is counted (the usage chart reads the counts); a full access-log
// row is kept only for refusals and for keys with request or response logging on. N requests are
// N counted, whichever way they went.

let opened: OpenDatabase;
const g = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase> };

beforeAll(async () => {
  opened = await createTestDatabase();
  await seedFixtures(opened.db);
  g.__latchkeyDb = Promise.resolve(opened);
});

afterAll(async () => {
  g.__latchkeyDb = undefined;
  await flushAccessLogs();
  await opened?.close();
});

async function call(method: string, path: string, secret: string) {
  const req = new Request(`http://localhost${path}`, { method, headers: { "x-apikey": secret } });
  attachSocketAddress(req, "192.0.2.77");
  return (await callApi(req)).status;
}

async function counted(keyId: string) {
  const [c] = await opened.db
    .select({ succeeded: sum(keyUsageMinutes.succeeded).mapWith(Number), refused: sum(keyUsageMinutes.refused).mapWith(Number) })
    .from(keyUsageMinutes)
    .where(eq(keyUsageMinutes.apiKeyId, keyId));
  const [rows] = await opened.db
    .select({ n: count() })
    .from(accessLogs)
    .where(and(eq(accessLogs.apiKeyId, keyId)));
  return { succeeded: c.succeeded ?? 0, refused: c.refused ?? 0, rows: rows.n };
}

describe("request counts and access-log rows", () => {
  it("counts every request; keeps rows only for refusals unless the key logs", async () => {
    const ctx = await contextFor(opened.db, "admin@acme.test", "acme");
    const quiet = await createApiKey(opened.db, ctx, { name: "Counted only", scopes: ["me:read"] });
    const logged = await createApiKey(opened.db, ctx, { name: "Logged" });
    await updateApiKey(opened.db, ctx, logged.key.id, { logRequests: true });

    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push(await call("GET", "/api/data/me", quiet.secret));
    // The key lacks the api_keys scope: refused, and the refusal keeps its row.
    for (let i = 0; i < 3; i++) statuses.push(await call("GET", "/api/data/api-keys", quiet.secret));
    for (let i = 0; i < 4; i++) statuses.push(await call("GET", "/api/data/me", logged.secret));
    expect(statuses).toEqual([...Array(7).fill(200), ...Array(3).fill(403), ...Array(4).fill(200)]);

    await flushAccessLogs();
    expect(await counted(quiet.key.id)).toEqual({ succeeded: 7, refused: 3, rows: 3 });
    expect(await counted(logged.key.id)).toEqual({ succeeded: 4, refused: 0, rows: 4 });
    // A second flush adds nothing: each request is counted once.
    await flushAccessLogs();
    expect(await counted(quiet.key.id)).toEqual({ succeeded: 7, refused: 3, rows: 3 });
  });
});
