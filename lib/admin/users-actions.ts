"use server";

import { revalidatePath } from "next/cache";
import { getDb } from "@/db";
import type { AccountActor } from "@/lib/account/audit";
import { requestMeta, requireSessionUser, toActionError, type ActionResult } from "@/lib/actions";
import { bumpAuthEpoch } from "@/lib/api-keys/cache";
import { createUser, deleteUserAsAdmin, disableUser, enableUser, type CreatedUser, type CreateUserInput } from "./users";

// Thin adapters: the session is checked here, Global Admin and every input in lib/admin/users.ts.
// The one-time password goes back to the browser that asked for it and nowhere else.

async function run<T>(fn: (actor: AccountActor) => Promise<T>, opts: { changesAuth?: boolean } = {}): Promise<ActionResult<T>> {
  try {
    const db = await getDb();
    const user = await requireSessionUser(db);
    const data = await fn({ userId: user.id, isGlobalAdmin: user.isGlobalAdmin, ...(await requestMeta()) });
    revalidatePath("/admin/users");
    return { ok: true, data };
  } catch (err) {
    return toActionError(err);
  } finally {
    // A disabled or deleted user's keys must not stay verified in this instance's cache.
    if (opts.changesAuth) bumpAuthEpoch();
  }
}

export async function createUserAction(input: CreateUserInput): Promise<ActionResult<CreatedUser>> {
  return run(async (actor) => createUser(await getDb(), actor, input));
}

export async function disableUserAction(userId: string): Promise<ActionResult<{ name: string }>> {
  return run(async (actor) => disableUser(await getDb(), actor, userId), { changesAuth: true });
}

export async function enableUserAction(userId: string): Promise<ActionResult<{ name: string }>> {
  return run(async (actor) => enableUser(await getDb(), actor, userId), { changesAuth: true });
}

export async function deleteUserAction(userId: string): Promise<ActionResult<{ name: string; revokedKeys: number }>> {
  return run(async (actor) => deleteUserAsAdmin(await getDb(), actor, userId), { changesAuth: true });
}
