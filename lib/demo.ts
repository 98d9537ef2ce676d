import { and, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "@/db";
import { users } from "@/db/schema";
import { DEMO_PASSWORD, DEMO_USERS } from "@/db/seed";
import { isLoopbackAddress } from "@/lib/net/client-address";
import { verifyPassword } from "@/lib/auth/password";

// The demo accounts' password is printed in the README. While any of them still has it, this
// server is as good as open, so it answers only this machine: scripts/server.mjs asks
// demoRefusal (through globalThis, set by lib/boot.ts) about every request's socket address.

export interface DemoExposure {
  /** Some demo account can still sign in with the published password. */
  exposed: boolean;
  /** Which ones (lower-cased emails). */
  emails: string[];
}

const g = globalThis as unknown as {
  __latchkeyDemoExposure?: DemoExposure;
  __latchkeyDemoGate?: typeof demoRefusal;
};

/**
 * Which live demo accounts still have the published password. The seeded accounts share one
 * hash, so each distinct hash is verified once: one scrypt at boot, not one per account.
 */
export async function checkDemoExposure(db: Db): Promise<DemoExposure> {
  const rows = await db
    .select({ email: users.email, passwordHash: users.passwordHash })
    .from(users)
    .where(
      and(
        inArray(
          sql`lower(${users.email})`,
          DEMO_USERS.map((u) => u.email.toLowerCase()),
        ),
        isNull(users.deletedAt),
        isNull(users.disabledAt),
      ),
    );
  const verdict = new Map<string, boolean>();
  for (const { passwordHash } of rows) if (!verdict.has(passwordHash)) verdict.set(passwordHash, await verifyPassword(DEMO_PASSWORD, passwordHash));
  const emails = rows
    .filter((r) => verdict.get(r.passwordHash))
    .map((r) => r.email.toLowerCase())
    .sort();
  return { exposed: emails.length > 0, emails };
}

/**
 * Re-checks and records the state. Call it after anything that changes a password or whether
 * an account can sign in (password change, user disabled/enabled/deleted); it costs one scrypt
 * per distinct demo hash. Until it has run once, the state is unknown and treated as exposed.
 */
export async function refreshDemoExposure(db: Db): Promise<DemoExposure> {
  const state = await checkDemoExposure(db);
  g.__latchkeyDemoExposure = state;
  return state;
}

/** The recorded state, for the console's banner; undefined before the first check. */
export function demoExposure(): DemoExposure | undefined {
  return g.__latchkeyDemoExposure;
}

const DEMO_REFUSAL_MESSAGE =
  "Demo accounts with a published password exist on this server, so it only answers requests from this machine. " +
  "Sign in from this machine and change those accounts' passwords (or delete or disable them); then it answers other machines too.";

export interface DemoRefusal {
  status: 403;
  headers: Record<string, string>;
  body: string;
}

/**
 * The answer for a request while demo passwords are live, unless its socket is on this machine:
 * a 403 envelope for the REST API, a short page otherwise; null when the request may go on.
 * The socket decides, never X-Forwarded-For. A reverse proxy on this same machine makes every
 * socket loopback, so change the demo passwords before putting one in front.
 */
export function demoRefusal(socketAddress: string | undefined, url: string): DemoRefusal | null {
  const state = demoExposure();
  if (state && !state.exposed) return null;
  if (isLoopbackAddress(socketAddress)) return null;
  const headers = { "cache-control": "no-store", "x-content-type-options": "nosniff" };
  if (url.startsWith("/api/"))
    return {
      status: 403,
      headers: { ...headers, "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify({
        success: false,
        hasError: true,
        statusCode: "Forbidden",
        error: { message: DEMO_REFUSAL_MESSAGE, code: "demo_passwords_published" },
      }),
    };
  return {
    status: 403,
    headers: { ...headers, "content-type": "text/html; charset=utf-8", "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'" },
    body:
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
      "<title>Latchkey: only this machine</title></head>" +
      '<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5">' +
      '<h1 style="font-size:1.25rem">This Latchkey server only answers its own machine</h1>' +
      `<p>${DEMO_REFUSAL_MESSAGE}</p>` +
      "<p>The demo accounts and their password are listed in the README.</p></body></html>",
  };
}

/** Hands demoRefusal to scripts/server.mjs (plain JavaScript, outside Next's bundles). */
export function installDemoGate(): void {
  g.__latchkeyDemoGate = demoRefusal;
}
