"use server";

import { revalidatePath } from "next/cache";
import { globalAdminAction, type ActionResult, type SessionCaller } from "@/lib/actions";
import { refreshDemoExposure } from "@/lib/demo";
import type { Db } from "@/db";
import { createUser, deleteUserAsAdmin, disableUser, enableUser, USERS_GLOBAL_ADMIN_ONLY, type CreatedUser, type CreateUserInput } from "./users";

// Thin adapters: the wrapper checks the session and Global Admin, lib/admin/users.ts checks
// Global Admin again and every input. The one-time password goes back to the browser that
// asked for it and nowhere else.

async function run<T>(fn: (actor: SessionCaller, db: Db) => Promise<T>, opts: { changesSignIn?: boolean } = {}): Promise<ActionResult<T>> {
  return globalAdminAction(USERS_GLOBAL_ADMIN_ONLY, async (actor, db) => {
    const data = await fn(actor, db);
    // Whether a demo account with the published password can still sign in may have changed.
    if (opts.changesSignIn) await refreshDemoExposure(db);
    revalidatePath("/admin/users");
    return data;
  });
}

export async function createUserAction(input: CreateUserInput): Promise<ActionResult<CreatedUser>> {
  return run((actor, db) => createUser(db, actor, input));
}

export async function disableUserAction(userId: string): Promise<ActionResult<{ name: string }>> {
  return run((actor, db) => disableUser(db, actor, userId), { changesSignIn: true });
}

export async function enableUserAction(userId: string): Promise<ActionResult<{ name: string }>> {
  return run((actor, db) => enableUser(db, actor, userId), { changesSignIn: true });
}

export async function deleteUserAction(userId: string): Promise<ActionResult<{ name: string; revokedKeys: number }>> {
  return run((actor, db) => deleteUserAsAdmin(db, actor, userId), { changesSignIn: true });
}
