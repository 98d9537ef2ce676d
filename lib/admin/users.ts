import "server-only";
import { randomInt } from "node:crypto";
import { and, asc, count, desc, eq, ilike, inArray, isNotNull, isNull, or, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Db, DbOrTx } from "@/db";
import { apiKeys, memberships, roleEnum, users, workspaces, type Role } from "@/db/schema";
import { type AccountActor } from "@/lib/account/audit";
import { recordAudit } from "@/lib/audit/record";
import { personName } from "@/lib/account/validation";
import { isUuid } from "@/lib/api-keys/core";
import type { WorkspaceContext } from "@/lib/auth/context";
import { hashPassword } from "@/lib/auth/password";
import { forbidden, invalid, isUniqueViolation, notFound } from "@/lib/errors";
import { anyOf, contains } from "@/lib/like";
import { fieldErrorsOf } from "@/lib/validations/api-keys";
import { deleteUserInTx } from "@/lib/workspaces/users";
import { ADMIN_USER_SORTS, ADMIN_USER_STATES } from "./users-params";

// Admin > Users: every person who can sign in, for Global Admins only. Each function checks
// that itself (a server action is a public endpoint) and writes its audit event in the same
// transaction as the change. Account events belong to no workspace (workspaceId null).

export const USERS_GLOBAL_ADMIN_ONLY = "Only Global Admins can manage users.";
const USER_NOT_FOUND = "User not found.";

function assertGlobalAdmin(actor: Pick<AccountActor, "isGlobalAdmin"> | null | undefined): void {
  if (!actor?.isGlobalAdmin) throw forbidden(USERS_GLOBAL_ADMIN_ONLY);
}

const blank = (v: unknown) => (v === "" || v === null ? undefined : v);

export const adminUserFiltersSchema = z.object({
  page: z.preprocess(blank, z.coerce.number().int().min(1).max(1_000_000).default(1)),
  pageSize: z.preprocess(
    blank,
    z.coerce
      .number()
      .int()
      .refine((n) => [10, 20, 50, 100].includes(n), "Rows per page must be 10, 20, 50 or 100.")
      .default(20),
  ),
  sort: z.preprocess(blank, z.enum(ADMIN_USER_SORTS).default("name")),
  dir: z.preprocess(blank, z.enum(["asc", "desc"]).optional()),
  /** Part of the name or email. */
  q: z.preprocess(
    blank,
    z
      .string({ error: "Search must be text." })
      .trim()
      .max(100, "Search must be at most 100 characters.")
      .transform((v) => (v === "" ? undefined : v))
      .optional(),
  ),
  state: z.preprocess(blank, z.enum(ADMIN_USER_STATES, { error: "Choose a state from the list." }).default("all")),
  /** Workspace slug: members of it only. */
  workspace: z.preprocess(blank, z.string().trim().max(100).optional()),
});
export type AdminUserFiltersInput = z.input<typeof adminUserFiltersSchema>;
export type AdminUserFilters = z.output<typeof adminUserFiltersSchema>;

export interface AdminUserRow {
  id: string;
  name: string;
  email: string;
  isGlobalAdmin: boolean;
  createdAt: Date;
  disabledAt: Date | null;
  mustChangePassword: boolean;
  state: "active" | "disabled";
  workspaces: { slug: string; name: string; role: Role }[];
  liveKeys: number;
}

export interface AdminUserPage {
  rows: AdminUserRow[];
  total: number;
  page: number;
  pageSize: number;
}

function userConditions(f: AdminUserFilters): SQL | undefined {
  const conds: (SQL | undefined)[] = [isNull(users.deletedAt)];
  if (f.state === "active") conds.push(isNull(users.disabledAt));
  if (f.state === "disabled") conds.push(isNotNull(users.disabledAt));
  if (f.q) conds.push(or(ilike(users.name, contains(f.q)), ilike(users.email, contains(f.q))));
  if (f.workspace)
    conds.push(
      anyOf(
        users.id,
        sql`select ${memberships.userId} from ${memberships} join ${workspaces} on ${workspaces.id} = ${memberships.workspaceId} where ${workspaces.slug} = ${f.workspace}`,
      ),
    );
  return and(...conds);
}

/** One page of the people who can sign in (deleted users are gone), with their workspaces and live keys. */
export async function listUsers(
  db: DbOrTx,
  actor: Pick<AccountActor, "isGlobalAdmin">,
  rawFilters: AdminUserFiltersInput | unknown = {},
): Promise<AdminUserPage> {
  assertGlobalAdmin(actor);
  const parsed = adminUserFiltersSchema.safeParse(rawFilters ?? {});
  if (!parsed.success) throw invalid(fieldErrorsOf(parsed.error));
  const f = parsed.data;
  const where = userConditions(f);
  const dir = f.dir ?? (f.sort === "created" ? "desc" : "asc");
  const by = dir === "asc" ? asc : desc;
  const order = { name: by(sql`lower(${users.name})`), email: by(sql`lower(${users.email})`), created: by(users.createdAt) }[f.sort];
  const [page, [{ total }]] = await Promise.all([
    db
      .select({
        id: users.id,
        name: users.name,
        email: users.email,
        isGlobalAdmin: users.isGlobalAdmin,
        createdAt: users.createdAt,
        disabledAt: users.disabledAt,
        mustChangePassword: users.mustChangePassword,
      })
      .from(users)
      .where(where)
      // The id keeps the order total, so paging never repeats or skips a row.
      .orderBy(order, asc(users.id))
      .limit(f.pageSize)
      .offset((f.page - 1) * f.pageSize),
    db.select({ total: count() }).from(users).where(where),
  ]);
  const ids = page.map((u) => u.id);
  const [member, keys] = ids.length
    ? await Promise.all([
        db
          .select({ userId: memberships.userId, slug: workspaces.slug, name: workspaces.name, role: memberships.role })
          .from(memberships)
          .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
          .where(inArray(memberships.userId, ids))
          .orderBy(asc(sql`lower(${workspaces.name})`)),
        db
          .select({ ownerId: apiKeys.ownerId, n: count() })
          .from(apiKeys)
          .where(and(inArray(apiKeys.ownerId, ids), isNull(apiKeys.revokedAt)))
          .groupBy(apiKeys.ownerId),
      ])
    : [[], []];
  const keyCount = new Map(keys.map((k) => [k.ownerId, k.n]));
  return {
    rows: page.map((u) => ({
      ...u,
      state: u.disabledAt ? "disabled" : "active",
      workspaces: member.filter((m) => m.userId === u.id).map(({ slug, name, role }) => ({ slug, name, role })),
      liveKeys: keyCount.get(u.id) ?? 0,
    })),
    total,
    page: f.page,
    pageSize: f.pageSize,
  };
}

// ---------------------------------------------------------------------------------------------
// Create

const createUserSchema = z
  .object({
    name: personName,
    email: z
      .string({ error: "Enter an email address." })
      .trim()
      .toLowerCase()
      .min(1, "Enter an email address.")
      .max(320, "An email address is at most 320 characters.")
      .pipe(z.email({ error: "Enter a valid email address, like ada@example.com." })),
    isGlobalAdmin: z.boolean({ error: "Global Admin must be yes or no." }).default(false),
    /** Slug of a workspace to add them to; none for no workspace yet. */
    workspace: z.preprocess(blank, z.string({ error: "Choose a workspace from the list." }).trim().max(100).optional()),
    role: z.preprocess(blank, z.enum(roleEnum.enumValues, { error: "Choose a role from the list." }).optional()),
  })
  .refine((v) => !v.role || v.workspace, { path: ["workspace"], message: "Choose the workspace this role is for." });
export type CreateUserInput = z.input<typeof createUserSchema>;

// No 0/o/1/l/i: the password is read off a screen and typed in once.
const OTP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";

/** 20 random characters (about 98 bits) in four groups, e.g. "k7qz2-m9xwa-…". */
export function generateOneTimePassword(): string {
  const chars = Array.from({ length: 20 }, () => OTP_ALPHABET[randomInt(OTP_ALPHABET.length)]);
  return [0, 5, 10, 15].map((i) => chars.slice(i, i + 5).join("")).join("-");
}

export interface CreatedUser {
  user: { id: string; name: string; email: string; isGlobalAdmin: boolean };
  workspace: { slug: string; name: string; role: Role } | null;
  /** Shown once to the admin; only its hash is stored, and it is never logged or audited. */
  oneTimePassword: string;
}

/** Creates a user with a one-time password they must replace at their first sign-in. */
export async function createUser(db: Db, actor: AccountActor, rawInput: CreateUserInput | unknown): Promise<CreatedUser> {
  assertGlobalAdmin(actor);
  const parsed = createUserSchema.safeParse(rawInput ?? {});
  if (!parsed.success) throw invalid(fieldErrorsOf(parsed.error));
  const input = parsed.data;
  let workspace: { id: string; slug: string; name: string } | null = null;
  if (input.workspace) {
    [workspace] = await db
      .select({ id: workspaces.id, slug: workspaces.slug, name: workspaces.name })
      .from(workspaces)
      .where(eq(workspaces.slug, input.workspace))
      .limit(1);
    if (!workspace) throw invalid({ workspace: ["Choose a workspace from the list."] });
  }
  const role: Role = input.role ?? "member";
  const oneTimePassword = generateOneTimePassword();
  const passwordHash = await hashPassword(oneTimePassword);
  try {
    return await db.transaction(async (tx) => {
      const [user] = await tx
        .insert(users)
        .values({ name: input.name, email: input.email, isGlobalAdmin: input.isGlobalAdmin, passwordHash, mustChangePassword: true })
        .returning({ id: users.id, name: users.name, email: users.email, isGlobalAdmin: users.isGlobalAdmin });
      await recordAudit(tx, actor, {
        action: "user.created",
        workspaceId: null,
        targetName: user.name,
        changes: { email: { from: null, to: user.email }, isGlobalAdmin: { from: null, to: user.isGlobalAdmin } },
        metadata: { userId: user.id, workspace: workspace?.slug ?? null, role: workspace ? role : null },
      });
      if (workspace) {
        await tx.insert(memberships).values({ workspaceId: workspace.id, userId: user.id, role });
        await recordAudit(tx, actor, {
          action: "member.added",
          workspaceId: workspace.id,
          targetName: user.name,
          changes: { role: { from: null, to: role } },
          metadata: { userId: user.id, via: "user_created" },
        });
      }
      return { user, workspace: workspace ? { slug: workspace.slug, name: workspace.name, role } : null, oneTimePassword };
    });
  } catch (err) {
    // Deleted users keep their row (and email) so the audit log still names them.
    if (isUniqueViolation(err, "users_email_lower_idx"))
      throw invalid({ email: ["A user with this email already exists (or once existed and was deleted). Use another email."] });
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Disable, re-enable, delete

/**
 * Locks every active Global Admin's row (in id order, so two calls cannot deadlock), then the
 * target's: two admins disabling each other at once must not both win and leave nobody.
 */
async function lockTarget(tx: DbOrTx, actor: AccountActor, userId: string, what: string) {
  if (userId === actor.userId) throw invalid({ userId: [`You cannot ${what} yourself.`] }, `You cannot ${what} yourself.`);
  const activeGlobalAdmins = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.isGlobalAdmin, true), isNull(users.deletedAt), isNull(users.disabledAt)))
    .orderBy(asc(users.id))
    .for("update");
  const [target] = await tx
    .select()
    .from(users)
    .where(and(eq(users.id, userId), isNull(users.deletedAt)))
    .for("update");
  if (!target) throw notFound(USER_NOT_FOUND);
  const isLastActiveGlobalAdmin = target.isGlobalAdmin && !target.disabledAt && !activeGlobalAdmins.some((a) => a.id !== target.id);
  return { target, isLastActiveGlobalAdmin };
}

const lastGlobalAdmin = () => invalid({ userId: ["This is the last active Global Admin."] }, "Latchkey needs at least one active Global Admin.");

/** Disables a user: they cannot sign in, their sessions end now, until a Global Admin re-enables them. */
export async function disableUser(db: Db, actor: AccountActor, userId: unknown, now = new Date()): Promise<{ name: string }> {
  assertGlobalAdmin(actor);
  if (!isUuid(userId)) throw notFound(USER_NOT_FOUND);
  return db.transaction(async (tx) => {
    const { target, isLastActiveGlobalAdmin } = await lockTarget(tx, actor, userId, "disable");
    if (target.disabledAt) throw invalid({ userId: [`${target.name} is already disabled.`] }, `${target.name} is already disabled.`);
    if (isLastActiveGlobalAdmin) throw lastGlobalAdmin();
    await tx.update(users).set({ disabledAt: now, sessionsValidAfter: now }).where(eq(users.id, target.id));
    await recordAudit(tx, actor, {
      action: "user.disabled",
      workspaceId: null,
      targetName: target.name,
      changes: { disabledAt: { from: null, to: now } },
      metadata: { userId: target.id, email: target.email },
    });
    return { name: target.name };
  });
}

export async function enableUser(db: Db, actor: AccountActor, userId: unknown): Promise<{ name: string }> {
  assertGlobalAdmin(actor);
  if (!isUuid(userId)) throw notFound(USER_NOT_FOUND);
  return db.transaction(async (tx) => {
    const { target } = await lockTarget(tx, actor, userId, "re-enable");
    if (!target.disabledAt) throw invalid({ userId: [`${target.name} is not disabled.`] }, `${target.name} is not disabled.`);
    await tx.update(users).set({ disabledAt: null }).where(eq(users.id, target.id));
    await recordAudit(tx, actor, {
      action: "user.enabled",
      workspaceId: null,
      targetName: target.name,
      changes: { disabledAt: { from: target.disabledAt, to: null } },
      metadata: { userId: target.id, email: target.email },
    });
    return { name: target.name };
  });
}

/**
 * Deletes a user through the same core as a workspace's settings page (memberships removed,
 * every key they own revoked, each audited in its workspace), plus one event in no workspace
 * so the global log records it even for someone who belonged nowhere.
 */
export async function deleteUserAsAdmin(db: Db, actor: AccountActor, userId: unknown): Promise<{ name: string; revokedKeys: number }> {
  assertGlobalAdmin(actor);
  if (!isUuid(userId)) throw notFound(USER_NOT_FOUND);
  return db.transaction(async (tx) => {
    const { target, isLastActiveGlobalAdmin } = await lockTarget(tx, actor, userId, "delete");
    if (isLastActiveGlobalAdmin) throw lastGlobalAdmin();
    // deleteUser reads who is acting from its context, never the workspace: there is none here.
    const ctx = {
      userId: actor.userId,
      apiKeyId: null,
      isGlobalAdmin: actor.isGlobalAdmin,
      role: null,
      canManageApiKeys: false,
      workspace: null,
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
    } as unknown as WorkspaceContext;
    const result = await deleteUserInTx(tx, ctx, target.id);
    await recordAudit(tx, actor, {
      action: "user.deleted",
      workspaceId: null,
      targetName: target.name,
      metadata: { userId: target.id, email: target.email, revokedKeys: result.revokedKeys },
    });
    return result;
  });
}

/** How many live keys (all workspaces) a deletion would revoke, for the confirmation. */
export async function countLiveKeysOf(db: DbOrTx, actor: Pick<AccountActor, "isGlobalAdmin">, userId: unknown): Promise<number> {
  assertGlobalAdmin(actor);
  if (!isUuid(userId)) throw notFound(USER_NOT_FOUND);
  const [{ n }] = await db
    .select({ n: count() })
    .from(apiKeys)
    .where(and(eq(apiKeys.ownerId, userId), isNull(apiKeys.revokedAt)));
  return n;
}

export interface WorkspaceChoice {
  slug: string;
  name: string;
}

export async function listWorkspaceChoices(db: DbOrTx, actor: Pick<AccountActor, "isGlobalAdmin">): Promise<WorkspaceChoice[]> {
  assertGlobalAdmin(actor);
  return db
    .select({ slug: workspaces.slug, name: workspaces.name })
    .from(workspaces)
    .orderBy(asc(sql`lower(${workspaces.name})`))
    .limit(1000);
}
