import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { createTestDatabase } from "@/db/testing";
import { flushAccessLogs } from "@/lib/access-log/writer";
import { createApiKey } from "@/lib/api-keys/core";
import { callApi } from "@/lib/testing/api";
import { contextFor, seedFixtures, userId } from "@/lib/testing/fixtures";
import { successSchemaOf } from "../openapi";

// GET /api/data/audit: the workspace's audit log for a key with audit:read whose owner may read it.

let opened: OpenDatabase;
const g = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase> };
let admin: { secret: string; id: string };
let narrow: string;
let managerOwned: string;
let globexKeyId: string;

beforeAll(async () => {
  opened = await createTestDatabase();
  await seedFixtures(opened.db);
  g.__latchkeyDb = Promise.resolve(opened);
  const acme = await contextFor(opened.db, "admin@acme.test", "acme");
  const made = await createApiKey(opened.db, acme, { name: "Auditor" });
  admin = { secret: made.secret, id: made.key.id };
  ({ secret: narrow } = await createApiKey(opened.db, acme, { name: "No audit scope", scopes: ["me:read"] }));
  // Made by an Admin, acting as a Manager: the owner may not read the audit log, whatever the scopes.
  ({ secret: managerOwned } = await createApiKey(opened.db, acme, { name: "Manager's", ownerId: await userId(opened.db, "manager@acme.test") }));
  const globex = await contextFor(opened.db, "admin@globex.test", "globex");
  ({
    key: { id: globexKeyId },
  } = await createApiKey(opened.db, globex, { name: "Globex secret project" }));
});

afterAll(async () => {
  g.__latchkeyDb = undefined;
  await flushAccessLogs();
  await opened?.close();
});

async function audit(secret: string, query = "") {
  const res = await callApi(
    new Request(`http://localhost/api/data/audit${query}`, { headers: { "x-apikey": secret, "x-forwarded-for": "198.51.100.20" } }),
  );
  return {
    status: res.status,
    body: (await res.json()) as {
      data?: { items: { action: string; apiKeyId: string | null; workspaceSlug: string | null }[]; total: number };
      error?: { code: string; validationErrors?: Record<string, string[]> };
    },
  };
}

describe("GET /api/data/audit", () => {
  it("lists the key's own workspace's events, in the documented shape", async () => {
    const { status, body } = await audit(admin.secret);
    expect(status).toBe(200);
    expect(successSchemaOf("listAuditEvents").safeParse(body).error?.issues ?? []).toEqual([]);
    const items = body.data!.items;
    expect(items.some((e) => e.action === "api_key.created" && e.apiKeyId === admin.id)).toBe(true);
    expect(items.every((e) => e.workspaceSlug === "acme")).toBe(true);
    expect(items.some((e) => e.apiKeyId === globexKeyId)).toBe(false);
  });

  it("filters by apiKey, while ?key= stays the credential", async () => {
    const { status, body } = await audit(admin.secret, `?apiKey=${admin.id}`);
    expect(status).toBe(200);
    expect(body.data!.items.map((e) => e.apiKeyId)).toEqual([admin.id]);
    const viaQuery = await callApi(
      new Request(`http://localhost/api/data/audit?key=${admin.secret}&apiKey=${admin.id}`, { headers: { "x-forwarded-for": "198.51.100.21" } }),
    );
    expect(viaQuery.status).toBe(200);
    expect(((await viaQuery.json()) as { data: { total: number } }).data.total).toBe(1);
    // Another workspace's key id finds nothing rather than its events.
    expect((await audit(admin.secret, `?apiKey=${globexKeyId}`)).body.data!.total).toBe(0);
  });

  it("refuses a key without the audit:read scope, and one whose owner may not read the log", async () => {
    expect(await audit(narrow)).toMatchObject({ status: 403, body: { error: { code: "scope_missing" } } });
    expect(await audit(managerOwned)).toMatchObject({ status: 403, body: { error: { code: "forbidden" } } });
  });

  it("answers bad filters field by field", async () => {
    const { status, body } = await audit(admin.secret, "?from=2026-03-02&to=2026-03-01&pageSize=0");
    expect(status).toBe(400);
    expect(body.error!.code).toBe("validation_failed");
    expect(Object.keys(body.error!.validationErrors!).sort()).toEqual(["pageSize", "to"]);
  });
});
