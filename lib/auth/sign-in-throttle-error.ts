// next-auth re-exports this very class; importing it from @auth/core keeps next/server out of tests.
import { CredentialsSignin } from "@auth/core/errors";
import { throttleMessage } from "./sign-in-throttle";

/**
 * What authorize throws while sign-in is throttled. Auth.js passes a CredentialsSignin through
 * to the caller unchanged (the login form's server action), and puts its `code` in the redirect
 * URL of a direct POST to /api/auth/callback/credentials; the code names no account or reason
 * beyond "throttled".
 */
export class SignInThrottled extends CredentialsSignin {
  code = "throttled";
  constructor(readonly retryAfterSeconds: number) {
    super(throttleMessage(retryAfterSeconds));
  }
}

/** The login form's message for a throttled attempt, or null for any other error. */
export function throttledMessageOf(err: unknown): string | null {
  // By shape rather than instanceof: Next may bundle this module once per entry point.
  if (!(err instanceof CredentialsSignin) || err.code !== "throttled") return null;
  const seconds = Number((err as Partial<SignInThrottled>).retryAfterSeconds);
  return throttleMessage(Number.isFinite(seconds) && seconds > 0 ? seconds : 60);
}
