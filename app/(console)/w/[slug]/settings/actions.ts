"use server";

import { revalidatePath } from "next/cache";
import { workspaceAction, type ActionResult } from "@/lib/actions";
import { addMember, changeMemberRole, removeMember, setManageApiKeysGrant, updateWorkspaceSettings } from "@/lib/workspaces/core";
import { countUserLiveKeys, deleteUser } from "@/lib/workspaces/users";
import type { WorkspaceSettingsInput } from "@/lib/validations/workspaces";
import { refreshDemoExposure } from "@/lib/demo";


async function run<T>(slug: string, fn: Parameters<typeof workspaceAction<T>>[1]): Promise<ActionResult<T>> {
  const result = await workspaceAction(slug, fn);
  if (result.ok) revalidatePath(`/w/${slug}`, "layout");
  return result;
}

export async function updateSettingsAction(slug: string, input: WorkspaceSettingsInput): Promise<ActionResult<null>> {
  return run(slug, async (ctx, db) => {
    await updateWorkspaceSettings(db, ctx, input);
    return null;
  });
}

export async function changeRoleAction(slug: string, userId: string, role: string): Promise<ActionResult<string>> {
  return run(slug, (ctx, db) => changeMemberRole(db, ctx, userId, role));
}

export async function setGrantAction(slug: string, userId: string, granted: boolean): Promise<ActionResult<boolean>> {
  return run(slug, (ctx, db) => setManageApiKeysGrant(db, ctx, userId, granted));
}

export async function removeMemberAction(slug: string, userId: string): Promise<ActionResult<{ name: string }>> {
  return run(slug, (ctx, db) => removeMember(db, ctx, userId));
}


export async function countUserKeysAction(slug: string, userId: string): Promise<ActionResult<number>> {
  return workspaceAction(slug, (ctx, db) => countUserLiveKeys(db, ctx, userId));
}

export async function deleteUserAction(slug: string, userId: string): Promise<ActionResult<{ name: string; revokedKeys: number }>> {
  return run(slug, async (ctx, db) => {
    const deleted = await deleteUser(db, ctx, userId);
    // The user may have been a demo account with the published password.
    await refreshDemoExposure(db);
    return deleted;
  });
}

export async function addMemberAction(slug: string, input: { email: string; role: string }): Promise<ActionResult<{ name: string }>> {
  return run(slug, (ctx, db) => addMember(db, ctx, input));
}
