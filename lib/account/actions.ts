"use server";

import { revalidatePath } from "next/cache";
import { getDb } from "@/db";
import { requestMeta, requireSessionUser, toActionError, type ActionResult } from "@/lib/actions";
import { refreshDemoExposure } from "@/lib/demo";
import { signIn, signOut } from "@/lib/auth";
import { changePassword, revokeKeyActingAsMe, signOutEverywhere, updateProfile, type AccountActor } from "./core";
import type { ChangePasswordInput, ProfileInput } from "./validation";

// Thin adapters: each checks the session itself (anyone can POST to a server action), builds
// the actor from it, and leaves input checks to the core. Nothing here logs what it was sent.

async function actor(opts: { passwordChangeAllowed?: boolean } = {}): Promise<AccountActor> {
  const db = await getDb();
  const user = await requireSessionUser(db, opts);
  return { userId: user.id, isGlobalAdmin: user.isGlobalAdmin, ...(await requestMeta()) };
}

export async function updateProfileAction(input: ProfileInput): Promise<ActionResult<{ name: string }>> {
  try {
    const data = await updateProfile(await getDb(), await actor(), input);
    revalidatePath("/", "layout");
    return { ok: true, data };
  } catch (err) {
    return toActionError(err);
  }
}

/**
 * Changes the password, which ends every session (this one too); then signs this browser in
 * again with the new password so the person who just proved it is not sent away. When that
 * fails (`signedInAgain: false`) the page sends them to the login page instead.
 */
export async function changePasswordAction(input: ChangePasswordInput): Promise<ActionResult<{ signedInAgain: boolean }>> {
  let email: string;
  try {
    const db = await getDb();
    ({ email } = await changePassword(db, await actor({ passwordChangeAllowed: true }), input));
    // A demo account may just have stopped having the published password.
    await refreshDemoExposure(db);
  } catch (err) {
    return toActionError(err);
  }
  try {
    await signIn("credentials", { email, password: input.newPassword, redirect: false });
    revalidatePath("/", "layout");
    return { ok: true, data: { signedInAgain: true } };
  } catch {
    return { ok: true, data: { signedInAgain: false } };
  }
}

/** Ends every session of this user's, this one included. The page then goes to the login page. */
export async function signOutEverywhereAction(): Promise<ActionResult<null>> {
  try {
    await signOutEverywhere(await getDb(), await actor({ passwordChangeAllowed: true }));
  } catch (err) {
    return toActionError(err);
  }
  // The cut-off already ended this session; clearing the cookie too is only tidiness.
  await signOut({ redirect: false }).catch(() => {});
  return { ok: true, data: null };
}

export async function revokeKeyActingAsMeAction(keyId: string): Promise<ActionResult<{ name: string }>> {
  try {
    const { name } = await revokeKeyActingAsMe(await getDb(), await actor(), keyId);
    revalidatePath("/account");
    return { ok: true, data: { name } };
  } catch (err) {
    return toActionError(err);
  }
}
