import { asc, count, eq, gt, max } from "drizzle-orm";
import type { Db } from "@/db";
import { seedDemo } from "@/db/seed";
import { apiKeys, auditEvents, memberships, users, workspaces, type Role, type Workspace } from "@/db/schema";
import { loadSessionUser, resolveWorkspaceContext, type WorkspaceContext } from "@/lib/auth/context";

/** Seeds the demo data set (two workspaces, a user per role) into a test database. */
export async function seedFixtures(db: Db): Promise<void> {
  await seedDemo(db);
}

export async function userId(db: Db, email: string): Promise<string> {
  const [u] = await db.select({ id: users.id }).from(users).where(eq(users.email, email));
  if (!u) throw new Error(`no user ${email}`);
  return u.id;
}

export async function workspaceId(db: Db, slug: string): Promise<string> {
  const [w] = await db.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.slug, slug));
  if (!w) throw new Error(`no workspace ${slug}`);
  return w.id;
}

/** The context a signed-in user gets in a workspace, exactly as the server actions build it. */
export async function contextFor(db: Db, email: string, slug: string): Promise<WorkspaceContext> {
  const user = await loadSessionUser(db, await userId(db, email));
  if (!user) throw new Error(`no live user ${email}`);
  return resolveWorkspaceContext(db, { user, slug, ip: "203.0.113.7", userAgent: "vitest" });
}

/**
 * Adds a user (not a seeded one) with the given memberships, for tests that delete, remove or
 * demote someone without disturbing the seeded cast. The password hash is a placeholder: this
 * user never signs in through the login form.
 */
export async function addUser(
  db: Db,
  opts: { email: string; name: string; isGlobalAdmin?: boolean; memberships?: [slug: string, role: Role][] },
): Promise<string> {
  const [u] = await db
    .insert(users)
    .values({ email: opts.email, name: opts.name, passwordHash: "test-only:not-a-password", isGlobalAdmin: opts.isGlobalAdmin ?? false })
    .returning({ id: users.id });
  for (const [slug, role] of opts.memberships ?? [])
    await db.insert(memberships).values({ userId: u.id, workspaceId: await workspaceId(db, slug), role });
  return u.id;
}

/** Changes a workspace's settings directly (no audit), e.g. to allow personal tokens before a test. */
export async function setWorkspace(
  db: Db,
  slug: string,
  values: Partial<
    Pick<
      Workspace,
      | "apiKeysEnabled"
      | "personalTokensAllowed"
      | "maxKeyLifetimeDays"
      | "defaultRateLimit"
      | "defaultRateLimitWindow"
      | "defaultQuotaLimit"
      | "defaultQuotaPeriod"
    >
  >,
): Promise<void> {
  await db.update(workspaces).set(values).where(eq(workspaces.slug, slug));
}

/** The id of the newest audit event, to find exactly what an action wrote after it. */
export async function lastAuditEventId(db: Db): Promise<number> {
  const [{ id }] = await db.select({ id: max(auditEvents.id) }).from(auditEvents);
  return id ?? 0;
}

/** The audit events written after `id`, oldest first. */
export function auditEventsAfter(db: Db, id: number) {
  return db.select().from(auditEvents).where(gt(auditEvents.id, id)).orderBy(asc(auditEvents.id));
}

/**
 * Every row of the given tables (a key's last use aside) plus the number of audit events, as one
 * string: equal before and after a refused call means the call changed nothing.
 */
export async function snapshotOf(db: Db, tables: { users?: true; memberships?: true; apiKeys?: true; workspaces?: true }): Promise<string> {
  const [u, m, k, w, e] = await Promise.all([
    tables.users ? db.select().from(users).orderBy(asc(users.id)) : null,
    tables.memberships ? db.select().from(memberships).orderBy(asc(memberships.id)) : null,
    tables.apiKeys ? db.select().from(apiKeys).orderBy(asc(apiKeys.id)) : null,
    tables.workspaces ? db.select().from(workspaces).orderBy(asc(workspaces.id)) : null,
    db.select({ n: count() }).from(auditEvents),
  ]);
  // A key's last use is written for all keys together once a second (lib/api-keys/usage.ts): a
  // write that lands between two snapshots is the keys being used, not a change anyone made.
  const keys = k?.map(({ lastUsedAt: _at, lastUsedIp: _ip, lastUsedIntegration: _integration, ...rest }) => rest) ?? null;
  return JSON.stringify({ u, m, k: keys, w, e });
}
