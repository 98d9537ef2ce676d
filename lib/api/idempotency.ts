import "server-only";
import { createHash } from "node:crypto";
import { and, eq, lt } from "drizzle-orm";
import { subHours } from "date-fns";
import type { Db, Tx } from "@/db";
import { idempotencyKeys } from "@/db/schema";
import { ApiError, replayResponse, type ApiAnswer } from "./envelope";
import { ERROR_MESSAGES } from "./errors";
import { bodyInput, type ParsedBody } from "./body";
import { IDEMPOTENCY_HOURS } from "./limits";
import type { ApiRequest } from "./request";

// Stripe's Idempotency-Key contract on every mutating endpoint: the first answer to a key is
// kept for 24 hours, per calling credential, and a retry of the same request gets it again
// instead of making the change twice; the same key with a different request is a 422. The record
// is written in the change's own transaction, so after a lost connection ("outcome_unknown") a
// retry with the same key either finds the change and its answer, or finds neither and makes it.
//
// One deliberate difference from Stripe: a replayed create answers with the key but
// `"secret": null`. The secret is shown once; it is never stored, so it cannot be sent again.

export const IDEMPOTENCY_HEADER = "idempotency-key";
/** Printable ASCII, as Stripe accepts (a UUID is the usual choice). */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** The request's Idempotency-Key, or null; a malformed one is refused before anything runs. */
export function idempotencyKeyOf(req: ApiRequest): string | null {
  const raw = req.headers.get(IDEMPOTENCY_HEADER);
  if (raw === null) return null;
  if (!KEY_PATTERN.test(raw)) throw new ApiError(400, "invalid_idempotency_key", ERROR_MESSAGES.invalidIdempotencyKey);
  return raw;
}

/**
 * What makes two requests "the same": method, path and query, and the body's input, all without
 * the credential (the record is the credential's already, wherever the key travelled).
 */
function fingerprintOf(req: ApiRequest, url: URL, body: ParsedBody): string {
  const query = new URLSearchParams(url.search);
  query.delete("key");
  return createHash("sha256")
    .update(`${req.method} ${url.pathname}?${query}\n${JSON.stringify(bodyInput(body))}`)
    .digest("hex");
}

/** The answer as stored: a top-level `secret` (a create's) is never kept. */
function storable(text: string): string {
  const envelope = JSON.parse(text) as { data?: Record<string, unknown> };
  if (envelope.data && typeof envelope.data === "object" && "secret" in envelope.data) envelope.data.secret = null;
  return JSON.stringify(envelope);
}

/**
 * Runs `change` at most once per (credential, key) within the window. `change` gets the
 * transaction the record is written in and answers with the answer to send.
 */
/**
 * Deletes every record past the 24 hours, of every credential (each request also deletes its own
 * credential's expired ones; this catches credentials that went quiet). Returns how many.
 */
export async function purgeIdempotencyKeys(db: Db, now = new Date()): Promise<number> {
  const gone = await db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, subHours(now, IDEMPOTENCY_HOURS)))
    .returning({ key: idempotencyKeys.key });
  return gone.length;
}

export async function withIdempotency(
  db: Db,
  r: { apiKeyId: string; key: string; req: ApiRequest; url: URL; body: ParsedBody },
  change: (tx: Tx) => Promise<ApiAnswer>,
): Promise<ApiAnswer> {
  const fingerprint = fingerprintOf(r.req, r.url, r.body);
  const id = and(eq(idempotencyKeys.apiKeyId, r.apiKeyId), eq(idempotencyKeys.key, r.key));
  return db.transaction(async (tx) => {
    // Expired records of this credential go first, so an old key can be used again.
    await tx
      .delete(idempotencyKeys)
      .where(and(eq(idempotencyKeys.apiKeyId, r.apiKeyId), lt(idempotencyKeys.createdAt, subHours(new Date(), IDEMPOTENCY_HOURS))));
    // Claim the key. A concurrent request with the same key waits here until this one commits
    // (then replays its answer) or rolls back (then makes the change itself).
    const claimed = await tx
      .insert(idempotencyKeys)
      .values({ apiKeyId: r.apiKeyId, key: r.key, fingerprint, status: 0, body: "" })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (claimed.length === 0) {
      const [prior] = await tx.select().from(idempotencyKeys).where(id);
      if (!prior) throw new Error("idempotency record vanished under its lock");
      if (prior.fingerprint !== fingerprint) throw new ApiError(422, "idempotency_key_reused", ERROR_MESSAGES.idempotencyKeyReused);
      return replayResponse(prior.body, prior.status, prior.location);
    }
    // Only a success is kept: a refusal is thrown, which rolls the claim back with the change
    // (nothing was changed, and the corrected request may use the key again).
    const answer = await change(tx);
    await tx
      .update(idempotencyKeys)
      .set({ status: answer.status, body: storable(answer.text ?? ""), location: answer.headers.location ?? null })
      .where(id);
    return answer;
  });
}
