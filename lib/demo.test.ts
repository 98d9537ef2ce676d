import { eq, inArray } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Db, OpenDatabase } from "@/db";
import { users } from "@/db/schema";
import { DEMO_USERS } from "@/db/seed";
import { createTestDatabase } from "@/db/testing";
import { seedFixtures } from "@/lib/testing/fixtures";
import { hashPassword, passwordHashingStats } from "@/lib/auth/password";
import { checkDemoExposure, demoExposure, demoRefusal, refreshDemoExposure } from "./demo";

const g = globalThis as unknown as { __latchkeyDemoExposure?: unknown };
const ALL = DEMO_USERS.map((u) => u.email).sort();
let handle: OpenDatabase;
let db: Db;

beforeAll(async () => {
  handle = await createTestDatabase();
  db = handle.db;
  await seedFixtures(db);
});
afterAll(async () => {
  g.__latchkeyDemoExposure = undefined;
  await handle?.close();
});

describe("checkDemoExposure", () => {
  it("finds the seeded accounts exposed, verifying their one shared hash once", async () => {
    const before = passwordHashingStats().started;
    expect(await checkDemoExposure(db)).toEqual({ exposed: true, emails: ALL });
    expect(passwordHashingStats().started - before).toBe(1);
  });

  it("stays exposed while any demo account keeps the password, and clears once none does", async () => {
    const other = await hashPassword("a password nobody published", { cost: 1 << 10 });
    await db.update(users).set({ passwordHash: other }).where(eq(users.email, "admin@acme.test"));
    const partly = await refreshDemoExposure(db);
    expect(partly.exposed).toBe(true);
    expect(partly.emails).not.toContain("admin@acme.test");
    expect(demoExposure()).toEqual(partly);

    // A disabled or deleted account cannot sign in, so its password does not matter.
    await db.update(users).set({ disabledAt: new Date() }).where(eq(users.email, "member@acme.test"));
    await db.update(users).set({ deletedAt: new Date() }).where(eq(users.email, "guest@acme.test"));
    const rest = ALL.filter((e) => !["admin@acme.test", "member@acme.test", "guest@acme.test"].includes(e));
    expect((await refreshDemoExposure(db)).emails).toEqual(rest);

    await db.update(users).set({ passwordHash: other }).where(inArray(users.email, rest));
    expect(await refreshDemoExposure(db)).toEqual({ exposed: false, emails: [] });
    expect(demoExposure()).toEqual({ exposed: false, emails: [] });

    // Re-enabling an account that still has the published password exposes the server again.
    await db.update(users).set({ disabledAt: null }).where(eq(users.email, "member@acme.test"));
    expect(await refreshDemoExposure(db)).toEqual({ exposed: true, emails: ["member@acme.test"] });
  });
});

describe("demoRefusal", () => {
  afterEach(() => {
    delete process.env.LATCHKEY_TRUSTED_PROXY_HOPS;
  });
  const exposed = () => (g.__latchkeyDemoExposure = { exposed: true, emails: ["admin@acme.test"] });

  it("answers this machine and refuses every other one while demo passwords are live", () => {
    exposed();
    for (const local of ["127.0.0.1", "::1", "::ffff:127.0.0.1"]) expect(demoRefusal(local, "/login"), local).toBeNull();
    const page = demoRefusal("192.0.2.5", "/login");
    expect(page).toMatchObject({ status: 403, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });
    expect(page?.body).toContain("Demo accounts with a published password exist");
    const api = demoRefusal("2001:db8::5", "/api/data/me");
    expect(api?.status).toBe(403);
    expect(JSON.parse(api!.body)).toMatchObject({ success: false, statusCode: "Forbidden", error: { code: "demo_passwords_published" } });
    // A client claiming to be local in a header it wrote gains nothing.
    process.env.LATCHKEY_TRUSTED_PROXY_HOPS = "1";
    expect(demoRefusal("192.0.2.5", "/login")).not.toBeNull();
    expect(demoRefusal(undefined, "/login")).not.toBeNull();
  });

  it("refuses other machines before the first check, and lets everyone in once no demo password is live", () => {
    g.__latchkeyDemoExposure = undefined;
    expect(demoRefusal("192.0.2.5", "/login")).not.toBeNull();
    g.__latchkeyDemoExposure = { exposed: false, emails: [] };
    expect(demoRefusal("192.0.2.5", "/login")).toBeNull();
    expect(demoRefusal("192.0.2.5", "/api/data/me")).toBeNull();
  });
});
