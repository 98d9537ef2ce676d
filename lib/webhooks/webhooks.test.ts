import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { webhookDeliveries, webhookEndpoints } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { createApiKey, createApiKeyInTx, revokeApiKey, updateApiKey } from "@/lib/api-keys/core";
import { revokeKeyBySecret } from "@/lib/api-keys/self-revoke";
import { recordAudit } from "@/lib/audit/record";
import { setClockOffsetForTests } from "@/lib/clock";
import { auditEventsAfter, contextFor, lastAuditEventId, seedFixtures } from "@/lib/testing/fixtures";
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  rotateWebhookSecret,
  sendTestWebhook,
  updateWebhookEndpoint,
} from "./core";
import { deliverDueWebhooks, purgeOldWebhookDeliveries } from "./deliver";

// Webhooks end to end: an event's transaction queues the delivery, the worker signs and POSTs it
// to a real HTTP receiver started here, which checks the signature with its own HMAC.

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let handle: OpenDatabase;
let server: Server;
let receiverUrl: string;
const received: Received[] = [];
/** Status codes the receiver answers with, in turn; 200 once they run out. */
let answers: number[] = [];
let answerDelayMs = 0;
const savedAuthSecret = process.env.AUTH_SECRET;

beforeAll(async () => {
  process.env.AUTH_SECRET = "webhooks-test-auth-secret-0123456789";
  handle = await createTestDatabase();
  await seedFixtures(handle.db);
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      const status = answers.shift() ?? 200;
      setTimeout(() => res.writeHead(status, { "content-type": "text/plain" }).end("ok"), answerDelayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks?token=receiver-side`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await handle.close();
  if (savedAuthSecret === undefined) delete process.env.AUTH_SECRET;
  else process.env.AUTH_SECRET = savedAuthSecret;
});
beforeEach(async () => {
  // Each test starts with no endpoint and so no queued delivery (they cascade).
  await handle.db.delete(webhookEndpoints);
  received.length = 0;
  answers = [];
  answerDelayMs = 0;
});
afterEach(() => setClockOffsetForTests(0));

const acme = () => contextFor(handle.db, "admin@acme.test", "acme");
const globex = () => contextFor(handle.db, "admin@globex.test", "globex");
let names = 0;
const uniqueName = (what: string) => `${what} ${++names}`;

/** What a receiver does: recompute the HMAC from the secret, id, timestamp and raw body. */
function expectSignedBy(secret: string, r: Received): void {
  const id = String(r.headers["webhook-id"]);
  const timestamp = String(r.headers["webhook-timestamp"]);
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const mac = createHmac("sha256", key).update(`${id}.${timestamp}.${r.body}`).digest("base64");
  expect(String(r.headers["webhook-signature"]).split(" ")).toContain(`v1,${mac}`);
}

async function deliveriesOf(endpointId: string) {
  return handle.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpointId));
}

describe("webhook deliveries", () => {
  it("sends a created key's event, signed, to the workspace's subscribed endpoint", async () => {
    const ctx = await acme();
    const { endpoint, secret } = await createWebhookEndpoint(handle.db, ctx, { url: receiverUrl, events: ["api_key.created"] });
    const created = await createApiKey(handle.db, ctx, { name: uniqueName("Billing") });

    const run = await deliverDueWebhooks(handle.db);
    expect(run).toMatchObject({ attempted: 1, delivered: 1 });
    expect(received).toHaveLength(1);
    const [r] = received;
    expect(r.headers["content-type"]).toBe("application/json");
    expect(String(r.headers["webhook-id"])).toMatch(/^msg_/);
    expect(Math.abs(Number(r.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(60);
    expectSignedBy(secret, r);
    const body = JSON.parse(r.body) as { type: string; timestamp: string; data: Record<string, unknown> };
    expect(body.type).toBe("api_key.created");
    expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
    expect(body.data).toMatchObject({
      workspaceId: ctx.workspace.id,
      apiKey: { id: created.key.id, name: created.key.name, prefix: created.key.prefix },
    });
    expect(r.body).not.toContain(created.secret);
    expect(r.body).not.toContain("secretHash");

    const page = await listWebhookDeliveries(handle.db, ctx, endpoint.id);
    expect(page.total).toBe(1);
    expect(page.rows[0]).toMatchObject({ eventType: "api_key.created", status: "delivered", attempts: 1, lastStatusCode: 200, lastError: null });
    expect(page.rows[0].deliveredAt).toBeInstanceOf(Date);
    // Nothing more is due.
    expect((await deliverDueWebhooks(handle.db)).attempted).toBe(0);
  });

  it("queues only for enabled endpoints of the event's own workspace that subscribe to it", async () => {
    const a = await acme();
    const b = await globex();
    const subscribed = await createWebhookEndpoint(handle.db, a, { url: receiverUrl, events: ["api_key.created"] });
    const otherEvents = await createWebhookEndpoint(handle.db, a, { url: receiverUrl, events: ["api_key.revoked"] });
    const disabled = await createWebhookEndpoint(handle.db, a, { url: receiverUrl, events: ["api_key.created"], enabled: false });

    await createApiKey(handle.db, b, { name: uniqueName("Globex key") });
    for (const ep of [subscribed, otherEvents, disabled]) expect(await deliveriesOf(ep.endpoint.id)).toHaveLength(0);

    await createApiKey(handle.db, a, { name: uniqueName("Acme key") });
    expect(await deliveriesOf(subscribed.endpoint.id)).toHaveLength(1);
    expect(await deliveriesOf(otherEvents.endpoint.id)).toHaveLength(0);
    expect(await deliveriesOf(disabled.endpoint.id)).toHaveLength(0);
  });

  it("sends each entry of a batch spanning workspaces to its own workspace's endpoints only", async () => {
    const a = await acme();
    const b = await globex();
    const inA = await createWebhookEndpoint(handle.db, a, { url: receiverUrl, events: ["api_key.revoked"] });
    const inB = await createWebhookEndpoint(handle.db, b, { url: receiverUrl, events: ["api_key.revoked"] });
    const keyA = await createApiKey(handle.db, a, { name: uniqueName("Owner's key in A") });
    const keyB = await createApiKey(handle.db, b, { name: uniqueName("Owner's key in B") });
    // As a user's deletion records it: one call, an entry per key in that key's workspace.
    await handle.db.transaction((tx) =>
      recordAudit(tx, { userId: null }, [
        { action: "api_key.revoked", workspaceId: a.workspace.id, apiKeyId: keyA.key.id, targetName: keyA.key.name },
        { action: "api_key.revoked", workspaceId: b.workspace.id, apiKeyId: keyB.key.id, targetName: keyB.key.name },
        { action: "user.deleted", workspaceId: null },
      ]),
    );
    const toA = await deliveriesOf(inA.endpoint.id);
    const toB = await deliveriesOf(inB.endpoint.id);
    expect(toA.map((d) => (d.payload as { data: { apiKey: { id: string } } }).data.apiKey.id)).toEqual([keyA.key.id]);
    expect(toB.map((d) => (d.payload as { data: { apiKey: { id: string } } }).data.apiKey.id)).toEqual([keyB.key.id]);
    expect(toB[0].workspaceId).toBe(b.workspace.id);
  });

  it("leaves no delivery when the event's transaction rolls back", async () => {
    const ctx = await acme();
    const { endpoint } = await createWebhookEndpoint(handle.db, ctx, { url: receiverUrl, events: ["api_key.created"] });
    let queuedInside = -1;
    await expect(
      handle.db.transaction(async (tx) => {
        await createApiKeyInTx(tx, ctx, { name: uniqueName("Rolled back") });
        queuedInside = (await tx.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpoint.id))).length;
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect(queuedInside).toBe(1);
    expect(await deliveriesOf(endpoint.id)).toHaveLength(0);
  });

  it("maps key events: disabled, enabled, revoked with its reason, and a self-revocation as leaked", async () => {
    const ctx = await acme();
    const { endpoint } = await createWebhookEndpoint(handle.db, ctx, {
      url: receiverUrl,
      events: ["api_key.disabled", "api_key.enabled", "api_key.revoked", "api_key.leaked"],
    });
    const one = await createApiKey(handle.db, ctx, { name: uniqueName("Lifecycle") });
    await updateApiKey(handle.db, ctx, one.key.id, { enabled: false });
    await updateApiKey(handle.db, ctx, one.key.id, { enabled: true });
    await revokeApiKey(handle.db, ctx, one.key.id, { revocation: { reason: "superseded" } });
    const two = await createApiKey(handle.db, ctx, { name: uniqueName("Found on a paste site") });
    expect(await revokeKeyBySecret(handle.db, two.secret, { ip: "198.51.100.9", userAgent: "scanner" })).toBe("revoked");

    const rows = await deliveriesOf(endpoint.id);
    const byType = Object.fromEntries(rows.map((r) => [r.eventType, r.payload as { data: Record<string, unknown> }]));
    expect(Object.keys(byType).sort()).toEqual(["api_key.disabled", "api_key.enabled", "api_key.leaked", "api_key.revoked"]);
    expect(byType["api_key.revoked"].data).toMatchObject({ apiKey: { id: one.key.id }, reason: "superseded" });
    expect(byType["api_key.leaked"].data).toMatchObject({ apiKey: { id: two.key.id, prefix: two.key.prefix }, reason: "compromised" });
    expect(JSON.stringify(rows)).not.toContain(two.secret);
  });

  it("retries after a 500 with backoff, with the same message id, and then succeeds", async () => {
    const ctx = await acme();
    const { endpoint, secret } = await createWebhookEndpoint(handle.db, ctx, { url: receiverUrl, events: ["api_key.created"] });
    await createApiKey(handle.db, ctx, { name: uniqueName("Retried") });
    answers = [500];

    expect(await deliverDueWebhooks(handle.db)).toMatchObject({ attempted: 1, retrying: 1 });
    const [afterFailure] = await deliveriesOf(endpoint.id);
    expect(afterFailure).toMatchObject({ status: "pending", attempts: 1, lastStatusCode: 500, lastError: "HTTP 500" });
    const wait = afterFailure.nextAttemptAt.getTime() - afterFailure.lastAttemptAt!.getTime();
    expect(wait).toBeGreaterThanOrEqual(4_000);
    expect(wait).toBeLessThanOrEqual(10_000);
    // Not yet due.
    expect((await deliverDueWebhooks(handle.db)).attempted).toBe(0);

    setClockOffsetForTests(wait + 1_000);
    expect(await deliverDueWebhooks(handle.db)).toMatchObject({ attempted: 1, delivered: 1 });
    expect(received).toHaveLength(2);
    expect(received[1].headers["webhook-id"]).toBe(received[0].headers["webhook-id"]);
    expectSignedBy(secret, received[1]);
    const [done] = await deliveriesOf(endpoint.id);
    expect(done).toMatchObject({ status: "delivered", attempts: 2, lastStatusCode: 200, lastError: null });
  });

  it("gives up once a failing delivery is a day old, and says why without the URL", async () => {
    const ctx = await acme();
    const { endpoint } = await createWebhookEndpoint(handle.db, ctx, { url: receiverUrl, events: ["api_key.created"] });
    await createApiKey(handle.db, ctx, { name: uniqueName("Never answered") });
    // Nothing listens there: the connection is refused.
    await handle.db.update(webhookEndpoints).set({ url: "http://127.0.0.1:1/hooks?token=t0p" }).where(eq(webhookEndpoints.id, endpoint.id));
    expect(await deliverDueWebhooks(handle.db)).toMatchObject({ attempted: 1, retrying: 1 });
    setClockOffsetForTests(24 * 3600_000);
    expect(await deliverDueWebhooks(handle.db)).toMatchObject({ attempted: 1, failed: 1 });
    const [row] = await deliveriesOf(endpoint.id);
    expect(row).toMatchObject({ status: "failed", attempts: 2, lastStatusCode: null });
    expect(row.lastError).toMatch(/^Connection failed/);
    expect(row.lastError).not.toContain("t0p");
    setClockOffsetForTests(48 * 3600_000);
    expect((await deliverDueWebhooks(handle.db)).attempted).toBe(0);
  });

  it("sends each delivery once when two workers run at the same time", async () => {
    const ctx = await acme();
    await createWebhookEndpoint(handle.db, ctx, { url: receiverUrl, events: ["api_key.created"] });
    for (let i = 0; i < 6; i++) await createApiKey(handle.db, ctx, { name: uniqueName("Concurrent") });
    answerDelayMs = 100;
    const runs = await Promise.all([1, 2, 3, 4].map(() => deliverDueWebhooks(handle.db)));
    expect(runs.reduce((n, r) => n + r.attempted, 0)).toBe(6);
    expect(received).toHaveLength(6);
    expect(new Set(received.map((r) => r.headers["webhook-id"])).size).toBe(6);
    expect((await deliverDueWebhooks(handle.db)).attempted).toBe(0);
  });

  it("sends a test event to the chosen endpoint, whatever it subscribes to; not while it is disabled", async () => {
    const ctx = await acme();
    const { endpoint, secret } = await createWebhookEndpoint(handle.db, ctx, { url: receiverUrl, events: ["api_key.expired"] });
    const { messageId } = await sendTestWebhook(handle.db, ctx, endpoint.id);
    expect(await deliverDueWebhooks(handle.db)).toMatchObject({ delivered: 1 });
    expect(received[0].headers["webhook-id"]).toBe(messageId);
    expectSignedBy(secret, received[0]);
    expect(JSON.parse(received[0].body)).toMatchObject({ type: "webhook.test", data: { workspaceId: ctx.workspace.id, endpointId: endpoint.id } });

    await updateWebhookEndpoint(handle.db, ctx, endpoint.id, { enabled: false });
    await expect(sendTestWebhook(handle.db, ctx, endpoint.id)).rejects.toMatchObject({ code: "conflict" });
  });

  it("signs with the rotated secret from the moment of rotation", async () => {
    const ctx = await acme();
    const { endpoint, secret: old } = await createWebhookEndpoint(handle.db, ctx, { url: receiverUrl, events: ["api_key.created"] });
    await sendTestWebhook(handle.db, ctx, endpoint.id);
    const { secret } = await rotateWebhookSecret(handle.db, ctx, endpoint.id);
    expect(secret).not.toBe(old);
    await deliverDueWebhooks(handle.db);
    expectSignedBy(secret, received[0]);
    expect(() => expectSignedBy(old, received[0])).toThrow();
  });
  it("purges finished deliveries past 30 days, never one still pending", async () => {
    const ctx = await acme();
    const { endpoint } = await createWebhookEndpoint(handle.db, ctx, { url: receiverUrl, events: ["api_key.created"] });
    const old = await sendTestWebhook(handle.db, ctx, endpoint.id);
    const recent = await sendTestWebhook(handle.db, ctx, endpoint.id);
    expect(await deliverDueWebhooks(handle.db)).toMatchObject({ delivered: 2 });
    const stillPending = await sendTestWebhook(handle.db, ctx, endpoint.id);
    const monthAgo = new Date(Date.now() - 31 * 86_400_000);
    for (const id of [old.deliveryId, stillPending.deliveryId])
      await handle.db.update(webhookDeliveries).set({ createdAt: monthAgo }).where(eq(webhookDeliveries.id, id));

    expect(await purgeOldWebhookDeliveries(handle.db)).toBe(1);
    expect((await deliveriesOf(endpoint.id)).map((d) => d.id).sort()).toEqual([recent.deliveryId, stillPending.deliveryId].sort());
  });
});

describe("webhook endpoints", () => {
  it("cannot be seen or changed from another workspace, nor by a non-Admin", async () => {
    const a = await acme();
    const b = await globex();
    const { endpoint } = await createWebhookEndpoint(handle.db, a, { url: receiverUrl, description: "Acme's", events: ["api_key.created"] });
    const before = await handle.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpoint.id));

    expect((await listWebhookEndpoints(handle.db, b)).map((e) => e.id)).not.toContain(endpoint.id);
    const notFound = { code: "not_found" };
    await expect(updateWebhookEndpoint(handle.db, b, endpoint.id, { url: "https://evil.example/steal" })).rejects.toMatchObject(notFound);
    await expect(rotateWebhookSecret(handle.db, b, endpoint.id)).rejects.toMatchObject(notFound);
    await expect(deleteWebhookEndpoint(handle.db, b, endpoint.id)).rejects.toMatchObject(notFound);
    await expect(sendTestWebhook(handle.db, b, endpoint.id)).rejects.toMatchObject(notFound);
    await expect(listWebhookDeliveries(handle.db, b, endpoint.id)).rejects.toMatchObject(notFound);

    const denied = { code: "forbidden" };
    for (const email of ["manager@acme.test", "member@acme.test", "guest@acme.test"]) {
      const ctx = await contextFor(handle.db, email, "acme");
      await expect(listWebhookEndpoints(handle.db, ctx)).rejects.toMatchObject(denied);
      await expect(createWebhookEndpoint(handle.db, ctx, { url: receiverUrl, events: ["api_key.created"] })).rejects.toMatchObject(denied);
      await expect(updateWebhookEndpoint(handle.db, ctx, endpoint.id, { enabled: false })).rejects.toMatchObject(denied);
      await expect(deleteWebhookEndpoint(handle.db, ctx, endpoint.id)).rejects.toMatchObject(denied);
      await expect(rotateWebhookSecret(handle.db, ctx, endpoint.id)).rejects.toMatchObject(denied);
      await expect(sendTestWebhook(handle.db, ctx, endpoint.id)).rejects.toMatchObject(denied);
    }
    expect(await handle.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpoint.id))).toEqual(before);
    expect(await deliveriesOf(endpoint.id)).toHaveLength(0);
  });

  it("refuses bad input with a message per field and changes nothing", async () => {
    const ctx = await acme();
    const count = async () => (await handle.db.select().from(webhookEndpoints)).length;
    const cases: [unknown, string, RegExp][] = [
      [{ url: "", events: ["api_key.created"] }, "url", /Enter the URL/],
      [{ url: "ftp://example.com/x", events: ["api_key.created"] }, "url", /http:\/\/ or https:\/\//],
      [{ url: "not a url", events: ["api_key.created"] }, "url", /http:\/\/ or https:\/\//],
      [{ url: `https://example.com/${"a".repeat(2000)}`, events: ["api_key.created"] }, "url", /at most 2,000 characters/],
      [{ url: "https://user:pw@example.com/", events: ["api_key.created"] }, "url", /user name or password/],
      [{ url: "https://example.com/", events: [] }, "events", /at least one event/],
      [{ url: "https://example.com/" }, "events", /at least one event/],
      [{ url: "https://example.com/", events: ["api_key.exploded"] }, "events", /Unknown event type/],
      [{ url: "https://example.com/", events: ["api_key.created"], description: "x".repeat(501) }, "description", /at most 500/],
    ];
    for (const [input, field, message] of cases) {
      const err = (await createWebhookEndpoint(handle.db, ctx, input).catch((e: unknown) => e)) as {
        code: string;
        fieldErrors: Record<string, string[]>;
      };
      expect(err.code, JSON.stringify(input).slice(0, 80)).toBe("validation");
      expect(err.fieldErrors[field].join(" ")).toMatch(message);
    }
    expect(await count()).toBe(0);

    const { endpoint } = await createWebhookEndpoint(handle.db, ctx, { url: "https://example.com/", events: ["api_key.created"] });
    const err = (await updateWebhookEndpoint(handle.db, ctx, endpoint.id, { url: "javascript:alert(1)", events: [] }).catch((e: unknown) => e)) as {
      fieldErrors: Record<string, string[]>;
    };
    expect(Object.keys(err.fieldErrors).sort()).toEqual(["events", "url"]);
    expect((await listWebhookEndpoints(handle.db, ctx))[0]).toMatchObject({ url: "https://example.com/", events: ["api_key.created"] });
  });

  it("keep the secret out of the audit log, the outbox and the database's plain text", async () => {
    const ctx = await acme();
    const since = await lastAuditEventId(handle.db);
    const { endpoint, secret } = await createWebhookEndpoint(handle.db, ctx, { url: receiverUrl, events: ["api_key.created"] });
    const { secret: rotated } = await rotateWebhookSecret(handle.db, ctx, endpoint.id);
    await updateWebhookEndpoint(handle.db, ctx, endpoint.id, { description: "Renamed", events: ["api_key.created", "api_key.revoked"] });
    await sendTestWebhook(handle.db, ctx, endpoint.id);
    await createApiKey(handle.db, ctx, { name: uniqueName("Audited") });
    await deleteWebhookEndpoint(handle.db, ctx, endpoint.id).catch(() => {});
    const { endpoint: kept } = await createWebhookEndpoint(handle.db, ctx, { url: receiverUrl, events: ["api_key.created"] });
    await sendTestWebhook(handle.db, ctx, kept.id);

    const audit = (await auditEventsAfter(handle.db, since)).filter((e) => e.action.startsWith("webhook."));
    expect(audit.map((e) => e.action).sort()).toEqual([
      "webhook.created",
      "webhook.created",
      "webhook.deleted",
      "webhook.secret_rotated",
      "webhook.updated",
    ]);
    const everything = JSON.stringify([audit, await handle.db.select().from(webhookDeliveries), await handle.db.select().from(webhookEndpoints)]);
    for (const s of [secret, rotated]) {
      expect(everything).not.toContain(s);
      expect(everything).not.toContain(s.slice("whsec_".length));
    }
    // Receivers' credentials often sit in the URL's query: the audit log keeps its origin only.
    expect(JSON.stringify(audit)).not.toContain("receiver-side");
  });
});
