import fs from "node:fs";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { apiKeys, memberships } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { displayPrefix, generateSecret, hashSecret } from "@/lib/api-keys/format";
import { PERMISSIONS, ROLE_PERMISSIONS, permissionsOf, type Principal } from "@/lib/auth/permissions";
import { addUser, seedFixtures, userId, workspaceId } from "@/lib/testing/fixtures";
import { API_KEY_SCOPES } from "@/lib/validations/api-keys";

// Migration 0007 gives every key made before ceilings existed its owner's permissions at that
// moment. Its statement is run here against keys inserted with no ceiling, and each result must
// equal what lib/auth/permissions.ts computes for that owner — the SQL restates the role table,
// so this is what keeps the two the same.

let handle: OpenDatabase;

const backfill = fs
  .readFileSync(path.join(process.cwd(), "db", "migrations", "0007_security_hardening.sql"), "utf8")
  .split("--> statement-breakpoint")
  .map((s) => s.trim())
  .find((s) => s.includes('SET "permission_ceiling"'))!;

beforeAll(async () => {
  handle = await createTestDatabase();
  await seedFixtures(handle.db);
});

afterAll(async () => {
  await handle.close();
});

async function legacyKey(ownerId: string | null, name: string) {
  const secret = generateSecret();
  const [row] = await handle.db
    .insert(apiKeys)
    .values({
      workspaceId: await workspaceId(handle.db, "acme"),
      ownerId,
      name,
      secretHash: hashSecret(secret),
      prefix: displayPrefix(secret),
      scopes: [...API_KEY_SCOPES],
    })
    .returning({ id: apiKeys.id });
  return row.id;
}

const listOf = (p: Principal) => PERMISSIONS.filter((x) => permissionsOf(p).has(x));

describe("migration 0007's ceiling backfill", () => {
  it("gives each key its owner's permissions now, as permissions.ts computes them", async () => {
    const db = handle.db;
    const granted = await addUser(db, { email: "granted@acme.test", name: "Gina Granted", memberships: [["acme", "member"]] });
    await db.update(memberships).set({ canManageApiKeys: true }).where(eq(memberships.userId, granted));
    const globalMember = await addUser(db, { email: "gm@acme.test", name: "Gil Global", isGlobalAdmin: true, memberships: [["acme", "member"]] });
    const cases: [string, string | null, Principal][] = [
      ["service", null, { isGlobalAdmin: false, role: "admin", canManageApiKeys: false }],
      ["admin", await userId(db, "admin@acme.test"), { isGlobalAdmin: false, role: "admin", canManageApiKeys: false }],
      ["manager", await userId(db, "manager@acme.test"), { isGlobalAdmin: false, role: "manager", canManageApiKeys: false }],
      ["member", await userId(db, "member@acme.test"), { isGlobalAdmin: false, role: "member", canManageApiKeys: false }],
      ["guest", await userId(db, "guest@acme.test"), { isGlobalAdmin: false, role: "guest", canManageApiKeys: false }],
      ["member with the grant", granted, { isGlobalAdmin: false, role: "member", canManageApiKeys: true }],
      ["global admin who is a member", globalMember, { isGlobalAdmin: true, role: "member", canManageApiKeys: false }],
    ];
    const ids = new Map<string, string>();
    for (const [label, owner] of cases) ids.set(label, await legacyKey(owner, `Legacy ${label}`));
    await db.execute(sql.raw(backfill));
    for (const [label, , standing] of cases) {
      const [row] = await db
        .select({ ceiling: apiKeys.permissionCeiling })
        .from(apiKeys)
        .where(eq(apiKeys.id, ids.get(label)!));
      expect(row.ceiling, label).toEqual(listOf(standing));
    }
    // The admin set the SQL writes is the role table's.
    expect(listOf({ isGlobalAdmin: false, role: "admin", canManageApiKeys: false })).toEqual([...ROLE_PERMISSIONS.admin]);
  });

  it("leaves keys that already have a ceiling alone", async () => {
    const db = handle.db;
    const id = await legacyKey(await userId(db, "admin@acme.test"), "Already limited");
    await db
      .update(apiKeys)
      .set({ permissionCeiling: ["tokens.own"] })
      .where(eq(apiKeys.id, id));
    await db.execute(sql.raw(backfill));
    const [row] = await db.select({ ceiling: apiKeys.permissionCeiling }).from(apiKeys).where(eq(apiKeys.id, id));
    expect(row.ceiling).toEqual(["tokens.own"]);
  });
});
