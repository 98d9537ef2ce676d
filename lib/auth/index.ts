import "server-only";
import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { getDb } from "@/db";
import { env } from "@/lib/env";
import { clientAddress } from "@/lib/net/client-address";
import { signInWithPassword } from "./sign-in-throttle";
import { SignInThrottled } from "./sign-in-throttle-error";

// Configured lazily so AUTH_SECRET is read at request time, after instrumentation has ensured it.
export const { handlers, auth, signIn, signOut } = NextAuth(() => ({
  trustHost: true,
  secret: env().AUTH_SECRET,
  session: { strategy: "jwt", maxAge: 12 * 60 * 60 },
  pages: { signIn: "/login" },
  providers: [
    Credentials({
      credentials: { email: { label: "Email" }, password: { label: "Password", type: "password" } },
      // The form's server action and a direct POST to /api/auth/callback/credentials both end
      // here, so the throttle lives here. Auth.js hands over the request's own headers.
      async authorize(raw, request) {
        const outcome = await signInWithPassword(await getDb(), raw, clientAddress(request));
        if (outcome.ok) return outcome.user;
        if (outcome.reason === "throttled") throw new SignInThrottled(outcome.retryAfterSeconds);
        return null;
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      // `user` is present only when the password was just checked. `iat` is no use for the
      // cut-off: Auth.js renews it every time it re-encodes the cookie.
      if (user?.id) {
        token.sub = user.id;
        token.signedInAt = Date.now();
      }
      return token;
    },
    session({ session, token }) {
      if (token.sub) session.user.id = token.sub;
      if (typeof token.signedInAt === "number") Object.assign(session, { signedInAt: token.signedInAt });
      return session;
    },
  },
  logger: {
    // A wrong password is not an error worth a stack trace in the server log.
    error(error: Error) {
      if (error instanceof CredentialsSignin || error.name === "CredentialsSignin") return;
      console.error(`[auth] ${error.name}: ${error.message}`);
    },
    warn() {},
  },
}));
