import { count } from "drizzle-orm";
import type { Db } from "./index";
import { apiKeys, auditEvents, memberships, users, workspaces, type Role } from "./schema";
import { hashPassword } from "@/lib/auth/password";
import { displayPrefix, generateSecret, hashSecret } from "@/lib/api-keys/format";
import { API_KEY_SCOPES } from "@/lib/validations/api-keys";
import { PERMISSIONS, ROLE_PERMISSIONS, permissionsOf, type Principal } from "@/lib/auth/permissions";

export const DEMO_PASSWORD = "latchkey-demo";

export const DEMO_USERS: { email: string; name: string; global?: boolean; memberships: [string, Role][] }[] = [
  { email: "global@latchkey.test", name: "Grace Global", global: true, memberships: [] },
  { email: "admin@acme.test", name: "Ada Admin", memberships: [["acme", "admin"]] },
  { email: "manager@acme.test", name: "Max Manager", memberships: [["acme", "manager"]] },
  { email: "member@acme.test", name: "Mia Member", memberships: [["acme", "member"]] },
  { email: "guest@acme.test", name: "Gus Guest", memberships: [["acme", "guest"]] },
  { email: "admin@globex.test", name: "Hank Scorpio", memberships: [["globex", "admin"]] },
];

const DEMO_KEYS: { workspace: string; owner: string | null; name: string; description?: string; days?: number; enabled?: boolean; bearer?: boolean }[] = [
  { workspace: "acme", owner: "admin@acme.test", name: "Billing sync", description: "Nightly invoice export to the ledger." },
  { workspace: "acme", owner: null, name: "CI deploy bot", description: "Service key used by the deploy pipeline.", bearer: false },
  { workspace: "acme", owner: "manager@acme.test", name: "Reporting dashboard", days: 20 },
  { workspace: "acme", owner: "admin@acme.test", name: "Legacy importer", enabled: false },
  { workspace: "globex", owner: "admin@globex.test", name: "Volcano telemetry" },
  { workspace: "globex", owner: null, name: "Globex service key" },
];

/** How a demo key's owner stands in its workspace (a service key stands as an Admin). */
function ownerStanding(email: string | null): Principal {
  if (email === null) return { isGlobalAdmin: false, role: "admin", canManageApiKeys: false };
  const user = DEMO_USERS.find((u) => u.email === email)!;
  return { isGlobalAdmin: !!user.global, role: user.memberships[0]?.[1] ?? null, canManageApiKeys: false };
}

export async function isEmpty(db: Db): Promise<boolean> {
  const [{ n }] = await db.select({ n: count() }).from(users);
  return n === 0;
}

/**
 * Demo data: two workspaces, a user per role, a few keys. Demo key secrets are generated and
 * thrown away (only their hashes are stored), as for any key.
 */
export async function seedDemo(db: Db): Promise<void> {
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  await db.transaction(async (tx) => {
    const ws = await tx
      .insert(workspaces)
      .values([
        { slug: "acme", name: "Acme Inc." },
        { slug: "globex", name: "Globex Corp." },
      ])
      .returning();
    const wsId = Object.fromEntries(ws.map((w) => [w.slug, w.id]));
    const us = await tx
      .insert(users)
      .values(DEMO_USERS.map((u) => ({ email: u.email, name: u.name, passwordHash, isGlobalAdmin: !!u.global })))
      .returning();
    const userId = Object.fromEntries(us.map((u) => [u.email, u.id]));
    await tx.insert(memberships).values(
      DEMO_USERS.flatMap((u) => u.memberships.map(([slug, role]) => ({ workspaceId: wsId[slug], userId: userId[u.email], role }))),
    );
    const now = Date.now();
    const keys = await tx
      .insert(apiKeys)
      .values(
        DEMO_KEYS.map((k) => {
          const secret = generateSecret();
          const creator = k.workspace === "acme" ? userId["admin@acme.test"] : userId["admin@globex.test"];
          return {
            workspaceId: wsId[k.workspace],
            ownerId: k.owner ? userId[k.owner] : null,
            name: k.name,
            description: k.description ?? null,
            secretHash: hashSecret(secret),
            prefix: displayPrefix(secret),
            scopes: [...API_KEY_SCOPES],
            expiresAt: new Date(now + (k.days ?? 730) * 86_400_000),
            enabled: k.enabled ?? true,
            bearerAllowed: k.bearer ?? true,
            createdById: creator,
            // What the creator (the workspace's Admin) and the owner could both do, as createApiKey records it.
            permissionCeiling: PERMISSIONS.filter((p) => permissionsOf({ ...ownerStanding(k.owner), ceiling: ROLE_PERMISSIONS.admin }).has(p)),
          };
        }),
      )
      .returning();
    await tx.insert(auditEvents).values(
      keys.map((k) => ({
        workspaceId: k.workspaceId,
        actorUserId: k.createdById,
        action: "api_key.created",
        apiKeyId: k.id,
        targetName: k.name,
        metadata: { via: "demo_seed" },
      })),
    );
  });
}
