import "server-only";
import { auth } from "@/lib/auth";
import type { SessionClaims } from "@/lib/auth/context";

/** The claims of the request's session cookie, or null when there is none (or it is unreadable). */
export async function sessionClaims(): Promise<SessionClaims | null> {
  const session = await auth();
  const userId = session?.user?.id;
  if (!userId) return null;
  const signedInAt = (session as { signedInAt?: unknown }).signedInAt;
  return { userId, signedInAt: typeof signedInAt === "number" ? signedInAt : null };
}
