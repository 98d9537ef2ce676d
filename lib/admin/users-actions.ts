"use server";

import { revalidatePath } from "next/cache";
import { getDb } from "@/db";
import type { AccountActor } from "@/lib/account/audit";
import { requestMeta, requireSessionUser, toActionError, type ActionResult } from "@/lib/actions";
import { refreshDemoExposure } from "@/lib/demo";
import { createUser, deleteUserAsAdmin, disableUser, enableUser, type CreatedUser, type CreateUserInput } from "./users";

// Thin adapters: the session is checked here, Global Admin and every input in lib/admin/users.ts.
// The one-time password goes back to the browser that asked for it and nowhere else.

async function run<T>(fn: (actor: AccountActor) => Promise<T>, opts: { changesSignIn?: boolean } = {}): Promise<ActionResult<T>> {
  try {
    const db = await getDb();
    const user = await requireSessionUser(db);
    const data = await fn({ userId: user.id, isGlobalAdmin: user.isGlobalAdmin, ...(await requestMeta()) });
    // Whether a demo account with the published password can still sign in may have changed.
    if (opts.changesSignIn) await refreshDemoExposure(db);
    revalidatePath("/admin/users");
    return { ok: true, data };
  } catch (err) {
    return toActionError(err);
  }
}

export async function createUserAction(input: CreateUserInput): Promise<ActionResult<CreatedUser>> {
  return run(async (actor) => createUser(await getDb(), actor, input));
}

export async function disableUserAction(userId: string): Promise<ActionResult<{ name: string }>> {
  return run(async (actor) => disableUser(await getDb(), actor, userId), { changesSignIn: true });
}

export async function enableUserAction(userId: string): Promise<ActionResult<{ name: string }>> {
  return run(async (actor) => enableUser(await getDb(), actor, userId), { changesSignIn: true });
}

export async function deleteUserAction(userId: string): Promise<ActionResult<{ name: string; revokedKeys: number }>> {
  return run(async (actor) => deleteUserAsAdmin(await getDb(), actor, userId), { changesSignIn: true });
}
