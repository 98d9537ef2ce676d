import { and, asc, count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db, OpenDatabase } from "@/db";
import { accessLogs, apiKeys, auditEvents, authFailures, keyAddressDays, memberships } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { listKeyAddresses } from "@/lib/access-log/query";
import { flushAccessLogs, purgeAccessLogs } from "@/lib/access-log/writer";
import { createApiKey, updateApiKey } from "@/lib/api-keys/core";
import { flushKeyUse } from "@/lib/api-keys/usage";
import { attachSocketAddress } from "@/lib/net/client-address";
import { addUser, contextFor, seedFixtures, setWorkspace } from "@/lib/testing/fixtures";
import { callApi } from "@/lib/testing/api";

// A key's IP rules and not-before time, through the real REST handlers: who may set them, what
// they refuse (and with which code), that a refusal is logged but not counted as a guess, that
// POST /api/data/verify evaluates them only when told the client's address, and the per-address
// counts the key's page lists.

let opened: OpenDatabase;
let db: Db;
let admin: string; // an Admin's key with every scope
const g = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase> };

beforeAll(async () => {
  opened = await createTestDatabase();
  db = opened.db;
  await seedFixtures(db);
  const ctx = await contextFor(db, "admin@acme.test", "acme");
  ({ secret: admin } = await createApiKey(db, ctx, { name: "IP rules admin" }));
  g.__latchkeyDb = Promise.resolve(opened);
});

afterAll(async () => {
  g.__latchkeyDb = undefined;
  await flushKeyUse();
  await flushAccessLogs();
  await opened?.close();
});

/** What these tests read of an answer (an error answer has no data: reading it then fails the test). */
type Data = { key: { id: string; ipAllow: string[]; ipDeny: string[]; notBefore: string | null }; secret: string } & Record<string, unknown>;
type Body = { data: Data; error?: { code: string; message: string; validationErrors?: Record<string, string[]> } };

async function call(method: string, path: string, opts: { key: string; from?: string; body?: unknown }) {
  const req = new Request(`http://localhost${path}`, {
    method,
    headers: { "x-apikey": opts.key, ...(opts.body !== undefined ? { "content-type": "application/json" } : {}) },
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  });
  attachSocketAddress(req, opts.from ?? "192.0.2.1");
  const res = await callApi(req);
  return { status: res.status, body: (await res.json()) as Body };
}

/** Every key as a change would leave it (not its last use, which the usage writer records meanwhile), and the audit log's length. */
async function keysSnapshot(): Promise<string> {
  const rows = await db
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      scopes: apiKeys.scopes,
      ipAllow: apiKeys.ipAllow,
      ipDeny: apiKeys.ipDeny,
      notBefore: apiKeys.notBefore,
      expiresAt: apiKeys.expiresAt,
      permissionCeiling: apiKeys.permissionCeiling,
      updatedAt: apiKeys.updatedAt,
      revokedAt: apiKeys.revokedAt,
    })
    .from(apiKeys)
    .orderBy(asc(apiKeys.id));
  const [{ events }] = await db.select({ events: count() }).from(auditEvents);
  return JSON.stringify({ rows, events });
}

let n = 0;
const named = (label: string) => `${label} ${++n}`;

describe("IP rules over REST", () => {
  it("are set at creation in canonical spelling, returned by GET, and enforced: IPv4, IPv6, CIDR, deny over allow", async () => {
    const made = await call("POST", "/api/data/api-keys", {
      key: admin,
      body: { name: named("Office"), scopes: ["me:read"], ipAllow: ["10.0.0.0/8", "2001:DB8::/32", "203.0.113.7/32"], ipDeny: ["10.1.0.0/16"] },
    });
    expect(made.status).toBe(201);
    expect(made.body.data.key).toMatchObject({ ipAllow: ["10.0.0.0/8", "2001:db8::/32", "203.0.113.7"], ipDeny: ["10.1.0.0/16"], notBefore: null });
    const got = await call("GET", `/api/data/api-keys/${made.body.data.key.id}`, { key: admin });
    expect(got.body.data.key.ipAllow).toEqual(["10.0.0.0/8", "2001:db8::/32", "203.0.113.7"]);

    const key = made.body.data.secret as string;
    const me = (from: string) => call("GET", "/api/data/me", { key, from });
    expect((await me("203.0.113.7")).status).toBe(200);
    expect((await me("10.200.0.1")).status).toBe(200);
    expect((await me("::ffff:10.200.0.1")).status).toBe(200);
    expect((await me("2001:db8:1::9")).status).toBe(200);
    for (const from of ["203.0.113.8", "2001:db9::1", "10.1.2.3"]) {
      const refused = await me(from);
      expect(refused, from).toMatchObject({
        status: 403,
        body: { error: { code: "ip_not_allowed", message: `This API key may not be used from ${from}.` } },
      });
    }
  });

  it("a refusal is logged in the key's access log and counted per address, but costs the address nothing from its failure budget", async () => {
    const saved = process.env.LATCHKEY_AUTH_FAILURE_LIMIT;
    process.env.LATCHKEY_AUTH_FAILURE_LIMIT = "2";
    try {
      const made = await call("POST", "/api/data/api-keys", {
        key: admin,
        body: { name: named("Denied"), scopes: ["me:read"], ipDeny: ["198.51.100.66"] },
      });
      const key = made.body.data.secret as string;
      const id = made.body.data.key.id as string;
      for (let i = 0; i < 4; i++) expect((await call("GET", "/api/data/me", { key, from: "198.51.100.66" })).body.error?.code).toBe("ip_not_allowed");
      expect((await call("GET", "/api/data/me", { key, from: "198.51.100.67" })).status).toBe(200);
      expect((await call("GET", "/api/data/me", { key, from: "198.51.100.67" })).status).toBe(200);
      // Still not rate limited there: four refusals, none counted as a guess.
      expect((await call("GET", "/api/data/me", { key: admin, from: "198.51.100.66" })).status).toBe(200);
      expect(await db.select().from(authFailures).where(eq(authFailures.clientKey, "198.51.100.66"))).toEqual([]);
      await flushAccessLogs();
      const rows = await db
        .select({ reason: accessLogs.reason, ip: accessLogs.ip, status: accessLogs.status })
        .from(accessLogs)
        .where(eq(accessLogs.apiKeyId, id));
      expect(rows.filter((r) => r.reason === "ip_not_allowed")).toHaveLength(4);
      expect(rows.every((r) => r.reason !== "ip_not_allowed" || (r.ip === "198.51.100.66" && r.status === 403))).toBe(true);
      const ctx = await contextFor(db, "admin@acme.test", "acme");
      const { addresses, total } = await listKeyAddresses(db, ctx, { id, ipAllow: [], ipDeny: ["198.51.100.66"] });
      expect(total).toBe(2);
      expect(
        addresses.map(({ ip, succeeded, refused, verdict }) => ({ ip, succeeded, refused, verdict })).sort((a, b) => a.ip.localeCompare(b.ip)),
      ).toEqual([
        { ip: "198.51.100.66", succeeded: 0, refused: 4, verdict: "denied" },
        { ip: "198.51.100.67", succeeded: 2, refused: 0, verdict: "allowed" },
      ]);
      expect(addresses[0].lastSeenAt).toBeInstanceOf(Date);
    } finally {
      if (saved === undefined) delete process.env.LATCHKEY_AUTH_FAILURE_LIMIT;
      else process.env.LATCHKEY_AUTH_FAILURE_LIMIT = saved;
    }
  });

  it("PATCH replaces a list, [] removes it, and the change applies to the key's next request", async () => {
    const made = await call("POST", "/api/data/api-keys", { key: admin, body: { name: named("Patched"), scopes: ["me:read"] } });
    const key = made.body.data.secret as string;
    const path = `/api/data/api-keys/${made.body.data.key.id}`;
    expect((await call("GET", "/api/data/me", { key, from: "192.0.2.50" })).status).toBe(200);
    const patched = await call("PATCH", path, { key: admin, body: { ipAllow: ["192.0.2.0/25"] } });
    expect(patched.body.data.key.ipAllow).toEqual(["192.0.2.0/25"]);
    expect((await call("GET", "/api/data/me", { key, from: "192.0.2.200" })).body.error?.code).toBe("ip_not_allowed");
    expect((await call("GET", "/api/data/me", { key, from: "192.0.2.50" })).status).toBe(200);
    expect((await call("PATCH", path, { key: admin, body: { ipAllow: [] } })).body.data.key.ipAllow).toEqual([]);
    expect((await call("GET", "/api/data/me", { key, from: "192.0.2.200" })).status).toBe(200);
  });

  it("refuses bad rules with a field error per entry and changes nothing", async () => {
    const made = await call("POST", "/api/data/api-keys", {
      key: admin,
      body: { name: named("Bad rules"), scopes: ["me:read"], ipAllow: ["192.0.2.1"] },
    });
    const before = await keysSnapshot();
    const bad = await call("PATCH", `/api/data/api-keys/${made.body.data.key.id}`, {
      key: admin,
      body: { ipAllow: ["10.0.0.1/8", "10.0.0.0/8", "10.0.0.0/8"], ipDeny: Array.from({ length: 51 }, (_, i) => `192.0.2.${i}`) },
    });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: "validation_failed" } } });
    expect(bad.body.error?.validationErrors).toEqual({
      ipAllow: [
        'Allowed addresses: "10.0.0.1/8" has host bits set: the range is 10.0.0.0/8, or enter the single address without /8.',
        'Allowed addresses: "10.0.0.0/8" is listed twice.',
      ],
      ipDeny: ["Denied addresses may hold at most 50 entries."],
    });
    const created = await call("POST", "/api/data/api-keys", { key: admin, body: { name: named("Bad create"), ipAllow: ["nope"] } });
    expect(created.body.error?.validationErrors).toEqual({ ipAllow: ['Allowed addresses: "nope" is not an IPv4 or IPv6 address or CIDR range.'] });
    expect(await keysSnapshot()).toBe(before);
  });
});

describe("who can use IP rules to do more than they may", () => {
  it("a key restricted by IP rules cannot lift its own rules, nor mint or loosen a key beyond them; it can narrow", async () => {
    const made = await call("POST", "/api/data/api-keys", {
      key: admin,
      body: {
        name: named("Restricted writer"),
        scopes: ["api_keys:read", "api_keys:write", "me:read"],
        ipAllow: ["192.0.2.0/24"],
        ipDeny: ["192.0.2.66"],
      },
    });
    const key = made.body.data.secret as string;
    const self = `/api/data/api-keys/${made.body.data.key.id}`;
    const from = "192.0.2.10";
    const before = await keysSnapshot();
    const lift = await call("PATCH", self, { key, from, body: { ipAllow: [] } });
    expect(lift).toMatchObject({ status: 403, body: { error: { code: "forbidden" } } });
    expect(lift.body.error?.message).toContain("restricted by IP rules");
    expect((await call("PATCH", self, { key, from, body: { ipDeny: [] } })).status).toBe(403);
    expect((await call("PATCH", self, { key, from, body: { ipAllow: ["0.0.0.0/0"] } })).status).toBe(403);
    const mint = await call("POST", "/api/data/api-keys", { key, from, body: { name: named("Escape"), scopes: ["me:read"] } });
    expect(mint).toMatchObject({ status: 400, body: { error: { code: "validation_failed" } } });
    expect(mint.body.error?.validationErrors?.ipAllow?.[0]).toContain("restricted by IP rules");
    const other = await call("POST", "/api/data/api-keys", {
      key: admin,
      body: { name: named("Other"), scopes: ["me:read"], ipAllow: ["192.0.2.128/25"] },
    });
    const before2 = await keysSnapshot();
    expect((await call("PATCH", `/api/data/api-keys/${other.body.data.key.id}`, { key, from, body: { ipAllow: ["192.0.0.0/16"] } })).status).toBe(
      403,
    );
    expect(await keysSnapshot()).toBe(before2);
    expect(before2).not.toBe(before);
    // Narrower is fine: inside its allow list, with its denied address denied too.
    const narrow = await call("POST", "/api/data/api-keys", {
      key,
      from,
      body: { name: named("Narrower"), scopes: ["me:read"], ipAllow: ["192.0.2.0/26"], ipDeny: ["192.0.2.66"] },
    });
    expect(narrow.status).toBe(201);
    const narrowSelf = await call("PATCH", self, { key, from, body: { ipAllow: ["192.0.2.0/25"] } });
    expect(narrowSelf.body.data.key.ipAllow).toEqual(["192.0.2.0/25"]);
  });

  it("a key restricted by IP rules mints personal tokens that carry its rules", async () => {
    await setWorkspace(db, "acme", { personalTokensAllowed: true });
    const made = await call("POST", "/api/data/api-keys", {
      key: admin,
      body: { name: named("Token minter"), scopes: ["tokens:write", "me:read"], ipAllow: ["192.0.2.0/24"], ipDeny: ["192.0.2.9"] },
    });
    const minted = await call("POST", "/api/data/me/tokens", { key: made.body.data.secret, from: "192.0.2.1", body: { name: named("Minted") } });
    expect(minted.status).toBe(201);
    const token = minted.body.data.secret as string;
    expect((await call("GET", "/api/data/me", { key: token, from: "192.0.2.1" })).status).toBe(200);
    expect((await call("GET", "/api/data/me", { key: token, from: "198.51.100.1" })).body.error?.code).toBe("ip_not_allowed");
    expect((await call("GET", "/api/data/me", { key: token, from: "192.0.2.9" })).body.error?.code).toBe("ip_not_allowed");
  });

  it("a key without api_keys:write, or whose owner may not manage keys, cannot change another key's rules", async () => {
    const target = await call("POST", "/api/data/api-keys", {
      key: admin,
      body: { name: named("Target"), scopes: ["me:read"], ipAllow: ["192.0.2.1"] },
    });
    const path = `/api/data/api-keys/${target.body.data.key.id}`;
    const readOnly = (await call("POST", "/api/data/api-keys", { key: admin, body: { name: named("Reader"), scopes: ["api_keys:read"] } })).body.data
      .secret;
    expect((await call("PATCH", path, { key: readOnly, body: { ipAllow: [] } })).body.error?.code).toBe("scope_missing");
    // A member's key with api_keys:write, made while they could manage keys, after the grant is taken away.
    const memberId = await addUser(db, { email: "ip-member@acme.test", name: "IP Member", memberships: [["acme", "member"]] });
    await db.update(memberships).set({ canManageApiKeys: true }).where(eq(memberships.userId, memberId));
    const memberCtx = await contextFor(db, "ip-member@acme.test", "acme");
    const { secret: memberKey } = await createApiKey(db, memberCtx, { name: named("Member writer"), scopes: ["api_keys:read", "api_keys:write"] });
    await db.update(memberships).set({ canManageApiKeys: false }).where(eq(memberships.userId, memberId));
    const before = await keysSnapshot();
    expect((await call("PATCH", path, { key: memberKey, body: { ipAllow: [] } })).body.error?.code).toBe("forbidden");
    expect(await keysSnapshot()).toBe(before);
  });

  it("a member who manages keys cannot lift the rules of an Admin's key", async () => {
    const ctx = await contextFor(db, "admin@acme.test", "acme");
    const adminKey = await createApiKey(db, ctx, { name: named("Admin's locked key"), ipAllow: ["192.0.2.1"] });
    const managerId = await addUser(db, { email: "ip-manager@acme.test", name: "IP Manager", memberships: [["acme", "member"]] });
    await db.update(memberships).set({ canManageApiKeys: true }).where(eq(memberships.userId, managerId));
    const manager = await contextFor(db, "ip-manager@acme.test", "acme");
    await expect(updateApiKey(db, manager, adminKey.key.id, { ipAllow: [] })).rejects.toMatchObject({ code: "forbidden" });
    const [row] = await db.select({ ipAllow: apiKeys.ipAllow }).from(apiKeys).where(eq(apiKeys.id, adminKey.key.id));
    expect(row.ipAllow).toEqual(["192.0.2.1"]);
  });
});

describe("not before", () => {
  it("refuses the key until then with key_not_yet_valid and the time, and must come before the expiry", async () => {
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const made = await call("POST", "/api/data/api-keys", { key: admin, body: { name: named("Later"), scopes: ["me:read"], notBefore: at } });
    expect(made.body.data.key.notBefore).toBe(at);
    const early = await call("GET", "/api/data/me", { key: made.body.data.secret });
    expect(early).toMatchObject({ status: 401, body: { error: { code: "key_not_yet_valid", message: `This API key is not valid before ${at}.` } } });
    const path = `/api/data/api-keys/${made.body.data.key.id}`;
    expect((await call("PATCH", path, { key: admin, body: { notBefore: null } })).body.data.key.notBefore).toBeNull();
    expect((await call("GET", "/api/data/me", { key: made.body.data.secret })).status).toBe(200);
    const expiry = new Date(Date.now() + 7_200_000).toISOString();
    const late = await call("PATCH", path, { key: admin, body: { expiresAt: expiry, notBefore: new Date(Date.now() + 9_000_000).toISOString() } });
    expect(late.body.error?.validationErrors).toEqual({ notBefore: [`Not before must be earlier than the expiry (${expiry}).`] });
  });
});

describe("POST /api/data/verify and IP rules", () => {
  it("evaluates them only when given the client's address, and says so otherwise", async () => {
    const verifier = (await call("POST", "/api/data/api-keys", { key: admin, body: { name: named("Verifier"), scopes: ["verify"] } })).body.data
      .secret;
    const locked = (
      await call("POST", "/api/data/api-keys", { key: admin, body: { name: named("Locked"), scopes: ["me:read"], ipAllow: ["2001:db8::/48"] } })
    ).body.data.secret;
    const open = (await call("POST", "/api/data/api-keys", { key: admin, body: { name: named("Open"), scopes: ["me:read"] } })).body.data.secret;
    const verify = (body: unknown) => call("POST", "/api/data/verify", { key: verifier, body });
    expect((await verify({ token: locked })).body.data).toMatchObject({
      valid: true,
      ipRules: "not_evaluated",
      message: "The API key is valid. It has IP rules, which were not evaluated: send the client's address as ip to have them checked.",
    });
    expect((await verify({ token: locked, ip: "2001:DB8:0:1::5" })).body.data).toMatchObject({ valid: true, ipRules: "passed" });
    expect((await verify({ token: locked, ip: "2001:db8:1::5" })).body.data).toMatchObject({
      valid: false,
      reason: "ip_not_allowed",
      ipRules: "refused",
      message: "This API key may not be used from 2001:db8:1::5.",
    });
    expect((await verify({ token: open, ip: "203.0.113.7" })).body.data).toMatchObject({ valid: true, ipRules: "none" });
    expect((await verify({ token: open, ip: "not-an-ip" })).body.error?.validationErrors).toEqual({
      ip: ['ip "not-an-ip" is not an IPv4 or IPv6 address.'],
    });
  });
});

describe("per-address counts", () => {
  it("count successes of a key without logging too, per UTC day, and are purged with the rest", async () => {
    const made = await call("POST", "/api/data/api-keys", { key: admin, body: { name: named("Counted"), scopes: ["me:read"] } });
    const id = made.body.data.key.id as string;
    for (let i = 0; i < 3; i++) await call("GET", "/api/data/me", { key: made.body.data.secret, from: "2001:db8::77" });
    await flushAccessLogs();
    const rows = await db
      .select()
      .from(keyAddressDays)
      .where(and(eq(keyAddressDays.apiKeyId, id)));
    expect(rows.map((r) => ({ ip: r.ip, succeeded: r.succeeded, refused: r.refused, day: r.day }))).toEqual([
      { ip: "2001:db8::77", succeeded: 3, refused: 0, day: new Date().toISOString().slice(0, 10) },
    ]);
    // No access-log rows were kept for these successes: only the counts know the address.
    expect(await db.select().from(accessLogs).where(eq(accessLogs.apiKeyId, id))).toEqual([]);
    await purgeAccessLogs(db, new Date(), 30);
    expect(await db.select().from(keyAddressDays).where(eq(keyAddressDays.apiKeyId, id))).toHaveLength(1);
    await purgeAccessLogs(db, new Date(Date.now() + 31 * 86_400_000), 30);
    expect(await db.select().from(keyAddressDays).where(eq(keyAddressDays.apiKeyId, id))).toEqual([]);
  });
});
