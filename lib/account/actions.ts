"use server";

import { revalidatePath } from "next/cache";
import { sessionAction, type ActionResult } from "@/lib/actions";
import { refreshDemoExposure } from "@/lib/demo";
import { signIn, signOut } from "@/lib/auth";
import { parseRequiredRevocation } from "@/lib/api-keys/core";
import { changePassword, revokeKeyActingAsMe, signOutEverywhere, updateProfile } from "./core";
import type { ChangePasswordInput, ProfileInput } from "./validation";

// Thin adapters: the wrapper checks the session (anyone can POST to a server action) and hands
// over the actor; the core checks the input. Nothing here logs what it was sent.

export async function updateProfileAction(input: ProfileInput): Promise<ActionResult<{ name: string }>> {
  return sessionAction(async (actor, db) => {
    const data = await updateProfile(db, actor, input);
    revalidatePath("/", "layout");
    return data;
  });
}

/**
 * Changes the password, which ends every session (this one too); then signs this browser in
 * again with the new password so the person who just proved it is not sent away. When that
 * fails (`signedInAgain: false`) the page sends them to the login page instead.
 */
export async function changePasswordAction(input: ChangePasswordInput): Promise<ActionResult<{ signedInAgain: boolean }>> {
  const changed = await sessionAction(
    async (actor, db) => {
      const { email } = await changePassword(db, actor, input);
      // A demo account may just have stopped having the published password.
      await refreshDemoExposure(db);
      return email;
    },
    { passwordChangeAllowed: true },
  );
  if (!changed.ok) return changed;
  try {
    await signIn("credentials", { email: changed.data, password: input.newPassword, redirect: false });
    revalidatePath("/", "layout");
    return { ok: true, data: { signedInAgain: true } };
  } catch {
    return { ok: true, data: { signedInAgain: false } };
  }
}

/** Ends every session of this user's, this one included. The page then goes to the login page. */
export async function signOutEverywhereAction(): Promise<ActionResult<null>> {
  const done = await sessionAction((actor, db) => signOutEverywhere(db, actor), { passwordChangeAllowed: true });
  if (!done.ok) return done;
  // The cut-off already ended this session; clearing the cookie too is only tidiness.
  await signOut({ redirect: false }).catch(() => {});
  return { ok: true, data: null };
}

/** `revocation` is `{ reason, reasonText }`, which the console always asks for. */
export async function revokeKeyActingAsMeAction(keyId: string, revocation: unknown): Promise<ActionResult<{ name: string }>> {
  return sessionAction(async (actor, db) => {
    parseRequiredRevocation(revocation);
    const { name } = await revokeKeyActingAsMe(db, actor, keyId, revocation);
    revalidatePath("/account");
    return { name };
  });
}

/**
 * Not behind the wrapper on purpose: signing out asks for no permission, must work for a
 * session that has already ended, and ends in Next's redirect, which the wrapper would catch.
 */
export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: "/login" });
}
