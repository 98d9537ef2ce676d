import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { auditEvents, idempotencyKeys, webhookDeliveries, webhookEndpoints } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { flushAccessLogs } from "@/lib/access-log/writer";
import { createApiKey } from "@/lib/api-keys/core";
import { attachSocketAddress } from "@/lib/net/client-address";
import { callApi, callWithKey } from "@/lib/testing/api";
import { contextFor, seedFixtures, userId } from "@/lib/testing/fixtures";
import { createWebhookEndpoint } from "@/lib/webhooks/core";
import { successSchemaOf } from "../openapi";

// /api/data/webhooks…: a key with webhooks:write whose owner may change the workspace's settings
// manages its own workspace's endpoints, and nobody else's.

interface Answer<T = Record<string, unknown>> {
  success: boolean;
  data?: T;
  error?: { code: string; validationErrors?: Record<string, string[]> };
}
interface EndpointJson {
  id: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
}

let opened: OpenDatabase;
const g = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase> };
const savedAuthSecret = process.env.AUTH_SECRET;
let acmeKey: string;
let globexKey: string;
let noScope: string;
let memberKey: string;
/** An endpoint of Acme's made in the console, and its secret. */
let acmeEndpoint: { id: string; secret: string };

const call = <T = Record<string, unknown>>(method: string, path: string, key: string, body?: unknown) =>
  callWithKey<Answer<T>>(method, path, { key, body, from: "198.51.100.40" });

beforeAll(async () => {
  process.env.AUTH_SECRET = "webhooks-rest-test-auth-secret-0123456789";
  opened = await createTestDatabase();
  await seedFixtures(opened.db);
  g.__latchkeyDb = Promise.resolve(opened);
  const acme = await contextFor(opened.db, "admin@acme.test", "acme");
  ({ secret: acmeKey } = await createApiKey(opened.db, acme, { name: "Hooks admin" }));
  ({ secret: noScope } = await createApiKey(opened.db, acme, { name: "No webhooks scope", scopes: ["api_keys:read", "me:read"] }));
  // All scopes, but it acts as a Member, who may not change the workspace's settings.
  ({ secret: memberKey } = await createApiKey(opened.db, acme, { name: "Member's", ownerId: await userId(opened.db, "member@acme.test") }));
  const globex = await contextFor(opened.db, "admin@globex.test", "globex");
  ({ secret: globexKey } = await createApiKey(opened.db, globex, { name: "Globex hooks" }));
  const made = await createWebhookEndpoint(opened.db, acme, { url: "https://hooks.acme.test/in?token=acme-side", events: ["api_key.revoked"] });
  acmeEndpoint = { id: made.endpoint.id, secret: made.secret };
});

afterAll(async () => {
  g.__latchkeyDb = undefined;
  await flushAccessLogs();
  await opened?.close();
  if (savedAuthSecret === undefined) delete process.env.AUTH_SECRET;
  else process.env.AUTH_SECRET = savedAuthSecret;
});

const endpointRow = async (id: string) => (await opened.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)))[0];

/** Every webhook operation on one endpoint id, as [method, path, body]. */
const everyCallOn = (id: string): [string, string, unknown?][] => [
  ["GET", `/api/data/webhooks/${id}`],
  ["PATCH", `/api/data/webhooks/${id}`, { enabled: false, url: "https://attacker.example/steal" }],
  ["POST", `/api/data/webhooks/${id}/rotate-secret`],
  ["POST", `/api/data/webhooks/${id}/test`],
  ["GET", `/api/data/webhooks/${id}/deliveries`],
  ["DELETE", `/api/data/webhooks/${id}`],
];

describe("another workspace's key", () => {
  it("cannot see, change, test or delete Acme's endpoint: each is a 404, and nothing changes", async () => {
    const before = await endpointRow(acmeEndpoint.id);
    const deliveriesBefore = await opened.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, acmeEndpoint.id));
    for (const [method, path, body] of everyCallOn(acmeEndpoint.id)) {
      const res = await call(method, path, globexKey, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error?.code, `${method} ${path}`).toBe("not_found");
    }
    const list = await call<{ items: EndpointJson[] }>("GET", "/api/data/webhooks", globexKey);
    expect(list.status).toBe(200);
    expect(list.body.data!.items.map((e) => e.id)).not.toContain(acmeEndpoint.id);
    expect(await endpointRow(acmeEndpoint.id)).toEqual(before);
    expect(await opened.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, acmeEndpoint.id))).toEqual(deliveriesBefore);
  });
});

describe("refusals", () => {
  it("refuses a key without the webhooks:write scope (403 scope_missing) on every operation", async () => {
    const before = await endpointRow(acmeEndpoint.id);
    for (const [method, path, body] of [
      ["GET", "/api/data/webhooks"],
      ["POST", "/api/data/webhooks", { url: "https://hooks.acme.test/x", events: ["api_key.created"] }],
      ...everyCallOn(acmeEndpoint.id),
    ] as [string, string, unknown?][]) {
      const res = await call(method, path, noScope, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error?.code, `${method} ${path}`).toBe("scope_missing");
    }
    expect(await endpointRow(acmeEndpoint.id)).toEqual(before);
  });

  it("refuses a Member's key (403 forbidden) although it holds the scope", async () => {
    const before = await endpointRow(acmeEndpoint.id);
    const count = (await opened.db.select().from(webhookEndpoints)).length;
    for (const [method, path, body] of [
      ["GET", "/api/data/webhooks"],
      ["POST", "/api/data/webhooks", { url: "https://hooks.acme.test/x", events: ["api_key.created"] }],
      ...everyCallOn(acmeEndpoint.id),
    ] as [string, string, unknown?][]) {
      const res = await call(method, path, memberKey, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error?.code, `${method} ${path}`).toBe("forbidden");
    }
    expect(await endpointRow(acmeEndpoint.id)).toEqual(before);
    expect((await opened.db.select().from(webhookEndpoints)).length).toBe(count);
  });

  it("answers bad input 400 field by field, and changes nothing", async () => {
    const count = (await opened.db.select().from(webhookEndpoints)).length;
    const created = await call("POST", "/api/data/webhooks", acmeKey, { url: "ftp://hooks.acme.test", events: [], colour: "red" });
    expect(created.status).toBe(400);
    expect(created.body.error!.code).toBe("validation_failed");
    expect(Object.keys(created.body.error!.validationErrors!).sort()).toEqual(expect.arrayContaining(["events", "url"]));
    expect((await opened.db.select().from(webhookEndpoints)).length).toBe(count);

    const before = await endpointRow(acmeEndpoint.id);
    const patched = await call("PATCH", `/api/data/webhooks/${acmeEndpoint.id}`, acmeKey, { events: ["api_key.stolen"], enabled: "yes" });
    expect(patched.status).toBe(400);
    expect(Object.keys(patched.body.error!.validationErrors!).sort()).toEqual(["enabled", "events"]);
    expect(await endpointRow(acmeEndpoint.id)).toEqual(before);

    const paged = await call("GET", `/api/data/webhooks/${acmeEndpoint.id}/deliveries?pageSize=500&page=0`, acmeKey);
    expect(paged.status).toBe(400);
    expect(Object.keys(paged.body.error!.validationErrors!).sort()).toEqual(["page", "pageSize"]);

    // A malformed id is simply not found, not a database error.
    expect((await call("GET", "/api/data/webhooks/not-a-uuid", acmeKey)).status).toBe(404);
  });
});

describe("an Admin's key", () => {
  it("creates, reads, changes, tests, rolls and deletes an endpoint, each answer in its documented shape and no secret but the shown-once ones", async () => {
    const documented = (id: string, body: unknown) => expect(successSchemaOf(id).safeParse(body).error?.issues ?? [], id).toEqual([]);

    const created = await call<{ endpoint: EndpointJson; secret: string }>("POST", "/api/data/webhooks", acmeKey, {
      url: "https://hooks.acme.test/rest",
      events: ["api_key.created", "api_key.created", "api_key.revoked"],
    });
    expect(created.status).toBe(201);
    documented("createWebhookEndpoint", created.body);
    const { endpoint, secret } = created.body.data!;
    expect(created.headers.get("location")).toBe(`/api/data/webhooks/${endpoint.id}`);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    expect(endpoint).toMatchObject({ url: "https://hooks.acme.test/rest", events: ["api_key.created", "api_key.revoked"], enabled: true });
    // Stored encrypted, not in plaintext.
    expect(JSON.stringify(await endpointRow(endpoint.id))).not.toContain(secret.slice(6));

    const answers: { id: string; body: unknown }[] = [];
    const list = await call<{ items: EndpointJson[] }>("GET", "/api/data/webhooks", acmeKey);
    answers.push({ id: "listWebhookEndpoints", body: list.body });
    expect(list.body.data!.items.map((e) => e.id)).toEqual([acmeEndpoint.id, endpoint.id]);

    const got = await call("GET", `/api/data/webhooks/${endpoint.id}`, acmeKey);
    answers.push({ id: "getWebhookEndpoint", body: got.body });
    expect(got.body.data).toEqual({ endpoint });

    const updated = await call<{ endpoint: EndpointJson }>("PATCH", `/api/data/webhooks/${endpoint.id}`, acmeKey, {
      description: "Security alerts",
      events: ["api_key.leaked"],
    });
    answers.push({ id: "updateWebhookEndpoint", body: updated.body });
    expect(updated.status).toBe(200);
    expect(updated.body.data!.endpoint).toMatchObject({ description: "Security alerts", events: ["api_key.leaked"], url: endpoint.url });

    const tested = await call<{ deliveryId: string; messageId: string }>("POST", `/api/data/webhooks/${endpoint.id}/test`, acmeKey);
    answers.push({ id: "sendTestWebhook", body: tested.body });
    expect(tested.status).toBe(200);
    const deliveries = await call<{ items: { id: string; eventType: string; status: string }[]; total: number }>(
      "GET",
      `/api/data/webhooks/${endpoint.id}/deliveries?pageSize=1`,
      acmeKey,
    );
    answers.push({ id: "listWebhookDeliveries", body: deliveries.body });
    expect(deliveries.body.data).toMatchObject({ total: 1, page: 1, pageSize: 1 });
    expect(deliveries.body.data!.items).toEqual([
      expect.objectContaining({ id: tested.body.data!.deliveryId, eventType: "webhook.test", status: "pending" }),
    ]);

    const rolled = await call<{ endpoint: EndpointJson; secret: string }>("POST", `/api/data/webhooks/${endpoint.id}/rotate-secret`, acmeKey);
    expect(rolled.status).toBe(200);
    documented("rotateWebhookSecret", rolled.body);
    expect(rolled.body.data!.secret).toMatch(/^whsec_/);
    expect(rolled.body.data!.secret).not.toBe(secret);

    // A disabled endpoint cannot be tested: 409, nothing queued.
    await call("PATCH", `/api/data/webhooks/${endpoint.id}`, acmeKey, { enabled: false });
    const refused = await call("POST", `/api/data/webhooks/${endpoint.id}/test`, acmeKey);
    expect(refused.status).toBe(409);
    expect(refused.body.error!.code).toBe("conflict");

    const deleted = await call<{ endpoint: EndpointJson }>("DELETE", `/api/data/webhooks/${endpoint.id}`, acmeKey);
    answers.push({ id: "deleteWebhookEndpoint", body: deleted.body });
    expect(deleted.status).toBe(200);
    expect(deleted.body.data!.endpoint.id).toBe(endpoint.id);
    expect((await call("GET", `/api/data/webhooks/${endpoint.id}`, acmeKey)).status).toBe(404);
    expect(await endpointRow(endpoint.id)).toBeUndefined();

    for (const { id, body } of answers) {
      documented(id, body);
      const text = JSON.stringify(body);
      expect(text, id).not.toMatch(/whsec_/);
      expect(text, id).not.toMatch(/secret/i);
    }

    // Each change is audited as made through the key, and no audit row holds a secret.
    const audited = await opened.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.workspaceId, (await contextFor(opened.db, "admin@acme.test", "acme")).workspace.id)));
    const forEndpoint = audited.filter((e) => (e.metadata as { endpointId?: string } | null)?.endpointId === endpoint.id);
    expect(forEndpoint.map((e) => e.action).sort()).toEqual(
      ["webhook.created", "webhook.deleted", "webhook.secret_rotated", "webhook.updated", "webhook.updated"].sort(),
    );
    expect(forEndpoint.every((e) => e.actorApiKeyId !== null)).toBe(true);
    const auditText = JSON.stringify(audited);
    for (const s of [secret, rolled.body.data!.secret, acmeEndpoint.secret]) expect(auditText).not.toContain(s.slice(6));
  });
});

describe("Idempotency-Key", () => {
  it("replays a creation without its secret, and keeps no secret in the stored answer", async () => {
    const send = async () => {
      const req = new Request("http://localhost/api/data/webhooks", {
        method: "POST",
        headers: { "x-apikey": acmeKey, "content-type": "application/json", "idempotency-key": "create-hook-once" },
        body: JSON.stringify({ url: "https://hooks.acme.test/once", events: ["api_key.expired"] }),
      });
      attachSocketAddress(req, "198.51.100.41");
      const res = await callApi(req);
      return {
        status: res.status,
        replayed: res.headers.get("idempotent-replayed"),
        body: (await res.json()) as Answer<{ endpoint: EndpointJson; secret: string | null }>,
      };
    };
    const first = await send();
    expect(first.status).toBe(201);
    const secret = first.body.data!.secret!;
    expect(secret).toMatch(/^whsec_/);
    const again = await send();
    expect(again.status).toBe(201);
    expect(again.replayed).toBe("true");
    expect(again.body.data).toEqual({ endpoint: first.body.data!.endpoint, secret: null });
    expect((await opened.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.url, "https://hooks.acme.test/once"))).length).toBe(1);
    expect(JSON.stringify(await opened.db.select().from(idempotencyKeys))).not.toContain(secret.slice(6));
  });
});
