import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { eq } from "drizzle-orm";
import type { OpenDatabase } from "@/db";
import { createTestDatabase } from "@/db/testing";
import { users } from "@/db/schema";
import { exportAdminKeysCsv, exportWorkspaceAuditCsv } from "@/lib/exports";
import { consoleRoute, globalAdminAction, sessionAction, workspaceAction } from "@/lib/actions";
import { bulkRevokeKeysAction } from "@/lib/admin/keys-actions";
import { disableUserAction } from "@/lib/admin/users-actions";
import { revokeAllApiKeysAction, revokeApiKeyAction } from "@/lib/api-keys/actions";
import { createApiKey } from "@/lib/api-keys/core";
import type { SessionClaims } from "@/lib/auth/context";
import { addUser, contextFor, seedFixtures, snapshotOf, userId } from "@/lib/testing/fixtures";
import { changeRoleAction } from "@/lib/workspaces/actions";

// The one gate every server action and console route goes through. Each refusal must happen
// before the action's body runs, and leave the database exactly as it was: anyone can POST to
// a server action or GET an export, whatever the UI shows them.

const session = vi.hoisted(() => ({ claims: null as SessionClaims | null }));
vi.mock("@/lib/account/session", () => ({ sessionClaims: async () => session.claims }));
vi.mock("next/headers", () => ({ headers: async () => new Headers({ "user-agent": "vitest" }) }));
vi.mock("next/cache", () => ({ revalidatePath: vi.fn() }));

let opened: OpenDatabase;
let keyId: string;
let memberId: string;
const g = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase> };
const MANAGE = { permission: "api_keys.manage", denied: "You don't have permission to manage API keys in this workspace." } as const;
const ENDED = "Your session has ended. Sign in again.";

beforeAll(async () => {
  opened = await createTestDatabase();
  await seedFixtures(opened.db);
  g.__latchkeyDb = Promise.resolve(opened);
  ({
    key: { id: keyId },
  } = await createApiKey(opened.db, await contextFor(opened.db, "admin@acme.test", "acme"), { name: "Gate target" }));
  memberId = await userId(opened.db, "member@acme.test");
  await addUser(opened.db, { email: "disabled@acme.test", name: "Dee Disabled", isGlobalAdmin: true, memberships: [["acme", "admin"]] });
  await opened.db.update(users).set({ disabledAt: new Date() }).where(eq(users.email, "disabled@acme.test"));
  await addUser(opened.db, { email: "cutoff@acme.test", name: "Cy Cutoff", isGlobalAdmin: true, memberships: [["acme", "admin"]] });
  await opened.db
    .update(users)
    .set({ sessionsValidAfter: new Date(Date.now() + 60_000) })
    .where(eq(users.email, "cutoff@acme.test"));
  await addUser(opened.db, { email: "onetime@acme.test", name: "Olly Onetime", isGlobalAdmin: true, memberships: [["acme", "admin"]] });
  await opened.db.update(users).set({ mustChangePassword: true }).where(eq(users.email, "onetime@acme.test"));
});

afterAll(async () => {
  g.__latchkeyDb = undefined;
  await opened?.close();
});

beforeEach(() => {
  session.claims = null;
});

async function signInAs(email: string) {
  session.claims = { userId: await userId(opened.db, email), signedInAt: Date.now() };
}

const everything = () => snapshotOf(opened.db, { users: true, memberships: true, apiKeys: true, workspaces: true });

// Who is refused, and the words they read. The disabled, cut-off and one-time users are Admins
// and Global Admins: only their session stands in the way.
const REFUSED = [
  { who: "no session", email: null, error: ENDED },
  { who: "a disabled user", email: "disabled@acme.test", error: ENDED },
  { who: "a session cut off by sign-out-everywhere", email: "cutoff@acme.test", error: ENDED },
  {
    who: "a user who must first replace a one-time password",
    email: "onetime@acme.test",
    error: "Choose a new password on your account page first.",
  },
] as const;

describe("workspaceAction", () => {
  for (const { who, email, error } of REFUSED) {
    it(`refuses ${who} before the action runs`, async () => {
      if (email) await signInAs(email);
      const run = vi.fn(async () => "ran");
      expect(await workspaceAction("acme", MANAGE, run)).toEqual({ ok: false, error });
      expect(run).not.toHaveBeenCalled();
    });
  }

  it("refuses a workspace the user is no member of as not found, and a slug that is no string", async () => {
    await signInAs("admin@globex.test");
    const run = vi.fn(async () => "ran");
    expect(await workspaceAction("acme", MANAGE, run)).toEqual({ ok: false, error: "Workspace not found." });
    expect(await workspaceAction("no-such-workspace", MANAGE, run)).toEqual({ ok: false, error: "Workspace not found." });
    await signInAs("admin@acme.test");
    expect(await workspaceAction({ slug: "acme" }, MANAGE, run)).toEqual({ ok: false, error: "Workspace not found." });
    expect(run).not.toHaveBeenCalled();
  });

  it("refuses a member who lacks the named permission, in the action's words", async () => {
    await signInAs("member@acme.test");
    const run = vi.fn(async () => "ran");
    expect(await workspaceAction("acme", MANAGE, run)).toEqual({ ok: false, error: MANAGE.denied });
    expect(run).not.toHaveBeenCalled();
  });

  it("runs for a member who holds the permission, with that member's context", async () => {
    await signInAs("member@acme.test");
    const ownTokens = { permission: "tokens.own", denied: "no" } as const;
    expect(await workspaceAction("acme", ownTokens, async (ctx) => [ctx.workspace.slug, ctx.role, ctx.userId, ctx.userAgent])).toEqual({
      ok: true,
      data: ["acme", "member", memberId, "vitest"],
    });
  });
});

describe("sessionAction and globalAdminAction", () => {
  for (const { who, email, error } of REFUSED) {
    it(`refuse ${who} before the action runs`, async () => {
      if (email) await signInAs(email);
      const run = vi.fn(async () => "ran");
      expect(await globalAdminAction("Global Admins only.", run)).toEqual({ ok: false, error });
      // The password page itself must stay open to someone holding a one-time password.
      if (email === "onetime@acme.test") expect(await sessionAction(run, { passwordChangeAllowed: true })).toMatchObject({ ok: true });
      else expect(await sessionAction(run)).toEqual({ ok: false, error });
      expect(run).toHaveBeenCalledTimes(email === "onetime@acme.test" ? 1 : 0);
    });
  }

  it("globalAdminAction refuses a workspace Admin, and runs for a Global Admin", async () => {
    const run = vi.fn(async (caller: { userId: string }) => caller.userId);
    await signInAs("admin@acme.test");
    expect(await globalAdminAction("Global Admins only.", run)).toEqual({ ok: false, error: "Global Admins only." });
    expect(run).not.toHaveBeenCalled();
    await signInAs("global@latchkey.test");
    expect(await globalAdminAction("Global Admins only.", run)).toEqual({ ok: true, data: await userId(opened.db, "global@latchkey.test") });
  });
});

describe("the real actions, refused, change nothing", () => {
  const callers = [
    ...REFUSED.map(({ who, email }) => ({ who, email })),
    { who: "an Admin of another workspace", email: "admin@globex.test" },
    { who: "a Member (no api_keys.manage, members.manage, users.manage)", email: "member@acme.test" },
  ];
  for (const { who, email } of callers) {
    it(`for ${who}`, async () => {
      if (email) await signInAs(email);
      const before = await everything();
      const results = [
        // With a good reason: it is the caller that is refused.
        await revokeApiKeyAction("acme", keyId, { reason: "compromised" }),
        await revokeAllApiKeysAction("acme", "acme", { reason: "compromised" }),
        await changeRoleAction("acme", memberId, "admin"),
        await bulkRevokeKeysAction([keyId], { reason: "compromised" }),
        await disableUserAction(memberId),
      ];
      for (const result of results) expect(result.ok).toBe(false);
      expect(await everything()).toBe(before);
    });
  }

  it("a workspace Admin must say why: no reason, or other without its text, changes nothing", async () => {
    await signInAs("admin@acme.test");
    const before = await everything();
    expect(await revokeApiKeyAction("acme", keyId, {})).toEqual({
      ok: false,
      error: "Please correct the highlighted fields.",
      fieldErrors: { reason: ["Choose a reason for revoking."] },
    });
    expect(await revokeAllApiKeysAction("acme", "acme", { reason: "other", reasonText: " " })).toMatchObject({
      ok: false,
      fieldErrors: { reasonText: [expect.stringContaining('when the reason is "other"')] },
    });
    expect(await everything()).toBe(before);
  });

  it("while the same call by a workspace Admin does change it", async () => {
    await signInAs("admin@acme.test");
    const before = await everything();
    expect(await revokeApiKeyAction("acme", keyId, { reason: "superseded" })).toEqual({ ok: true, data: { name: "Gate target" } });
    expect(await everything()).not.toBe(before);
  });
});

describe("consoleRoute", () => {
  const get = (path: string) => new Request(`http://localhost${path}`);
  const isNotFound = async (res: Response) => ({ status: res.status, type: res.headers.get("content-type"), body: await res.text() });
  const NOT_FOUND = { status: 404, type: "text/plain; charset=utf-8", body: "Not found" };

  it("refuses every kind of caller with the plain 404 and never reaches the handler", async () => {
    const handler = vi.fn(async () => new Response("secret"));
    const globalOnly = consoleRoute({ globalAdmin: true }, handler);
    const auditReaders = consoleRoute({ workspace: true, permission: "audit.read" }, handler);
    const acme = { params: Promise.resolve({ slug: "acme" }) };
    for (const { email } of REFUSED) {
      session.claims = null;
      if (email) await signInAs(email);
      expect(await isNotFound(await globalOnly(get("/x")))).toEqual(NOT_FOUND);
      expect(await isNotFound(await auditReaders(get("/x"), acme))).toEqual(NOT_FOUND);
    }
    await signInAs("admin@acme.test");
    expect(await isNotFound(await globalOnly(get("/x")))).toEqual(NOT_FOUND);
    await signInAs("admin@globex.test");
    expect(await isNotFound(await auditReaders(get("/x"), acme))).toEqual(NOT_FOUND);
    await signInAs("manager@acme.test");
    expect(await isNotFound(await auditReaders(get("/x"), acme))).toEqual(NOT_FOUND);
    expect(handler).not.toHaveBeenCalled();
  });

  it("serves the CSV exports to those who may read them, and 404 to the rest", async () => {
    const acme = { params: Promise.resolve({ slug: "acme" }) };
    await signInAs("member@acme.test");
    expect(await isNotFound(await exportAdminKeysCsv(get("/admin/keys/export")))).toEqual(NOT_FOUND);
    expect(await isNotFound(await exportWorkspaceAuditCsv(get("/w/acme/audit/export"), acme))).toEqual(NOT_FOUND);

    await signInAs("global@latchkey.test");
    const keys = await exportAdminKeysCsv(get("/admin/keys/export?state=all"));
    expect(keys.status).toBe(200);
    expect(keys.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(await keys.text()).toContain("Gate target");

    await signInAs("admin@acme.test");
    const audit = await exportWorkspaceAuditCsv(get("/w/acme/audit/export"), acme);
    expect(audit.status).toBe(200);
    expect(audit.headers.get("content-disposition")).toMatch(/^attachment; filename="latchkey-audit-acme-/);
    expect(await audit.text()).toContain("Gate target");
  });
});
