import type { Metadata } from "next";
import Link from "next/link";
import { KeyRound } from "lucide-react";
import { PasswordForm } from "@/components/account/password-form";
import { requireCurrentUser } from "@/lib/auth/current";

export const metadata: Metadata = { title: "Choose a new password" };

// The one console page someone with a one-time password may see (every other page sends them here).
export default async function PasswordPage() {
  const user = await requireCurrentUser({ passwordChangeAllowed: true });
  const forced = user.mustChangePassword;
  return (
    <div className="mx-auto grid w-full max-w-md gap-6 py-4">
      <div className="grid gap-2">
        <KeyRound aria-hidden="true" className="size-6 text-muted-foreground" />
        <h1 className="text-2xl font-semibold tracking-tight">{forced ? "Choose your own password" : "Change password"}</h1>
        <p className="text-sm text-muted-foreground">
          {forced
            ? "You signed in with a one-time password from a Global Admin. Choose a password only you know to continue."
            : "Changing your password signs you out on every other device."}
        </p>
      </div>
      <div className="rounded-lg border bg-card p-6 shadow-xs">
        <PasswordForm email={user.email} forced={forced} after={forced ? "/" : "/account"} />
      </div>
      {forced ? null : (
        <p className="text-sm">
          <Link href="/account" className="text-muted-foreground underline-offset-4 hover:underline">
            Back to your account
          </Link>
        </p>
      )}
    </div>
  );
}
