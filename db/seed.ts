import { addUtcDays } from "@/lib/dates";
import { count } from "drizzle-orm";
import type { Db } from "./index";
import { memberships, users, workspaces, type Role } from "./schema";
import { createApiKeyInTx } from "@/lib/api-keys/core";
import { resolveWorkspaceContext } from "@/lib/auth/context";
import { hashPassword } from "@/lib/auth/password";

export const DEMO_PASSWORD = "latchkey-demo";

export const DEMO_USERS: { email: string; name: string; global?: boolean; memberships: [string, Role][] }[] = [
  { email: "global@latchkey.test", name: "Grace Global", global: true, memberships: [] },
  { email: "admin@acme.test", name: "Ada Admin", memberships: [["acme", "admin"]] },
  { email: "manager@acme.test", name: "Max Manager", memberships: [["acme", "manager"]] },
  { email: "member@acme.test", name: "Mia Member", memberships: [["acme", "member"]] },
  { email: "guest@acme.test", name: "Gus Guest", memberships: [["acme", "guest"]] },
  { email: "admin@globex.test", name: "Hank Scorpio", memberships: [["globex", "admin"]] },
];

const DEMO_KEYS: {
  workspace: string;
  owner: string | null;
  name: string;
  description?: string;
  days?: number;
  enabled?: boolean;
  bearer?: boolean;
}[] = [
  { workspace: "acme", owner: "admin@acme.test", name: "Billing sync", description: "Nightly invoice export to the ledger." },
  { workspace: "acme", owner: null, name: "CI deploy bot", description: "Service key used by the deploy pipeline.", bearer: false },
  { workspace: "acme", owner: "manager@acme.test", name: "Reporting dashboard", days: 20 },
  { workspace: "acme", owner: "admin@acme.test", name: "Legacy importer", enabled: false },
  { workspace: "globex", owner: "admin@globex.test", name: "Volcano telemetry" },
  { workspace: "globex", owner: null, name: "Globex service key" },
];

export async function isEmpty(db: Db): Promise<boolean> {
  const [{ n }] = await db.select({ n: count() }).from(users);
  return n === 0;
}

/**
 * Demo data: two workspaces, a user per role, a few keys. The keys are made by each workspace's
 * Admin through the same core as the API tab, so their rows (ceilings included) and audit events
 * are what a real creation leaves; their secrets are generated and thrown away (only the hashes
 * are stored), as for any key.
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
    const byEmail = Object.fromEntries(us.map((u) => [u.email, u]));
    await tx
      .insert(memberships)
      .values(DEMO_USERS.flatMap((u) => u.memberships.map(([slug, role]) => ({ workspaceId: wsId[slug], userId: byEmail[u.email].id, role }))));
    const creators = { acme: "admin@acme.test", globex: "admin@globex.test" } as const;
    const now = new Date();
    for (const slug of Object.keys(creators) as (keyof typeof creators)[]) {
      const { id, email, name, isGlobalAdmin } = byEmail[creators[slug]];
      const ctx = await resolveWorkspaceContext(tx, { user: { id, email, name, isGlobalAdmin }, slug });
      for (const k of DEMO_KEYS.filter((d) => d.workspace === slug))
        await createApiKeyInTx(tx, ctx, {
          name: k.name,
          description: k.description,
          ownerId: k.owner ? byEmail[k.owner].id : null,
          // Omitted: the workspace's maximum lifetime, as the create dialog offers.
          expiresAt: k.days === undefined ? undefined : addUtcDays(now, k.days).toISOString(),
          enabled: k.enabled ?? true,
          bearerAllowed: k.bearer ?? true,
        });
    }
  });
}
