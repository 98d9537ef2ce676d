import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { createTestDatabase } from "@/db/testing";
import { flushAccessLogs } from "@/lib/access-log/writer";
import { createApiKey } from "@/lib/api-keys/core";
import { generateSecret } from "@/lib/api-keys/format";
import { attachSocketAddress } from "@/lib/net/client-address";
import { contextFor, seedFixtures } from "@/lib/testing/fixtures";
import { callApi } from "@/lib/testing/api";

// POST /api/data/verify lets an integrating service ask about keys presented to it. Without a
// budget, one verify-scoped key would be a free oracle for guessing every other key: each miss
// must count against the caller's failed-authentication budget, as a failed sign-in would.

let opened: OpenDatabase;
let verifier: string;
const g = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase> };
const saved = process.env.LATCHKEY_AUTH_FAILURE_LIMIT;

beforeAll(async () => {
  opened = await createTestDatabase();
  await seedFixtures(opened.db);
  const ctx = await contextFor(opened.db, "admin@acme.test", "acme");
  ({ secret: verifier } = await createApiKey(opened.db, ctx, { name: "Gateway", scopes: ["verify"] }));
  g.__latchkeyDb = Promise.resolve(opened);
});

afterEach(() => {
  if (saved === undefined) delete process.env.LATCHKEY_AUTH_FAILURE_LIMIT;
  else process.env.LATCHKEY_AUTH_FAILURE_LIMIT = saved;
});

afterAll(async () => {
  g.__latchkeyDb = undefined;
  await flushAccessLogs();
  await opened?.close();
});

async function verify(token: string, from: string) {
  const req = new Request("http://localhost/api/data/verify", {
    method: "POST",
    headers: { "x-apikey": verifier, "content-type": "application/json" },
    body: JSON.stringify({ token }),
  });
  attachSocketAddress(req, from);
  const res = await callApi(req);
  return { status: res.status, body: (await res.json()) as { data?: { valid: boolean; reason: string | null }; error?: { code: string } } };
}

describe("POST /api/data/verify: guesses cost the caller's failure budget", () => {
  it("answers misses until the budget is spent, then 429 for everything from that address", async () => {
    process.env.LATCHKEY_AUTH_FAILURE_LIMIT = "3";
    const from = "198.51.100.77";
    for (let i = 0; i < 3; i++) {
      const miss = await verify(generateSecret(), from);
      expect(miss).toMatchObject({ status: 200, body: { data: { valid: false, reason: "unknown_key" } } });
    }
    const over = await verify(generateSecret(), from);
    expect(over).toMatchObject({ status: 429, body: { error: { code: "rate_limited" } } });
    // Now even a correct question is refused from there: the guessing has to stop.
    expect((await verify(verifier, from)).status).toBe(429);
    // Another address has its own budget.
    expect(await verify(verifier, "198.51.100.78")).toMatchObject({ status: 200, body: { data: { valid: true } } });
  });

  it("asking about a real key of the caller's workspace costs nothing", async () => {
    process.env.LATCHKEY_AUTH_FAILURE_LIMIT = "2";
    for (let i = 0; i < 5; i++) expect(await verify(verifier, "198.51.100.90")).toMatchObject({ status: 200, body: { data: { valid: true } } });
  });
});
