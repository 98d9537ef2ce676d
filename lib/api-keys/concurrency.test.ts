import { and, asc, eq, isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { apiKeys, auditEvents } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { contextFor, seedFixtures } from "@/lib/testing/fixtures";
import { createApiKey, revokeAllApiKeys, revokeApiKey, updateApiKey } from "./core";

// Concurrent changes to one key must leave an audit trail that can be replayed: each event's
// "from" is the previous event's "to", and the last "to" is the key's state. On PostgreSQL the
// calls really run at once (a pool of connections); on the embedded database they queue.

let handle: OpenDatabase;

beforeAll(async () => {
  handle = await createTestDatabase();
  await seedFixtures(handle.db);
});

afterAll(async () => {
  await handle.close();
});

const admin = () => contextFor(handle.db, "admin@acme.test", "acme");

describe("audit trails stay exact under concurrency", () => {
  it("30 concurrent enable/disable flips give one consistent chain of events", async () => {
    const db = handle.db;
    const { key } = await createApiKey(db, await admin(), { name: "Flip-flop" });
    const ctx = await admin();
    for (let round = 0; round < 3; round++) {
      const flips = Array.from({ length: 30 }, (_, i) => i % 2 === 0);
      const answers = await Promise.all(flips.map((enabled) => updateApiKey(db, ctx, key.id, { enabled })));
      for (const [i, answer] of answers.entries()) expect(answer.enabled, `answer ${i}`).toBe(flips[i]);
    }
    const ordered = await db
      .select({ id: auditEvents.id, action: auditEvents.action, changes: auditEvents.changes })
      .from(auditEvents)
      .where(eq(auditEvents.apiKeyId, key.id))
      .orderBy(asc(auditEvents.id));
    const flipsOnly = ordered.filter((e) => e.action === "api_key.enabled" || e.action === "api_key.disabled");
    expect(flipsOnly.length).toBeGreaterThan(0);
    let state = true; // created enabled
    for (const e of flipsOnly) {
      const change = e.changes!.enabled;
      expect(change.from, `event ${e.id} starts from the state before it`).toBe(state);
      expect(change.to).toBe(!state);
      expect(e.action).toBe(change.to ? "api_key.enabled" : "api_key.disabled");
      state = change.to as boolean;
    }
    const [row] = await db.select({ enabled: apiKeys.enabled }).from(apiKeys).where(eq(apiKeys.id, key.id));
    expect(row.enabled).toBe(state);
  });

  it("of 10 concurrent revokes of one key, exactly one succeeds and writes one event", async () => {
    const db = handle.db;
    const { key } = await createApiKey(db, await admin(), { name: "Revoked once" });
    const ctx = await admin();
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => revokeApiKey(db, ctx, key.id)));
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    for (const o of outcomes) if (o.status === "rejected") expect(o.reason).toMatchObject({ code: "not_found" });
    const revoked = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.apiKeyId, key.id), eq(auditEvents.action, "api_key.revoked")));
    expect(revoked).toHaveLength(1);
  });

  it("a create racing revoke-all answers with the key it created, never 'not found'", async () => {
    const db = handle.db;
    const ctx = await admin();
    for (let i = 0; i < 5; i++) {
      const [created] = await Promise.all([createApiKey(db, ctx, { name: `Racer ${i}` }), revokeAllApiKeys(db, ctx)]);
      expect(created.key).toMatchObject({ name: `Racer ${i}`, ownerId: ctx.userId, ownerName: "Ada Admin" });
    }
    // Whatever the order, nothing created before a revoke-all survives it: only keys created after the last one may be live.
    await revokeAllApiKeys(db, ctx);
    const live = await db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.workspaceId, ctx.workspace.id), eq(apiKeys.kind, "workspace"), isNull(apiKeys.revokedAt)));
    expect(live).toHaveLength(0);
  });
});
