import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getCurrentUser } from "@/lib/auth/current";
import { Logo } from "@/components/shell/logo";
import { LoginForm } from "./login-form";

export const metadata: Metadata = { title: "Sign in" };

// Why the user is here, when they did not come on their own. Fixed texts: the URL only picks one.
const REASONS: Record<string, string> = {
  session_ended: "Your session ended. Sign in again.",
  signed_out_everywhere: "You were signed out on every device. Sign in again.",
  password_changed: "Your password was changed. Sign in with the new one.",
};

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<{ callbackUrl?: string | string[]; reason?: string | string[] }>;
}) {
  const { callbackUrl, reason } = await searchParams;
  // Only a session the console would accept goes back to it: a cookie of a deleted, disabled
  // or cut-off user stays here, or the two pages would bounce it between each other forever.
  if (await getCurrentUser()) redirect("/");
  const notice = typeof reason === "string" && Object.hasOwn(REASONS, reason) ? REASONS[reason] : null;
  return (
    <main className="flex min-h-dvh items-center justify-center px-4">
      <div className="w-full max-w-sm">
        <Logo className="mb-6 flex items-center gap-2 text-lg" />
        <div className="rounded-lg border bg-card p-6 shadow-xs">
          <h1 className="mb-1 text-xl font-semibold">Sign in</h1>
          <p className="mb-6 text-sm text-muted-foreground">Manage your organisation&apos;s API keys.</p>
          {notice ? (
            <p role="status" className="mb-4 rounded-md border bg-muted px-3 py-2 text-sm">
              {notice}
            </p>
          ) : null}
          <LoginForm callbackUrl={typeof callbackUrl === "string" ? callbackUrl : undefined} />
        </div>
      </div>
    </main>
  );
}
