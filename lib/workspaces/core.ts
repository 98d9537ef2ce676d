import "server-only";
import { and, asc, count, eq, isNull, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { apiKeys, memberships, users, workspaces, type Role, type Workspace } from "@/db/schema";
import { assertCan, type WorkspaceContext } from "@/lib/auth/context";
import { recordAudit, diffFields } from "@/lib/audit/record";
import { invalid, isUniqueViolation, notFound } from "@/lib/errors";
import { fieldErrorsOf } from "@/lib/validations/api-keys";
import { addMemberSchema, roleSchema, workspaceSettingsSchema, type WorkspaceSettingsInput } from "@/lib/validations/workspaces";
import { isUuid } from "@/lib/api-keys/core";

// Workspace settings and members. Every change is audited in its transaction and takes effect on
// the very next API request, because verification reads settings and roles fresh.

const SETTINGS_DENIED = "Only workspace Admins can change the workspace's API settings.";
const MEMBERS_DENIED = "Only workspace Admins can manage members.";

export async function updateWorkspaceSettings(db: Db, ctx: WorkspaceContext, rawInput: WorkspaceSettingsInput | unknown): Promise<Workspace> {
  assertCan(ctx, "workspace.settings", SETTINGS_DENIED);
  const parsed = workspaceSettingsSchema.safeParse(rawInput ?? {});
  if (!parsed.success) throw invalid(fieldErrorsOf(parsed.error));
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(workspaces).where(eq(workspaces.id, ctx.workspace.id)).for("update");
    const changes = diffFields(current as unknown as Record<string, unknown>, parsed.data);
    if (Object.keys(changes).length === 0) return current;
    const [updated] = await tx.update(workspaces).set(parsed.data).where(eq(workspaces.id, ctx.workspace.id)).returning();
    await recordAudit(tx, ctx, { action: "workspace.settings_updated", targetName: current.name, changes });
    return updated;
  });
}

export interface MemberView {
  userId: string;
  name: string;
  email: string;
  role: Role;
  canManageApiKeys: boolean;
  joinedAt: Date;
  /** Live workspace keys and personal tokens acting as this member. */
  liveKeys: number;
}

export async function listMembers(db: DbOrTx, ctx: WorkspaceContext): Promise<MemberView[]> {
  assertCan(ctx, "members.manage", MEMBERS_DENIED);
  const liveKeys = db
    .select({ ownerId: apiKeys.ownerId, n: count().as("n") })
    .from(apiKeys)
    .where(and(eq(apiKeys.workspaceId, ctx.workspace.id), isNull(apiKeys.revokedAt)))
    .groupBy(apiKeys.ownerId)
    .as("live_keys");
  const rows = await db
    .select({
      userId: users.id,
      name: users.name,
      email: users.email,
      role: memberships.role,
      canManageApiKeys: memberships.canManageApiKeys,
      joinedAt: memberships.createdAt,
      liveKeys: sql<number>`coalesce(${liveKeys.n}, 0)`.mapWith(Number),
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .leftJoin(liveKeys, eq(liveKeys.ownerId, memberships.userId))
    .where(and(eq(memberships.workspaceId, ctx.workspace.id), isNull(users.deletedAt)))
    .orderBy(asc(sql`lower(${users.name})`))
    .limit(1000);
  return rows;
}

async function loadMember(tx: DbOrTx, ctx: WorkspaceContext, userId: string) {
  if (!isUuid(userId)) throw notFound("Member not found.");
  const [m] = await tx
    .select({ id: memberships.id, role: memberships.role, canManageApiKeys: memberships.canManageApiKeys, name: users.name })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.workspaceId, ctx.workspace.id), eq(memberships.userId, userId), isNull(users.deletedAt)))
    .for("update", { of: memberships })
    .limit(1);
  if (!m) throw notFound("Member not found.");
  return m;
}

/** A workspace always keeps at least one Admin. */
async function assertNotLastAdmin(tx: DbOrTx, ctx: WorkspaceContext, role: Role, what: string) {
  if (role !== "admin") return;
  const [{ admins }] = await tx
    .select({ admins: count() })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.workspaceId, ctx.workspace.id), eq(memberships.role, "admin"), isNull(users.deletedAt)));
  if (admins <= 1)
    throw invalid(
      { role: [`${what}: a workspace needs at least one Admin. Make someone else an Admin first.`] },
      "A workspace needs at least one Admin.",
    );
}

export async function changeMemberRole(db: Db, ctx: WorkspaceContext, userId: string, rawRole: unknown): Promise<MemberView["role"]> {
  assertCan(ctx, "members.manage", MEMBERS_DENIED);
  const parsed = roleSchema.safeParse(rawRole);
  if (!parsed.success) throw invalid({ role: parsed.error.issues.map((i) => i.message) });
  const role = parsed.data;
  return db.transaction(async (tx) => {
    const m = await loadMember(tx, ctx, userId);
    if (m.role === role) return role;
    await assertNotLastAdmin(tx, ctx, m.role, `${m.name} is the last Admin`);
    await tx.update(memberships).set({ role }).where(eq(memberships.id, m.id));
    await recordAudit(tx, ctx, {
      action: "member.role_changed",
      targetName: m.name,
      changes: { role: { from: m.role, to: role } },
      metadata: { userId },
    });
    return role;
  });
}

export async function setManageApiKeysGrant(db: Db, ctx: WorkspaceContext, userId: string, granted: unknown): Promise<boolean> {
  assertCan(ctx, "members.manage", MEMBERS_DENIED);
  if (typeof granted !== "boolean") throw invalid({ canManageApiKeys: ["Manage API Keys must be granted (true) or not (false)."] });
  return db.transaction(async (tx) => {
    const m = await loadMember(tx, ctx, userId);
    if (m.canManageApiKeys === granted) return granted;
    await tx.update(memberships).set({ canManageApiKeys: granted }).where(eq(memberships.id, m.id));
    await recordAudit(tx, ctx, {
      action: "member.grant_changed",
      targetName: m.name,
      changes: { canManageApiKeys: { from: m.canManageApiKeys, to: granted } },
      metadata: { userId },
    });
    return granted;
  });
}

/** Adds an existing Latchkey user to the workspace with a role. */
export async function addMember(db: Db, ctx: WorkspaceContext, rawInput: unknown): Promise<{ name: string; role: Role }> {
  assertCan(ctx, "members.manage", MEMBERS_DENIED);
  const parsed = addMemberSchema.safeParse(rawInput ?? {});
  if (!parsed.success) throw invalid(fieldErrorsOf(parsed.error));
  const { email, role } = parsed.data;
  const [user] = await db
    .select({ id: users.id, name: users.name })
    .from(users)
    .where(and(sql`lower(${users.email}) = lower(${email})`, isNull(users.deletedAt)))
    .limit(1);
  if (!user) throw invalid({ email: [`No Latchkey user has the email ${email}.`] });
  try {
    return await db.transaction(async (tx) => {
      await tx.insert(memberships).values({ workspaceId: ctx.workspace.id, userId: user.id, role });
      await recordAudit(tx, ctx, {
        action: "member.added",
        targetName: user.name,
        changes: { role: { from: null, to: role } },
        metadata: { userId: user.id },
      });
      return { name: user.name, role };
    });
  } catch (err) {
    if (isUniqueViolation(err, "memberships_workspace_user_idx")) throw invalid({ email: [`${user.name} is already a member.`] });
    throw err;
  }
}

/** Removes the membership. Keys acting as the member stop working at once (owner_removed). */
export async function removeMember(db: Db, ctx: WorkspaceContext, userId: string): Promise<{ name: string }> {
  assertCan(ctx, "members.manage", MEMBERS_DENIED);
  return db.transaction(async (tx) => {
    const m = await loadMember(tx, ctx, userId);
    await assertNotLastAdmin(tx, ctx, m.role, `${m.name} is the last Admin`);
    await tx.delete(memberships).where(eq(memberships.id, m.id));
    await recordAudit(tx, ctx, { action: "member.removed", targetName: m.name, changes: { role: { from: m.role, to: null } }, metadata: { userId } });
    return { name: m.name };
  });
}
