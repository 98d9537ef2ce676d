import { z } from "zod";
import { getDb } from "@/db";
import { revokeKeyBySecret } from "@/lib/api-keys/self-revoke";
import { env } from "@/lib/env";
import { databaseUnavailable } from "@/lib/errors";
import { clientAddressFrom, rateLimitBucket } from "@/lib/net/client-address";
import { readBody, type ParsedBody } from "../body";
import { ApiError } from "../envelope";
import { rateLimited, withDeadline } from "../handler";
import { countAuthFailure, retryAfterSeconds } from "../rate-limit";
import { defineOperation } from "./define";

// POST /api/revoke: token revocation in RFC 7009's shape. No key is needed: the token is the
// proof. Every token, live, unknown, malformed or already revoked, gets the same 200 answer
// (RFC 7009 §2.2), so the endpoint tells nobody which secrets exist; only a request with no token
// at all is refused (invalid_request). Whatever does not revoke a key counts against the
// address's failed-authentication budget, so it cannot be used to hammer the database.

const RECEIPT = { message: "If the token was a live Latchkey key, it has been revoked." } as const;

export const revocationReceiptSchema = z.strictObject({
  message: z.literal(RECEIPT.message).meta({ description: "The same for every token: whether it was a key is not told." }),
});

const MISSING_TOKEN = 'token is required: send token=<the key> as an application/x-www-form-urlencoded form, or {"token": "<the key>"} as JSON.';

/** The token parameter of a form or JSON body (token_type_hint, if any, is ignored: there is one kind of token). */
function tokenOf(body: ParsedBody): string {
  const raw =
    body.kind === "form"
      ? body.value.get("token")
      : body.kind === "json" && body.value && typeof body.value === "object"
        ? (body.value as { token?: unknown }).token
        : undefined;
  if (raw === undefined || raw === null || (typeof raw === "string" && raw.trim() === "")) throw new ApiError(400, "invalid_request", MISSING_TOKEN);
  if (typeof raw !== "string") throw new ApiError(400, "invalid_request", "token must be text: the key, as it was issued.");
  return raw.trim();
}

export const revokeTokenOperation = defineOperation({
  id: "revokeToken",
  method: "POST",
  path: "/api/revoke",
  tag: "Revocation",
  summary: "Revoke a key by presenting it",
  description:
    "For whoever finds a Latchkey key where it should not be (a public repository, a log, a paste): revoke it by sending it, with no other authentication, " +
    'as an application/x-www-form-urlencoded form token=<the key> (RFC 7009; token_type_hint is accepted and ignored) or as JSON {"token": "<the key>"}. ' +
    "A live key (active, disabled or expired) is revoked at once, with the reason compromised; its audit log records that the key revoked itself, and from which address. " +
    "The answer is the same 200 whether the token was a live key, unknown, malformed or already revoked, so it reveals nothing; only a request without a token is refused (400 invalid_request). " +
    "Tokens that revoke nothing count against the address's failed-authentication budget (429 once it is spent). Send the token in the body, never in the URL.",
  scope: null,
  permission: null,
  output: { component: "RevocationReceipt", schema: revocationReceiptSchema, example: RECEIPT },
  status: 200,
  errorStatuses: [400, 413, 415, 429, 503],
  async handler(req) {
    const ip = clientAddressFrom(req.headers, req.socketAddress);
    const bucket = rateLimitBucket(ip);
    const wait = retryAfterSeconds(bucket);
    if (wait > 0) throw rateLimited(wait);
    let body: ParsedBody;
    try {
      body = await readBody(req);
    } catch (err) {
      // Unreadable JSON carries no token either.
      if (err instanceof ApiError && err.code === "invalid_json") throw new ApiError(400, "invalid_request", MISSING_TOKEN);
      throw err;
    }
    const token = tokenOf(body);
    const userAgent = req.headers.get("user-agent")?.slice(0, 512) ?? null;
    const late = Symbol("late");
    const work = (async () => {
      const db = await getDb();
      const outcome = await revokeKeyBySecret(db, token, { ip, userAgent });
      // Counted after the answer is decided, and never told: the answer stays the same.
      if (outcome !== "revoked") await countAuthFailure(db, bucket);
    })();
    // Past the deadline it carries on unseen; its failure then has nobody to tell.
    work.catch(() => {});
    // Within the query timeout whatever the database does; a retry is safe (revoking twice is revoking once).
    const done = await withDeadline<unknown>(work, env().DATABASE_QUERY_TIMEOUT_SECONDS * 1000, () => late);
    if (done === late) throw databaseUnavailable();
    return RECEIPT;
  },
});
