import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { OpenDatabase } from "@/db";
import { webhookEndpoints } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import type { SessionClaims } from "@/lib/auth/context";
import { seedFixtures, userId } from "@/lib/testing/fixtures";
import {
  createWebhookAction,
  deleteWebhookAction,
  listWebhookDeliveriesAction,
  rotateWebhookSecretAction,
  sendTestWebhookAction,
  updateWebhookAction,
} from "./actions";

// The settings page's server actions: anyone can POST to one, so each refuses whoever is not an
// Admin of the workspace the endpoint belongs to, and a refusal changes nothing.

const session = vi.hoisted(() => ({ claims: null as SessionClaims | null }));
vi.mock("@/lib/account/session", () => ({ sessionClaims: async () => session.claims }));
vi.mock("next/headers", () => ({ headers: async () => new Headers({ "user-agent": "vitest" }) }));
vi.mock("next/cache", () => ({ revalidatePath: vi.fn() }));

let opened: OpenDatabase;
const g = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase> };
const savedAuthSecret = process.env.AUTH_SECRET;
const DENIED = "Only workspace Admins can manage webhooks.";

beforeAll(async () => {
  process.env.AUTH_SECRET = "webhook-actions-test-auth-secret";
  opened = await createTestDatabase();
  await seedFixtures(opened.db);
  g.__latchkeyDb = Promise.resolve(opened);
});
afterAll(async () => {
  g.__latchkeyDb = undefined;
  await opened?.close();
  if (savedAuthSecret === undefined) delete process.env.AUTH_SECRET;
  else process.env.AUTH_SECRET = savedAuthSecret;
});
beforeEach(() => {
  session.claims = null;
});

async function signInAs(email: string) {
  session.claims = { userId: await userId(opened.db, email), signedInAt: Date.now() };
}

const endpointsNow = () => opened.db.select().from(webhookEndpoints).orderBy(webhookEndpoints.id);

describe("webhook server actions", () => {
  it("create for an Admin, showing the secret once, and refuse bad input field by field", async () => {
    await signInAs("admin@acme.test");
    const created = await createWebhookAction("acme", { url: "https://hooks.example.com/latchkey", events: ["api_key.revoked"] });
    expect(created.ok).toBe(true);
    if (!created.ok) return;
    expect(created.data.secret).toMatch(/^whsec_/);
    expect(created.data.endpoint).not.toHaveProperty("secretEncrypted");

    const bad = await createWebhookAction("acme", { url: "mailto:ops@example.com", events: [] });
    expect(bad).toMatchObject({
      ok: false,
      fieldErrors: { url: [expect.stringContaining("http://")], events: [expect.stringContaining("at least one")] },
    });
  });

  it("refuse non-Admins and other workspaces' Admins, changing nothing", async () => {
    await signInAs("admin@acme.test");
    const created = await createWebhookAction("acme", { url: "https://hooks.example.com/target", events: ["api_key.created"] });
    if (!created.ok) throw new Error(created.error);
    const id = created.data.endpoint.id;
    const before = await endpointsNow();

    const onEndpoint = (slug: string) => [
      updateWebhookAction(slug, id, { url: "https://evil.example/" }),
      rotateWebhookSecretAction(slug, id),
      sendTestWebhookAction(slug, id),
      listWebhookDeliveriesAction(slug, id, 1),
      deleteWebhookAction(slug, id),
    ];
    const attempts = (slug: string) => [
      createWebhookAction(slug, { url: "https://evil.example/", events: ["api_key.created"] }),
      ...onEndpoint(slug),
    ];

    await signInAs("member@acme.test");
    for (const r of await Promise.all(attempts("acme"))) expect(r).toEqual({ ok: false, error: DENIED });

    await signInAs("admin@globex.test");
    for (const r of await Promise.all(attempts("acme"))) expect(r).toEqual({ ok: false, error: "Workspace not found." });
    // In their own workspace, the other workspace's endpoint does not exist.
    const own = await Promise.all(onEndpoint("globex"));
    for (const r of own) expect(r).toEqual({ ok: false, error: "No such webhook endpoint in this workspace." });

    expect(await endpointsNow()).toEqual(before);
  });
});
