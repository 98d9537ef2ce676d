import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db, OpenDatabase } from "@/db";
import { apiKeys, auditEvents } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { displayPrefix, generateSecret, hashSecret } from "@/lib/api-keys/format";
import { loadSessionUser, type SessionUser } from "@/lib/auth/context";
import { csvCell, csvRow, csvStream, neutraliseFormula } from "@/lib/csv";
import { contextFor, seedFixtures, userId, workspaceId } from "@/lib/testing/fixtures";
import { API_KEY_SCOPES } from "@/lib/validations/api-keys";
import { ADMIN_KEY_CSV_HEADER, adminKeyCsvRecord, bulkChangeKeys, iterateAllKeys, listAllKeys, listWorkspaceOptions, type AdminKeyRow } from "./keys";

const DAY_MS = 86_400_000;
const now = new Date();
const daysAgo = (n: number) => new Date(now.getTime() - n * DAY_MS);
const daysAhead = (n: number) => new Date(now.getTime() + n * DAY_MS);

interface KeySpec {
  workspace: "acme" | "globex";
  name: string;
  owner?: string | null;
  kind?: "workspace" | "personal";
  createdAt?: Date;
  lastUsedAt?: Date | null;
  expiresAt?: Date | null;
  enabled?: boolean;
  revokedAt?: Date | null;
}

async function insertKey(db: Db, k: KeySpec): Promise<string> {
  const secret = generateSecret();
  const [row] = await db
    .insert(apiKeys)
    .values({
      workspaceId: await workspaceId(db, k.workspace),
      kind: k.kind ?? "workspace",
      ownerId: k.owner ? await userId(db, k.owner) : null,
      name: k.name,
      secretHash: hashSecret(secret),
      prefix: displayPrefix(secret),
      scopes: [...API_KEY_SCOPES],
      createdAt: k.createdAt ?? now,
      lastUsedAt: k.lastUsedAt ?? null,
      expiresAt: k.expiresAt === undefined ? daysAhead(365) : k.expiresAt,
      enabled: k.enabled ?? true,
      revokedAt: k.revokedAt ?? null,
    })
    .returning({ id: apiKeys.id });
  return row.id;
}

const names = (rows: { name: string }[]) => rows.map((r) => r.name);

describe("CSV helpers", () => {
  it("quotes cells holding quotes, commas or line breaks, doubling inner quotes", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvCell("cr\rhere")).toBe('"cr\rhere"');
    expect(csvCell(null)).toBe("");
    expect(csvCell(undefined)).toBe("");
    expect(csvCell(42)).toBe("42");
    expect(csvCell(new Date("2026-01-02T03:04:05.000Z"))).toBe("2026-01-02T03:04:05.000Z");
    expect(csvRow(["a", 'b"c', "d,e"])).toBe('a,"b""c","d,e"\r\n');
  });

  it("neutralises formula injection with a leading single quote", () => {
    for (const evil of ["=1+1", "+1", "-1", "@SUM(A1)", "\tcmd", "\rcmd"]) expect(neutraliseFormula(evil)).toBe(`'${evil}`);
    for (const fine of ["Billing sync", "lk_AbCd…", "2026-01-02", "a=b", ""]) expect(neutraliseFormula(fine)).toBe(fine);
    expect(csvCell('=HYPERLINK("http://evil","x")')).toBe(`"'=HYPERLINK(""http://evil"",""x"")"`);
    expect(csvCell("-2,3")).toBe(`"'-2,3"`);
  });

  it("streams the header and then one chunk per batch", async () => {
    async function* batches() {
      yield [{ a: "1", b: "x,y" }];
      yield [];
      yield [{ a: "=2", b: "z" }];
    }
    const stream = csvStream(["a", "b"], batches(), (r) => [r.a, r.b]);
    const text = await new Response(stream).text();
    expect(text).toBe('a,b\r\n1,"x,y"\r\n\'=2,z\r\n');
  });
});

describe("Admin > Keys (seeded database)", () => {
  let handle: OpenDatabase;
  let db: Db;
  let global: SessionUser;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    handle = await createTestDatabase();
    db = handle.db;
    await seedFixtures(db);
    const g = await loadSessionUser(db, await userId(db, "global@latchkey.test"));
    if (!g) throw new Error("no global admin");
    global = g;
    const specs: KeySpec[] = [
      { workspace: "acme", name: "Idle importer", owner: "admin@acme.test", createdAt: daysAgo(100), lastUsedAt: daysAgo(60) },
      { workspace: "acme", name: "Fresh sync", owner: "admin@acme.test", createdAt: daysAgo(100), lastUsedAt: daysAgo(1) },
      { workspace: "globex", name: "Never touched", owner: "admin@globex.test", createdAt: daysAgo(50), expiresAt: null },
      { workspace: "globex", name: "Expired thing", owner: null, createdAt: daysAgo(40), expiresAt: daysAgo(1), lastUsedAt: daysAgo(2) },
      { workspace: "acme", name: "Revoked old", owner: "admin@acme.test", createdAt: daysAgo(30), revokedAt: daysAgo(2) },
      { workspace: "acme", name: "Mia laptop", owner: "member@acme.test", kind: "personal", createdAt: daysAgo(5), expiresAt: daysAhead(10) },
      { workspace: "acme", name: "100% real_key", owner: null, createdAt: daysAgo(3) },
      { workspace: "acme", name: "1000 widgets", owner: null, createdAt: daysAgo(3) },
    ];
    for (const s of specs) ids[s.name] = await insertKey(db, s);
  });
  afterAll(() => handle.close());

  async function liveCount() {
    return (await db.select({ id: apiKeys.id }).from(apiKeys).where(isNull(apiKeys.revokedAt))).length;
  }

  describe("only a Global Admin", () => {
    it.each(["admin@acme.test", "manager@acme.test", "member@acme.test", "guest@acme.test"])(
      "refuses %s (forbidden), reading nothing",
      async (email) => {
        const ctx = await contextFor(db, email, "acme");
        await expect(listAllKeys(db, ctx, {})).rejects.toMatchObject({ code: "forbidden" });
        await expect(iterateAllKeys(db, ctx, {}).next()).rejects.toMatchObject({ code: "forbidden" });
        await expect(listWorkspaceOptions(db, ctx)).rejects.toMatchObject({ code: "forbidden" });
        const user = await loadSessionUser(db, await userId(db, email));
        await expect(bulkChangeKeys(db, user!, "revoke", [ids["Fresh sync"]])).rejects.toMatchObject({ code: "forbidden" });
        expect((await db.select().from(apiKeys).where(eq(apiKeys.id, ids["Fresh sync"])))[0].revokedAt).toBeNull();
      },
    );

    it("refuses a missing principal", async () => {
      await expect(listAllKeys(db, null as never, {})).rejects.toMatchObject({ code: "forbidden" });
    });

    it("a Global Admin's context in any workspace may list everything", async () => {
      const ctx = await contextFor(db, "global@latchkey.test", "acme");
      const page = await listAllKeys(db, ctx, {});
      expect(page.rows.some((r) => r.workspaceSlug === "globex")).toBe(true);
    });
  });

  describe("listAllKeys", () => {
    it("lists every live key of every workspace, both kinds, by default newest first", async () => {
      const page = await listAllKeys(db, global, { pageSize: 100 });
      expect(page.total).toBe(await liveCount());
      expect(page.rows).toHaveLength(page.total);
      expect(new Set(page.rows.map((r) => r.workspaceSlug))).toEqual(new Set(["acme", "globex"]));
      expect(new Set(page.rows.map((r) => r.kind))).toEqual(new Set(["workspace", "personal"]));
      expect(names(page.rows)).not.toContain("Revoked old");
      const created = page.rows.map((r) => r.createdAt.getTime());
      expect(created).toEqual([...created].sort((a, b) => b - a));
      const reporting = page.rows.find((r) => r.name === "Reporting dashboard")!;
      expect(reporting).toMatchObject({
        workspaceName: "Acme Inc.",
        ownerEmail: "manager@acme.test",
        ownerName: "Max Manager",
        state: "active",
        kind: "workspace",
      });
      expect(reporting.prefix).toMatch(/^lk_[0-9A-Za-z]{8}…$/);
    });

    it("filters by state", async () => {
      const by = async (state: string) => names((await listAllKeys(db, global, { state, pageSize: 100 })).rows);
      expect(await by("disabled")).toEqual(["Legacy importer"]);
      expect(await by("expired")).toEqual(["Expired thing"]);
      expect(await by("revoked")).toEqual(["Revoked old"]);
      const active = await by("active");
      expect(active).toContain("Billing sync");
      expect(active).toContain("Mia laptop");
      expect(active).not.toContain("Legacy importer");
      expect(active).not.toContain("Expired thing");
      const all = await listAllKeys(db, global, { state: "all", pageSize: 100 });
      expect(all.total).toBe((await db.select({ id: apiKeys.id }).from(apiKeys)).length);
      expect(names(all.rows)).toContain("Revoked old");
      for (const r of all.rows) expect(r.state).toBe(r.revokedAt ? "revoked" : r.state);
    });

    it("filters by workspace", async () => {
      const page = await listAllKeys(db, global, { workspace: "globex", pageSize: 100 });
      expect(new Set(names(page.rows))).toEqual(new Set(["Volcano telemetry", "Globex service key", "Never touched", "Expired thing"]));
      expect((await listAllKeys(db, global, { workspace: "nope" })).total).toBe(0);
    });

    it("filters by part of the owner's email, ignoring case", async () => {
      const page = await listAllKeys(db, global, { owner: "MANAGER@acme", pageSize: 100 });
      expect(names(page.rows)).toEqual(["Reporting dashboard"]);
      const member = await listAllKeys(db, global, { owner: "member@", pageSize: 100 });
      expect(names(member.rows)).toEqual(["Mia laptop"]);
      // Wildcards in the search are literal.
      expect((await listAllKeys(db, global, { owner: "%" })).total).toBe(0);
    });

    it('"expiring within N days" finds future expiries inside the window only', async () => {
      const page = await listAllKeys(db, global, { expiringWithin: "30", pageSize: 100 });
      expect(new Set(names(page.rows))).toEqual(new Set(["Reporting dashboard", "Mia laptop"]));
      expect(names((await listAllKeys(db, global, { expiringWithin: 15, pageSize: 100 })).rows)).toEqual(["Mia laptop"]);
    });

    it('"idle for N days": last used before then, or never used and created before then', async () => {
      const page = await listAllKeys(db, global, { idleFor: 30, pageSize: 100 });
      // "Expired thing" was used 2 days ago; "Fresh sync" yesterday; the seeded keys are new.
      expect(new Set(names(page.rows))).toEqual(new Set(["Idle importer", "Never touched"]));
      expect(names((await listAllKeys(db, global, { idleFor: 55, pageSize: 100 })).rows)).toEqual(["Idle importer"]);
    });

    it('"never used" and "no expiry"', async () => {
      const never = await listAllKeys(db, global, { neverUsed: "1", pageSize: 100 });
      expect(never.rows.every((r) => r.lastUsedAt === null)).toBe(true);
      expect(names(never.rows)).toContain("Never touched");
      expect(names(never.rows)).not.toContain("Idle importer");
      expect(names((await listAllKeys(db, global, { noExpiry: "on", pageSize: 100 })).rows)).toEqual(["Never touched"]);
      // Filters combine.
      expect((await listAllKeys(db, global, { noExpiry: true, workspace: "acme" })).total).toBe(0);
    });

    it("searches the start of the name or display prefix, ignoring case, wildcards literal", async () => {
      expect(names((await listAllKeys(db, global, { q: "REPORTING" })).rows)).toEqual(["Reporting dashboard"]);
      expect((await listAllKeys(db, global, { q: "dashboard" })).total).toBe(0);
      expect(names((await listAllKeys(db, global, { q: "100%" })).rows)).toEqual(["100% real_key"]);
      expect((await listAllKeys(db, global, { q: "100_" })).total).toBe(0);
      expect((await listAllKeys(db, global, { q: "%" })).total).toBe(0);
      expect(names((await listAllKeys(db, global, { q: "100", pageSize: 100 })).rows).sort()).toEqual(["100% real_key", "1000 widgets"]);
      const [fresh] = await db.select({ prefix: apiKeys.prefix }).from(apiKeys).where(eq(apiKeys.id, ids["Fresh sync"]));
      expect(names((await listAllKeys(db, global, { q: fresh.prefix.slice(0, 10).toLowerCase() })).rows)).toEqual(["Fresh sync"]);
      expect(names((await listAllKeys(db, global, { q: ids["Fresh sync"].toUpperCase() })).rows)).toEqual(["Fresh sync"]);
    });

    it("sorts on the server by each sortable column, both ways", async () => {
      const all = async (sort: string, dir: "asc" | "desc") => (await listAllKeys(db, global, { sort, dir, pageSize: 100 })).rows;
      const cmpText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
      const check = async (sort: string, value: (r: AdminKeyRow) => string | number | null, nullsLast: boolean) => {
        for (const dir of ["asc", "desc"] as const) {
          const rows = await all(sort, dir);
          const values = rows.map(value);
          const present = values.filter((v) => v !== null);
          const sorted = [...present].sort((a, b) => (typeof a === "number" ? (a as number) - (b as number) : cmpText(a as string, b as string)));
          if (dir === "desc") sorted.reverse();
          expect(present, `${sort} ${dir}`).toEqual(sorted);
          if (nullsLast)
            expect(
              values.slice(present.length).every((v) => v === null),
              `${sort} ${dir} nulls last`,
            ).toBe(true);
        }
      };
      await check("created", (r) => r.createdAt.getTime(), false);
      await check("expires", (r) => r.expiresAt?.getTime() ?? null, true);
      await check("lastUsed", (r) => r.lastUsedAt?.getTime() ?? null, true);
      await check("owner", (r) => r.ownerName?.toLowerCase() ?? null, true);
      // Text order is the database's collation; compare what is unambiguous in any collation.
      const byName = (await all("name", "asc")).map((r) => r.name);
      expect(byName.indexOf("Billing sync")).toBeLessThan(byName.indexOf("CI deploy bot"));
      expect(byName.indexOf("CI deploy bot")).toBeLessThan(byName.indexOf("Volcano telemetry"));
      expect((await all("name", "desc")).map((r) => r.name)).toEqual([...byName].reverse());
      const byWorkspace = (await all("workspace", "asc")).map((r) => r.workspaceSlug);
      expect(byWorkspace).toEqual([...byWorkspace].sort());
      const byWorkspaceDesc = (await all("workspace", "desc")).map((r) => r.workspaceSlug);
      expect(byWorkspaceDesc[0]).toBe("globex");
    });

    it("pages without repeats or gaps, with a constant total", async () => {
      const full = await listAllKeys(db, global, { pageSize: 100, sort: "name", dir: "asc" });
      const seen: string[] = [];
      for (let page = 1; page <= Math.ceil(full.total / 10) + 1; page++) {
        const p = await listAllKeys(db, global, { page, pageSize: 10, sort: "name", dir: "asc" });
        expect(p.total).toBe(full.total);
        seen.push(...p.rows.map((r) => r.id));
      }
      expect(seen).toEqual(full.rows.map((r) => r.id));
    });

    it("rejects bad filters with field errors", async () => {
      await expect(listAllKeys(db, global, { state: "bogus" })).rejects.toMatchObject({
        code: "validation",
        fieldErrors: { state: [expect.any(String)] },
      });
      await expect(listAllKeys(db, global, { expiringWithin: "soon" })).rejects.toMatchObject({
        code: "validation",
        fieldErrors: { expiringWithin: [expect.any(String)] },
      });
      await expect(listAllKeys(db, global, { idleFor: "0" })).rejects.toMatchObject({
        fieldErrors: { idleFor: ["Idle for must be at least 1 day."] },
      });
      await expect(listAllKeys(db, global, { sort: "secretHash" })).rejects.toMatchObject({ code: "validation" });
      await expect(listAllKeys(db, global, { pageSize: 7 })).rejects.toMatchObject({ code: "validation" });
      await expect(listAllKeys(db, global, { q: "x".repeat(101) })).rejects.toMatchObject({ fieldErrors: { q: [expect.any(String)] } });
    });

    it("treats empty URL params as no filter", async () => {
      const page = await listAllKeys(db, global, {
        q: "",
        owner: " ",
        workspace: "",
        expiringWithin: "",
        idleFor: "",
        state: "",
        sort: "",
        dir: "",
        page: "",
        pageSize: "",
      });
      expect(page.total).toBe(await liveCount());
      expect(page).toMatchObject({ page: 1, pageSize: 20 });
    });
  });

  describe("iterateAllKeys (CSV export)", () => {
    it("yields every filtered row once, newest first, in batches — also across identical timestamps", async () => {
      // Five keys created in the same microsecond: the keyset must not skip or repeat them.
      const sameInstant = daysAgo(7);
      for (let i = 0; i < 5; i++) await insertKey(db, { workspace: "globex", name: `Twin ${i}`, createdAt: sameInstant });
      const batches: AdminKeyRow[][] = [];
      for await (const batch of iterateAllKeys(db, global, { state: "all" }, 3)) batches.push(batch);
      expect(batches.length).toBeGreaterThan(3);
      expect(batches.slice(0, -1).every((b) => b.length === 3)).toBe(true);
      const streamed = batches.flat();
      const listed = await listAllKeys(db, global, { state: "all", pageSize: 100 });
      expect(streamed.map((r) => r.id)).toEqual(listed.rows.map((r) => r.id));
      expect(new Set(streamed.map((r) => r.id)).size).toBe(streamed.length);

      const twins: AdminKeyRow[] = [];
      for await (const batch of iterateAllKeys(db, global, { q: "twin" }, 2)) twins.push(...batch);
      expect(twins.map((r) => r.name).sort()).toEqual(["Twin 0", "Twin 1", "Twin 2", "Twin 3", "Twin 4"]);
    });

    it("applies the same filters as the table", async () => {
      const rows: AdminKeyRow[] = [];
      for await (const batch of iterateAllKeys(db, global, { expiringWithin: 30 })) rows.push(...batch);
      expect(new Set(names(rows))).toEqual(new Set(["Reporting dashboard", "Mia laptop"]));
    });

    it("turns a row into the CSV record, ISO dates, state and owner email", async () => {
      const [row] = (await listAllKeys(db, global, { q: "Mia laptop" })).rows;
      const record = adminKeyCsvRecord(row);
      expect(ADMIN_KEY_CSV_HEADER).toEqual(["workspace", "name", "kind", "owner email", "prefix", "state", "created", "expires", "last used"]);
      expect(record).toEqual([
        "Acme Inc.",
        "Mia laptop",
        "personal",
        "member@acme.test",
        row.prefix,
        "active",
        row.createdAt.toISOString(),
        row.expiresAt!.toISOString(),
        "",
      ]);
    });
  });

  describe("listWorkspaceOptions", () => {
    it("lists every workspace by name", async () => {
      expect(await listWorkspaceOptions(db, global)).toEqual([
        { slug: "acme", name: "Acme Inc." },
        { slug: "globex", name: "Globex Corp." },
      ]);
    });
  });

  describe("bulkChangeKeys", () => {
    const meta = { ip: "198.51.100.9", userAgent: "vitest bulk" };

    it("disables workspace keys through the core, one audit event each in the key's workspace", async () => {
      const a = await insertKey(db, { workspace: "acme", name: "Bulk disable A", owner: "admin@acme.test" });
      const b = await insertKey(db, { workspace: "globex", name: "Bulk disable B", owner: null });
      const token = await insertKey(db, { workspace: "acme", name: "Bulk disable token", owner: "member@acme.test", kind: "personal" });
      const legacy = (await listAllKeys(db, global, { q: "Legacy importer" })).rows[0].id;
      const outcome = await bulkChangeKeys(db, global, "disable", [a, b, token, legacy, a.toUpperCase()], meta);
      expect(outcome).toMatchObject({ requested: 4, changed: 2 });
      expect(outcome.skipped).toEqual(
        expect.arrayContaining([
          { id: token, name: "Bulk disable token", reason: "Personal tokens cannot be disabled, only revoked." },
          { id: legacy, name: "Legacy importer", reason: "Already disabled." },
        ]),
      );
      const rows = await db
        .select()
        .from(apiKeys)
        .where(inArray(apiKeys.id, [a, b, token]));
      expect(Object.fromEntries(rows.map((r) => [r.id, r.enabled]))).toEqual({ [a]: false, [b]: false, [token]: true });
      const events = await db
        .select()
        .from(auditEvents)
        .where(inArray(auditEvents.apiKeyId, [a, b, token]))
        .orderBy(asc(auditEvents.id));
      expect(events).toHaveLength(2);
      expect(events.map((e) => [e.apiKeyId, e.action, e.workspaceId])).toEqual([
        [a, "api_key.disabled", await workspaceId(db, "acme")],
        [b, "api_key.disabled", await workspaceId(db, "globex")],
      ]);
      for (const e of events) {
        expect(e).toMatchObject({ actorUserId: global.id, ip: "198.51.100.9", userAgent: "vitest bulk" });
        expect(e.changes).toEqual({ enabled: { from: true, to: false } });
      }
    });

    it("revokes workspace keys and personal tokens, skipping the already revoked and unknown ids", async () => {
      const a = await insertKey(db, { workspace: "acme", name: "Bulk revoke A", owner: "admin@acme.test" });
      const token = await insertKey(db, { workspace: "globex", name: "Bulk revoke token", owner: "admin@globex.test", kind: "personal" });
      const gone = "00000000-0000-4000-8000-000000000000";
      const outcome = await bulkChangeKeys(db, global, "revoke", [a, token, ids["Revoked old"], gone], meta);
      expect(outcome.requested).toBe(4);
      expect(outcome.changed).toBe(2);
      expect(outcome.skipped).toEqual([
        { id: ids["Revoked old"], name: "Revoked old", reason: "Already revoked." },
        { id: gone, name: null, reason: "Key not found." },
      ]);
      const rows = await db
        .select()
        .from(apiKeys)
        .where(inArray(apiKeys.id, [a, token]));
      for (const r of rows) expect(r).toMatchObject({ revokedById: global.id, revokedAt: expect.any(Date) });
      const events = await db
        .select()
        .from(auditEvents)
        .where(and(inArray(auditEvents.apiKeyId, [a, token]), eq(auditEvents.action, "api_key.revoked")))
        .orderBy(asc(auditEvents.id));
      expect(events.map((e) => [e.targetName, e.actorUserId])).toEqual([
        ["Bulk revoke A", global.id],
        ["Bulk revoke token", global.id],
      ]);
      expect(events[1]).toMatchObject({ workspaceId: await workspaceId(db, "globex"), metadata: { kind: "personal", via: "admin" } });
      // Revoking again changes nothing and writes nothing.
      const again = await bulkChangeKeys(db, global, "revoke", [a], meta);
      expect(again).toMatchObject({ changed: 0, skipped: [{ id: a, reason: "Already revoked." }] });
      expect(await db.select().from(auditEvents).where(eq(auditEvents.apiKeyId, a))).toHaveLength(1);
    });

    it("refuses an empty list, a malformed id, or more than 500 ids, changing nothing", async () => {
      await expect(bulkChangeKeys(db, global, "revoke", [])).rejects.toMatchObject({ code: "validation" });
      await expect(bulkChangeKeys(db, global, "revoke", ["not-a-uuid"])).rejects.toMatchObject({ code: "validation" });
      await expect(bulkChangeKeys(db, global, "revoke", "nope")).rejects.toMatchObject({ code: "validation" });
      const many = Array.from({ length: 501 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
      await expect(bulkChangeKeys(db, global, "revoke", many)).rejects.toMatchObject({
        code: "validation",
        message: "Choose at most 500 keys at a time.",
      });
      expect((await db.select().from(apiKeys).where(eq(apiKeys.id, ids["Fresh sync"])))[0].revokedAt).toBeNull();
    });
  });
});
