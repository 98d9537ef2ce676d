"use server";

import { workspaceAction, type ActionResult, type Requirement } from "@/lib/actions";
import { refreshDemoExposure } from "@/lib/demo";
import type { WorkspaceSettingsInput } from "@/lib/validations/workspaces";
import { addMember, changeMemberRole, removeMember, setManageApiKeysGrant, updateWorkspaceSettings } from "./core";
import { countUserLiveKeys, deleteUser } from "./users";

// Thin adapters: the wrapper checks session, membership and the permission; the core checks
// it again and the input, writes the change and its audit event.

const SETTINGS: Requirement = { permission: "workspace.settings", denied: "Only workspace Admins can change the workspace's API settings." };
const MEMBERS: Requirement = { permission: "members.manage", denied: "Only workspace Admins can manage members." };
const USERS: Requirement = { permission: "users.manage", denied: "Only Global Admins can delete users." };

// Settings show in the whole workspace frame (its name, which tabs there are).
async function run<T>(slug: string, need: Requirement, fn: Parameters<typeof workspaceAction<T>>[2]): Promise<ActionResult<T>> {
  return workspaceAction(slug, need, fn, { revalidate: { path: `/w/${slug}`, type: "layout" } });
}

export async function updateSettingsAction(slug: string, input: WorkspaceSettingsInput): Promise<ActionResult<null>> {
  return run(slug, SETTINGS, async (ctx, db) => {
    await updateWorkspaceSettings(db, ctx, input);
    return null;
  });
}

export async function changeRoleAction(slug: string, userId: string, role: string): Promise<ActionResult<string>> {
  return run(slug, MEMBERS, (ctx, db) => changeMemberRole(db, ctx, userId, role));
}

export async function setGrantAction(slug: string, userId: string, granted: boolean): Promise<ActionResult<boolean>> {
  return run(slug, MEMBERS, (ctx, db) => setManageApiKeysGrant(db, ctx, userId, granted));
}

export async function removeMemberAction(slug: string, userId: string): Promise<ActionResult<{ name: string }>> {
  return run(slug, MEMBERS, (ctx, db) => removeMember(db, ctx, userId));
}

export async function addMemberAction(slug: string, input: { email: string; role: string }): Promise<ActionResult<{ name: string }>> {
  return run(slug, MEMBERS, (ctx, db) => addMember(db, ctx, input));
}

export async function countUserKeysAction(slug: string, userId: string): Promise<ActionResult<number>> {
  return workspaceAction(slug, USERS, (ctx, db) => countUserLiveKeys(db, ctx, userId));
}

export async function deleteUserAction(slug: string, userId: string): Promise<ActionResult<{ name: string; revokedKeys: number }>> {
  return run(slug, USERS, async (ctx, db) => {
    const deleted = await deleteUser(db, ctx, userId);
    // The user may have been a demo account with the published password.
    await refreshDemoExposure(db);
    return deleted;
  });
}
