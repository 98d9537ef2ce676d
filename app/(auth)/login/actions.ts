"use server";

import { AuthError } from "next-auth";
import { signIn } from "@/lib/auth";
import { throttledMessageOf } from "@/lib/auth/sign-in-throttle-error";

export interface LoginState {
  error?: string;
  email?: string;
}

/** Only same-site relative paths: an absolute callbackUrl would be an open redirect. */
function safeRedirect(target: unknown): string {
  if (typeof target !== "string" || !target.startsWith("/") || target.startsWith("//") || target.startsWith("/\\")) return "/";
  return target;
}

export async function loginAction(_prev: LoginState, formData: FormData): Promise<LoginState> {
  const email = String(formData.get("email") ?? "").trim();
  const password = String(formData.get("password") ?? "");
  if (!email || !password) return { error: "Enter your email and password.", email };
  try {
    await signIn("credentials", { email, password, redirectTo: safeRedirect(formData.get("callbackUrl")) });
    return {};
  } catch (err) {
    // A successful signIn throws NEXT_REDIRECT, which must propagate.
    if (err instanceof AuthError) return { error: throttledMessageOf(err) ?? "Wrong email or password.", email };
    throw err;
  }
}
