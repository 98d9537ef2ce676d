import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db, OpenDatabase } from "@/db";
import { apiKeys, auditEvents, type AuditChanges } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { loadSessionUser, type SessionUser } from "@/lib/auth/context";
import { contextFor, seedFixtures, userId, workspaceId } from "@/lib/testing/fixtures";
import { auditActionLabel, describeActor, describeRevocationReason, describeTarget, formatAuditValue, formatChanges } from "./format";
import { AUDIT_CSV_HEADER, auditCsvRecord, iterateAuditEvents, listAuditEvents, type AuditEventRow } from "./list";

describe("audit formatting", () => {
  it("shows each changed field as before → after, compactly", () => {
    const changes: AuditChanges = {
      enabled: { from: true, to: false },
      name: { from: "Old name", to: "New name" },
      expiresAt: { from: null, to: "2027-01-31T23:59:59.999Z" },
      scopes: { from: ["api_keys:read"], to: ["api_keys:read", "verify"] },
      description: { from: "x".repeat(80), to: "" },
    };
    expect(formatChanges(changes)).toEqual([
      "enabled: true → false",
      "name: Old name → New name",
      "expiresAt: none → 2027-01-31 23:59 UTC",
      "scopes: api_keys:read → api_keys:read, verify",
      `description: ${"x".repeat(59)}… → ""`,
    ]);
    expect(formatChanges(null)).toEqual([]);
    expect(formatAuditValue(new Date("2026-05-06T07:08:09Z"))).toBe("2026-05-06 07:08 UTC");
    expect(formatAuditValue({ a: 1 })).toBe('{"a":1}');
    expect(formatAuditValue(3)).toBe("3");
  });

  it("names the actor: a user, an API key, or the system", () => {
    const base = { actorUserId: null, actorName: null, actorEmail: null, actorApiKeyId: null, actorKeyPrefix: null };
    expect(describeActor({ ...base, actorUserId: "u", actorName: "Ada Admin", actorEmail: "admin@acme.test" })).toEqual({
      primary: "Ada Admin",
      secondary: "admin@acme.test",
    });
    expect(describeActor({ ...base, actorUserId: "u", actorName: "Ada Admin", actorApiKeyId: "k", actorKeyPrefix: "lk_AbCd1234…" })).toEqual({
      primary: "API key lk_AbCd1234…",
      secondary: "as Ada Admin",
    });
    expect(describeActor({ ...base, actorApiKeyId: "k", actorKeyPrefix: "lk_AbCd1234…" })).toEqual({
      primary: "API key lk_AbCd1234…",
      secondary: "service key",
    });
    expect(describeActor(base)).toEqual({ primary: "System", secondary: null });
    // Presented to POST /api/revoke: the key revoked itself, whoever held it.
    expect(describeActor({ ...base, actorApiKeyId: "k", actorKeyPrefix: "lk_AbCd1234…", metadata: { via: "self_revocation" } })).toEqual({
      primary: "API key lk_AbCd1234…",
      secondary: "revoked by the key itself",
    });
  });

  it("says why a key was revoked, apart from the other changes", () => {
    const at = { from: null, to: "2026-05-06T07:08:09.000Z" };
    const other = { revokedAt: at, revokedReason: { from: null, to: "other" }, revokedReasonText: { from: null, to: "moved to the vault" } };
    expect(describeRevocationReason({ changes: other, metadata: null })).toBe("Other: moved to the vault");
    expect(formatChanges(other)).toEqual(["revokedAt: none → 2026-05-06 07:08 UTC"]);
    expect(describeRevocationReason({ changes: { revokedAt: at, revokedReason: { from: null, to: "compromised" } }, metadata: null })).toBe(
      "Compromised",
    );
    // Over REST without a reason; and the summary event of a revoke-all.
    expect(describeRevocationReason({ changes: { revokedAt: at, revokedReason: { from: null, to: null } }, metadata: null })).toBe("No reason given");
    expect(describeRevocationReason({ changes: null, metadata: { count: 3, reason: "superseded" } })).toBe("Superseded");
    // Recorded before reasons were kept, or no revocation at all: nothing to say.
    expect(describeRevocationReason({ changes: { revokedAt: at }, metadata: null })).toBeNull();
    expect(describeRevocationReason({ changes: { enabled: { from: true, to: false } }, metadata: null })).toBeNull();
  });

  it("labels actions and targets", () => {
    expect(auditActionLabel("api_key.revoked")).toBe("Key revoked");
    expect(auditActionLabel("something.new_here")).toBe("Something new here");
    expect(describeTarget({ action: "api_key.revoked", targetName: "Billing sync", metadata: null })).toBe("Billing sync");
    expect(describeTarget({ action: "api_key.revoked_all", targetName: null, metadata: { count: 3 } })).toBe("3 keys");
    expect(describeTarget({ action: "personal_token.deleted_all", targetName: null, metadata: { count: 1 } })).toBe("1 token");
    expect(describeTarget({ action: "workspace.settings_updated", targetName: null, metadata: null })).toBeNull();
  });
});

describe("listAuditEvents (seeded database)", () => {
  let handle: OpenDatabase;
  let db: Db;
  let global: SessionUser;
  let acmeId: string;
  let globexId: string;
  let billingKey: { id: string; prefix: string };
  let legacyKeyId: string;

  async function keyByName(name: string) {
    const [k] = await db.select({ id: apiKeys.id, prefix: apiKeys.prefix }).from(apiKeys).where(eq(apiKeys.name, name));
    return k;
  }

  beforeAll(async () => {
    handle = await createTestDatabase();
    db = handle.db;
    await seedFixtures(db);
    global = (await loadSessionUser(db, await userId(db, "global@latchkey.test")))!;
    acmeId = await workspaceId(db, "acme");
    globexId = await workspaceId(db, "globex");
    billingKey = await keyByName("Billing sync");
    legacyKeyId = (await keyByName("Legacy importer")).id;
    const volcano = await keyByName("Volcano telemetry");
    const admin = await userId(db, "admin@acme.test");
    const manager = await userId(db, "manager@acme.test");
    const hank = await userId(db, "admin@globex.test");
    const at = (iso: string) => new Date(iso);
    await db.insert(auditEvents).values([
      {
        workspaceId: acmeId,
        actorUserId: admin,
        action: "api_key.disabled",
        apiKeyId: legacyKeyId,
        targetName: "Legacy importer",
        changes: { enabled: { from: true, to: false } },
        ip: "203.0.113.1",
        createdAt: at("2025-03-01T09:00:00Z"),
      },
      {
        workspaceId: acmeId,
        actorUserId: admin,
        actorApiKeyId: billingKey.id,
        action: "api_key.updated",
        apiKeyId: billingKey.id,
        targetName: "Billing sync",
        changes: { name: { from: "Billing", to: "Billing sync" } },
        ip: "198.51.100.2",
        createdAt: at("2025-03-02T12:00:00Z"),
      },
      {
        workspaceId: globexId,
        actorUserId: hank,
        action: "api_key.revoked",
        apiKeyId: volcano.id,
        targetName: "Volcano telemetry",
        ip: "192.0.2.3",
        createdAt: at("2025-03-03T08:00:00Z"),
      },
      { workspaceId: acmeId, actorUserId: manager, action: "personal_token.created", targetName: "Max token", createdAt: at("2025-03-04T00:00:00Z") },
      { workspaceId: acmeId, actorUserId: admin, action: "api_key.revoked_all", metadata: { count: 3 }, createdAt: at("2025-03-05T23:59:59.999Z") },
      { workspaceId: acmeId, actorUserId: admin, action: "api_key.revoked", targetName: "After the range", createdAt: at("2025-03-06T00:00:00Z") },
    ]);
  });
  afterAll(() => handle.close());

  const total = async (where?: ReturnType<typeof eq>) => (await db.select({ n: count() }).from(auditEvents).where(where))[0].n;

  describe("who may read", () => {
    it.each(["admin@acme.test", "manager@acme.test", "member@acme.test", "guest@acme.test"])("the global log is refused to %s", async (email) => {
      const ctx = await contextFor(db, email, "acme");
      await expect(listAuditEvents(db, { all: true, principal: ctx }, {})).rejects.toMatchObject({ code: "forbidden" });
      await expect(iterateAuditEvents(db, { all: true, principal: ctx }, {}).next()).rejects.toMatchObject({ code: "forbidden" });
    });

    it.each(["manager@acme.test", "member@acme.test", "guest@acme.test"])("a workspace's log is refused to %s", async (email) => {
      const ctx = await contextFor(db, email, "acme");
      await expect(listAuditEvents(db, { workspaceId: acmeId, principal: ctx }, {})).rejects.toMatchObject({ code: "forbidden" });
      await expect(iterateAuditEvents(db, { workspaceId: acmeId, principal: ctx }, {}).next()).rejects.toMatchObject({ code: "forbidden" });
    });

    it("an acme Admin cannot point their context at another workspace", async () => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      await expect(listAuditEvents(db, { workspaceId: globexId, principal: ctx }, {})).rejects.toMatchObject({ code: "forbidden" });
    });

    it("a Global Admin reads all, or any one workspace", async () => {
      expect((await listAuditEvents(db, { all: true, principal: global }, {})).total).toBe(await total());
      const ctx = await contextFor(db, "global@latchkey.test", "globex");
      const page = await listAuditEvents(db, { workspaceId: globexId, principal: ctx }, { pageSize: 100 });
      expect(page.total).toBe(await total(eq(auditEvents.workspaceId, globexId)));
      expect(page.rows.every((r) => r.workspaceId === globexId)).toBe(true);
    });
  });

  describe("workspace scope", () => {
    it("shows only that workspace's events, whatever the filters say", async () => {
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      const scope = { workspaceId: acmeId, principal: ctx };
      const page = await listAuditEvents(db, scope, { pageSize: 100 });
      expect(page.total).toBe(await total(eq(auditEvents.workspaceId, acmeId)));
      expect(page.rows.length).toBe(page.total);
      expect(page.rows.every((r) => r.workspaceSlug === "acme")).toBe(true);
      expect(page.rows.map((r) => r.targetName)).not.toContain("Volcano telemetry");
      // A workspace filter cannot widen the scope.
      const widened = await listAuditEvents(db, scope, { workspace: "globex", pageSize: 100 });
      expect(widened.total).toBe(page.total);
      expect((await listAuditEvents(db, scope, { key: "Volcano" })).total).toBe(0);
      expect((await listAuditEvents(db, scope, { actor: "admin@globex" })).total).toBe(0);
      const rows: AuditEventRow[] = [];
      for await (const batch of iterateAuditEvents(db, scope, {}, 2)) rows.push(...batch);
      expect(rows.every((r) => r.workspaceId === acmeId)).toBe(true);
      expect(rows).toHaveLength(page.total);
    });
  });

  describe("filters (global)", () => {
    const all = (filters: Record<string, unknown>) => listAuditEvents(db, { all: true, principal: global }, { pageSize: 100, ...filters });

    it("by workspace", async () => {
      const page = await all({ workspace: "globex" });
      expect(page.rows.length).toBeGreaterThan(0);
      expect(page.rows.every((r) => r.workspaceId === globexId)).toBe(true);
    });

    it("by part of the actor's email, ignoring case", async () => {
      const page = await all({ actor: "ADMIN@GLOBEX" });
      expect(page.rows.length).toBeGreaterThan(0);
      expect(page.rows.every((r) => r.actorEmail === "admin@globex.test")).toBe(true);
      expect(page.rows.map((r) => r.targetName)).toContain("Volcano telemetry");
      expect((await all({ actor: "%" })).total).toBe(0);
    });

    it("by action", async () => {
      const page = await all({ action: "api_key.revoked" });
      expect(page.rows.map((r) => r.targetName).sort()).toEqual(["After the range", "Volcano telemetry"]);
      await expect(all({ action: "api_key.exploded" })).rejects.toMatchObject({ code: "validation", fieldErrors: { action: [expect.any(String)] } });
    });

    it("by key: start of the name, the key id, or its display prefix", async () => {
      const byName = await all({ key: "LEGACY" });
      expect(byName.rows.every((r) => r.apiKeyId === legacyKeyId)).toBe(true);
      expect(byName.rows.map((r) => r.action).sort()).toEqual(["api_key.created", "api_key.disabled"]);
      const byId = await all({ key: legacyKeyId.toUpperCase() });
      expect(byId.rows.map((r) => r.id)).toEqual(byName.rows.map((r) => r.id));
      const byPrefix = await all({ key: billingKey.prefix.slice(0, 10) });
      expect(byPrefix.rows.length).toBe(2);
      expect(byPrefix.rows.every((r) => r.apiKeyId === billingKey.id)).toBe(true);
      expect((await all({ key: "legacy_" })).total).toBe(0);
    });

    it("by time range, whole UTC days, both ends inclusive", async () => {
      const page = await all({ from: "2025-03-02", to: "2025-03-05" });
      expect(page.rows.map((r) => r.createdAt.toISOString())).toEqual([
        "2025-03-05T23:59:59.999Z",
        "2025-03-04T00:00:00.000Z",
        "2025-03-03T08:00:00.000Z",
        "2025-03-02T12:00:00.000Z",
      ]);
      expect((await all({ to: "2025-03-01" })).rows.map((r) => r.action)).toEqual(["api_key.disabled"]);
      await expect(all({ from: "2025-03-05", to: "2025-03-01" })).rejects.toMatchObject({
        code: "validation",
        fieldErrors: { to: [expect.any(String)] },
      });
      await expect(all({ from: "yesterday" })).rejects.toMatchObject({ code: "validation", fieldErrors: { from: [expect.any(String)] } });
    });

    it("joins the actor: a user, or the API key used with its prefix", async () => {
      const [viaKey] = (await all({ action: "api_key.updated" })).rows;
      expect(viaKey).toMatchObject({ actorApiKeyId: billingKey.id, actorKeyPrefix: billingKey.prefix, actorName: "Ada Admin", ip: "198.51.100.2" });
      expect(describeActor(viaKey).primary).toBe(`API key ${billingKey.prefix}`);
      expect(formatChanges(viaKey.changes)).toEqual(["name: Billing → Billing sync"]);
    });
  });

  describe("order and paging", () => {
    const scope = () => ({ all: true as const, principal: global });

    it("newest first by default, oldest first on request", async () => {
      const desc = (await listAuditEvents(db, scope(), { pageSize: 100 })).rows;
      const times = desc.map((r) => r.createdAt.getTime());
      expect(times).toEqual([...times].sort((a, b) => b - a));
      const asc = (await listAuditEvents(db, scope(), { pageSize: 100, dir: "asc" })).rows;
      expect(asc.map((r) => r.id)).toEqual(desc.map((r) => r.id).reverse());
    });

    it("pages without repeats or gaps — and the export's batches match, across equal timestamps", async () => {
      const same = new Date("2025-02-01T00:00:00.123456Z");
      await db
        .insert(auditEvents)
        .values(Array.from({ length: 5 }, (_, i) => ({ workspaceId: acmeId, action: "api_key.updated", targetName: `Tie ${i}`, createdAt: same })));
      const full = await listAuditEvents(db, scope(), { pageSize: 100 });
      const seen: number[] = [];
      for (let page = 1; page <= Math.ceil(full.total / 10); page++) {
        const p = await listAuditEvents(db, scope(), { page, pageSize: 10 });
        expect(p.total).toBe(full.total);
        seen.push(...p.rows.map((r) => r.id));
      }
      expect(seen).toEqual(full.rows.map((r) => r.id));
      const streamed: number[] = [];
      for await (const batch of iterateAuditEvents(db, scope(), {}, 2)) streamed.push(...batch.map((r) => r.id));
      expect(streamed).toEqual(full.rows.map((r) => r.id));
    });
  });

  it("turns an event into its CSV record", async () => {
    const [row] = (await listAuditEvents(db, { all: true, principal: global }, { action: "api_key.updated", key: "billing" })).rows;
    expect(AUDIT_CSV_HEADER).toEqual(["time", "workspace", "actor", "actor email", "action", "target", "reason", "changes", "ip"]);
    expect(auditCsvRecord(row)).toEqual([
      "2025-03-02T12:00:00.000Z",
      "Acme Inc.",
      `API key ${billingKey.prefix}`,
      "admin@acme.test",
      "api_key.updated",
      "Billing sync",
      "",
      "name: Billing → Billing sync",
      "198.51.100.2",
    ]);
  });
});
