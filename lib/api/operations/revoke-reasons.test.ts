import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { apiKeys } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { flushAccessLogs } from "@/lib/access-log/writer";
import { createApiKey } from "@/lib/api-keys/core";
import { callApi } from "@/lib/testing/api";
import { contextFor, seedFixtures, snapshotOf } from "@/lib/testing/fixtures";

// DELETE /api/data/api-keys/{id}/revoke and …/revoke-all with a reason (body or query), and
// POST /api/data/verify saying why a revoked key was revoked.

let opened: OpenDatabase;
const g = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase> };
let adminSecret: string;
let adminKeyId: string;
let seq = 0;

beforeAll(async () => {
  opened = await createTestDatabase();
  await seedFixtures(opened.db);
  g.__latchkeyDb = Promise.resolve(opened);
  const made = await createApiKey(opened.db, await contextFor(opened.db, "admin@acme.test", "acme"), { name: "REST admin" });
  ({ secret: adminSecret } = made);
  adminKeyId = made.key.id;
});

afterAll(async () => {
  g.__latchkeyDb = undefined;
  await flushAccessLogs();
  await opened?.close();
});

interface Answer {
  status: number;
  body: {
    data?: Record<string, unknown> & { key?: Record<string, unknown> };
    error?: { code: string; message: string; validationErrors?: Record<string, string[]> };
  };
}

async function send(method: string, path: string, opts: { secret?: string; json?: unknown; form?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { "x-apikey": opts.secret ?? adminSecret, "x-forwarded-for": "198.51.100.31" };
  let body: string | undefined;
  if (opts.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(opts.json);
  } else if (opts.form !== undefined) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = opts.form;
  }
  const res = await callApi(new Request(`http://localhost${path}`, { method, headers, body }));
  return { status: res.status, body: await res.json() };
}

async function newKey(workspace = "acme") {
  const email = workspace === "acme" ? "admin@acme.test" : "admin@globex.test";
  return createApiKey(opened.db, await contextFor(opened.db, email, workspace), { name: `Target ${++seq}` });
}

const stored = async (id: string) =>
  (
    await opened.db.select({ r: apiKeys.revokedReason, t: apiKeys.revokedReasonText, at: apiKeys.revokedAt }).from(apiKeys).where(eq(apiKeys.id, id))
  )[0];

describe("DELETE /api/data/api-keys/{id}/revoke", () => {
  it("keeps a reason given in a JSON body, and answers with it", async () => {
    const { key } = await newKey();
    const res = await send("DELETE", `/api/data/api-keys/${key.id}/revoke`, { json: { reason: "other", reasonText: " moved to the vault " } });
    expect(res.status).toBe(200);
    expect(res.body.data?.key).toMatchObject({ state: "revoked", revokedReason: "other", revokedReasonText: "moved to the vault" });
    expect(await stored(key.id)).toMatchObject({ r: "other", t: "moved to the vault" });
  });

  it("takes the reason from a form body or from the query", async () => {
    const a = await newKey();
    expect((await send("DELETE", `/api/data/api-keys/${a.key.id}/revoke`, { form: "reason=superseded" })).status).toBe(200);
    expect(await stored(a.key.id)).toMatchObject({ r: "superseded", t: null });
    const b = await newKey();
    expect((await send("DELETE", `/api/data/api-keys/${b.key.id}/revoke?reason=compromised`)).status).toBe(200);
    expect(await stored(b.key.id)).toMatchObject({ r: "compromised" });
  });

  it("stores no reason when none is sent: it does not invent one", async () => {
    const { key } = await newKey();
    const res = await send("DELETE", `/api/data/api-keys/${key.id}/revoke`);
    expect(res.status).toBe(200);
    expect(res.body.data?.key).toMatchObject({ state: "revoked", revokedReason: null, revokedReasonText: null });
    expect(await stored(key.id)).toMatchObject({ r: null, t: null });
  });

  it.each([
    ["an unknown reason", { json: { reason: "stolen" } }, "", { reason: [expect.stringContaining('Unknown reason "stolen"')] }],
    ["other without its text", { json: { reason: "other" } }, "", { reasonText: [expect.stringContaining('when the reason is "other"')] }],
    ["a text with another reason", { json: { reason: "superseded", reasonText: "x" } }, "", { reasonText: [expect.any(String)] }],
    ["an unknown field", { json: { reason: "superseded", reasn: "x" } }, "", { _form: ['Unknown field "reasn": send reason and reasonText.'] }],
    ["an unknown reason in the query", {}, "?reason=lost", { reason: [expect.stringContaining('Unknown reason "lost"')] }],
    [
      "the body and the query both",
      { json: { reason: "superseded" } },
      "?reason=compromised",
      { reason: ["Give the reason in the body or in the query, not both."] },
    ],
  ])("%s: 400 validation_failed, and nothing changes", async (_what, opts, query, validationErrors) => {
    const { key, secret } = await newKey();
    const before = await snapshotOf(opened.db, { apiKeys: true });
    const res = await send("DELETE", `/api/data/api-keys/${key.id}/revoke${query}`, opts);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "validation_failed", validationErrors });
    expect(await snapshotOf(opened.db, { apiKeys: true })).toBe(before);
    expect((await send("GET", "/api/data/me", { secret })).status).toBe(200);
  });

  it("another workspace's key is not found, reason or not", async () => {
    const { key } = await newKey("globex");
    const res = await send("DELETE", `/api/data/api-keys/${key.id}/revoke`, { json: { reason: "compromised" } });
    expect(res.status).toBe(404);
    expect(await stored(key.id)).toMatchObject({ r: null, at: null });
  });
});

describe("DELETE /api/data/api-keys/revoke-all", () => {
  it("refuses a bad reason before revoking anything, then revokes every key with a good one", async () => {
    const { key } = await newKey();
    const before = await snapshotOf(opened.db, { apiKeys: true });
    const bad = await send("DELETE", "/api/data/api-keys/revoke-all", { json: { reason: "everything" } });
    expect(bad.status).toBe(400);
    expect(await snapshotOf(opened.db, { apiKeys: true })).toBe(before);

    const res = await send("DELETE", "/api/data/api-keys/revoke-all?reason=owner_left");
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ revoked: expect.any(Number) });
    expect(await stored(key.id)).toMatchObject({ r: "owner_left" });
    // The calling key went with them, with the same reason.
    expect(await stored(adminKeyId)).toMatchObject({ r: "owner_left" });
  });
});

describe("POST /api/data/verify of a revoked key", () => {
  it("says why it was revoked beside key_revoked; null when no reason was given", async () => {
    const verifier = (await createApiKey(opened.db, await contextFor(opened.db, "admin@globex.test", "globex"), { name: "Verifier" })).secret;
    const withReason = await newKey("globex");
    const without = await newKey("globex");
    expect(
      (await send("DELETE", `/api/data/api-keys/${withReason.key.id}/revoke`, { secret: verifier, json: { reason: "compromised" } })).status,
    ).toBe(200);
    expect((await send("DELETE", `/api/data/api-keys/${without.key.id}/revoke`, { secret: verifier })).status).toBe(200);

    const a = await send("POST", "/api/data/verify", { secret: verifier, json: { token: withReason.secret } });
    expect(a.body.data).toMatchObject({ valid: false, reason: "key_revoked", revokedReason: "compromised", key: { id: withReason.key.id } });
    const b = await send("POST", "/api/data/verify", { secret: verifier, json: { token: without.secret } });
    expect(b.body.data).toMatchObject({ valid: false, reason: "key_revoked", revokedReason: null });
    // A live key's answer, and another workspace's revoked key, say nothing of it.
    const live = await send("POST", "/api/data/verify", { secret: verifier, json: { token: verifier } });
    expect(live.body.data).not.toHaveProperty("revokedReason");
    const acmeVerifier = (await newKey()).secret;
    const other = await send("POST", "/api/data/verify", { secret: acmeVerifier, json: { token: withReason.secret } });
    expect(other.body.data).toEqual({ valid: false, reason: "unknown_key", message: "The API key is not recognised." });
  });
});
