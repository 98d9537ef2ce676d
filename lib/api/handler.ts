import { getDb, type Db } from "@/db";
import { env } from "@/lib/env";
import { databaseUnavailable, outcomeUnknown } from "@/lib/errors";
import type { WorkspaceContext } from "@/lib/auth/context";
import { MISSING_KEY, previousSecretStopsAt, verifyApiKey, type VerifiedKey } from "@/lib/api-keys/verify";
import { recordKeyUse } from "@/lib/api-keys/usage";
import { recordPreviousSecretUse } from "@/lib/api-keys/previous-use";
import { consumeLimits, hasLimits } from "@/lib/api-keys/limits";
import { now as clockNow } from "@/lib/clock";
import { bodyInput, readBody, type ParsedBody } from "./body";
import { extractCredential } from "./credentials";
import { ApiAnswer, ApiError, bearerChallenge, errorCodeOf, errorResponse, okText } from "./envelope";
import { idempotencyKeyOf, withIdempotency } from "./idempotency";
import { ERROR_MESSAGES } from "./errors";
import { INTEGRATION_NAME_MAX } from "./limits";
import { isMutation, type KeyOperation, type OperationOutput } from "./operations/define";
import { countAccess, enqueueAccessLog } from "@/lib/access-log/writer";
import { redactBody, redactHeaders, redactPath } from "@/lib/access-log/redact";
import { countAuthFailure, rateLimitHeaders, retryAfterSeconds, type AuthFailureCount } from "./rate-limit";
import { clientAddressFrom, rateLimitBucket } from "@/lib/net/client-address";
import type { ApiRequest } from "./request";

export interface ApiContext {
  db: Db;
  /** The key's owner acting in the key's workspace, with the owner's role as it is now. */
  ctx: WorkspaceContext;
  auth: VerifiedKey;
  /** The request body as input for the zod schemas (credential fields removed). */
  input: unknown;
  body: ParsedBody;
  url: URL;
  req: ApiRequest;
  /**
   * Counts a guess made *through* an authenticated call (a /verify of a key that does not
   * exist) against the caller's failed-authentication budget; throws 429 once it is spent.
   */
  countGuess(): Promise<void>;
  /**
   * The operation's answer for data that is a function of `anchor` (a verification-cache entry's
   * `key` object) and `variant` (one of a few fixed strings) alone: made and checked once, then
   * sent again while the entry lives. A change that evicts the entry makes a new `key` object,
   * so the answer is never older than the entry it was made from. Only for reads.
   */
  answerFor(anchor: object, variant: string, data: () => unknown): ApiAnswer;
}

/**
 * The one wrapper for the endpoints that need a key: rate limit → body (64 KiB) → credential →
 * verification → scope → the handler (whose core functions check the owner's permissions) →
 * its data through the output schema. Every outcome, success or failure, is an envelope.
 */
export async function serveKeyOperation(op: KeyOperation, req: ApiRequest, params: Record<string, string>): Promise<ApiAnswer> {
  {
    const started = performance.now();
    // The key the request named, once known (also for refusals), for its access log.
    let seen: VerifiedKey | undefined;
    let reason: string | null = null;
    let body: ParsedBody = { kind: "none" };
    let db: Db | undefined;
    // Once the key is verified: the headers that say when the credential stops working.
    let lifetime: Record<string, string> | null = null;
    // Once the key is verified, for a key with a rate limit or quota: where its budget stands.
    let budget: Record<string, string> | null = null;
    const url = req.url;
    const ip = clientAddressFrom(req.headers, req.socketAddress);
    // IPv6 per /64: one host usually holds a whole /64 of addresses.
    const client = rateLimitBucket(ip);
    // Before the database: the address's budget, and the body (a slow client's upload is not the database's delay).
    const admit = async (): Promise<ApiAnswer | null> => {
      try {
        const wait = retryAfterSeconds(client);
        if (wait > 0) throw rateLimited(wait);
        body = await readBody(req);
        return null;
      } catch (err) {
        reason = errorCodeOf(err);
        return errorResponse(err);
      }
    };
    const attempt = async (): Promise<ApiAnswer> => {
      try {
        db = await getDb();
        let credential: ReturnType<typeof extractCredential>;
        try {
          credential = extractCredential(req, url, body);
        } catch (err) {
          // An empty, non-string or doubled credential is a failed authentication too.
          const count = await countAuthFailure(db, client);
          throw count.retryAfter > 0 ? rateLimited(count.retryAfter) : refused(err, count);
        }
        const at = clockNow();
        const result = credential ? await verifyApiKey(db, credential.secret, { via: credential.channel, ip, now: at }) : MISSING_KEY;
        if (!result.ok) {
          seen = result.found;
          // A real key used from an address its rules refuse: not a guess, so not counted against the address.
          if (result.code === "ip_not_allowed")
            throw new ApiError(result.status, result.code, result.message, result.hint ? { technicalError: result.hint } : {});
          const count = await countAuthFailure(db, client);
          if (count.retryAfter > 0) throw rateLimited(count.retryAfter);
          throw refused(new ApiError(result.status, result.code, result.message, result.hint ? { technicalError: result.hint } : {}), count);
        }
        const auth = (seen = result.value);
        lifetime = lifetimeHeaders(auth, at);
        // "Retire when quiet" is decided by these uses: every request counts, refused by scope or not.
        if (auth.previous) recordPreviousSecretUse(db, auth.previous.id, at.getTime());
        // Every request the key authenticates spends its budget, whatever the answer (its IP rules refused none of them).
        const limited = hasLimits(auth.key);
        if (limited) {
          const spent = await consumeLimits(db, auth, at.getTime());
          budget = spent.headers;
          if (spent.refused)
            throw new ApiError(
              429,
              spent.refused.code,
              spent.refused.message,
              { technicalError: spent.refused.hint },
              spent.refused.retryAfter === null ? {} : { "retry-after": String(spent.refused.retryAfter) },
            );
        }
        if (!auth.key.scopes.includes(op.scope))
          throw new ApiError(403, "scope_missing", ERROR_MESSAGES.scopeMissing(op.scope), {
            technicalError: ERROR_MESSAGES.scopesHeld(auth.key.scopes),
          });

        const integration = req.headers.get("x-integration-name")?.slice(0, INTEGRATION_NAME_MAX) ?? null;
        recordKeyUse(db, auth.key.id, { ip, integration });

        const ctx: WorkspaceContext = {
          userId: auth.owner?.id ?? null,
          apiKeyId: auth.key.id,
          scopes: auth.key.scopes,
          humanId: auth.key.createdById,
          isGlobalAdmin: auth.owner?.isGlobalAdmin ?? false,
          role: auth.role,
          canManageApiKeys: auth.canManageApiKeys,
          ceiling: auth.key.permissionCeiling,
          workspace: auth.workspace,
          ip,
          keyIpRules: { allow: auth.key.ipAllow, deny: auth.key.ipDeny },
          viaPreviousSecret: auth.previous !== null,
          keyLimited: limited,
          userAgent:
            [req.headers.get("user-agent"), integration ? `integration=${integration}` : null].filter(Boolean).join(" ").slice(0, 512) || null,
        };
        const database = db;
        const countGuess = async () => {
          const count = await countAuthFailure(database, client);
          if (count.retryAfter > 0) throw rateLimited(count.retryAfter);
        };
        const answerFor = (anchor: object, variant: string, data: () => unknown) => keptAnswer(op, anchor, variant, data);
        const api: ApiContext = { db, ctx, auth, input: bodyInput(body), body, url, req, countGuess, answerFor };
        const idempotencyKey = isMutation(op) ? idempotencyKeyOf(req) : null;
        if (op.answerPerKey && idempotencyKey === null) return await answerPerKey(op, auth, () => op.handler(api, params));
        if (idempotencyKey === null) return answerOf(op, await op.handler(api, params), !isMutation(op));
        return await withIdempotency(db, { apiKeyId: auth.key.id, key: idempotencyKey, req, url, body }, async (tx) => {
          // The cores' own transactions become savepoints of this one, which also holds the record.
          return answerOf(op, await op.handler({ ...api, db: tx as unknown as Db }, params));
        });
      } catch (err) {
        reason = errorCodeOf(err);
        return errorResponse(err);
      }
    };
    // However the database misbehaves (a query queued behind lost connections, then a connection
    // that hangs while it opens), the answer comes within the query timeout: a read is then
    // unavailable, a change of unknown outcome (it may still commit; a retry with the same
    // Idempotency-Key finds out). What is still running finishes, unseen, in the background.
    let response =
      (await admit()) ??
      (await withDeadline(attempt(), env().DATABASE_QUERY_TIMEOUT_SECONDS * 1000, () => {
        const late = isMutation(op) ? outcomeUnknown() : databaseUnavailable();
        reason = errorCodeOf(late);
        return errorResponse(late);
      }));
    if (lifetime) response = withHeaders(response, lifetime);
    if (budget) response = withHeaders(response, budget);
    if (seen && db) logAccess(db, seen, { req, url, body, response, reason, started, ip });
    return response;
  }
}

/**
 * The handler's data in the success envelope, once the operation's output schema has accepted
 * it: the schemas are strict, so a field nobody documented (a hash, a column added later) is a
 * 500 here rather than a leak. The JSON text is checked, so what is checked is what is sent.
 */
export function outputResponse(
  op: { id: string; status: number; output?: OperationOutput; location?(data: unknown): string },
  data: unknown,
  /** For answers that may repeat (reads): remember texts the schema accepted (see `accepted`). */
  repeats = false,
): ApiAnswer {
  const text = JSON.stringify(data);
  if (!op.output) return okText(text, op.status);
  const known = repeats && text.length <= ACCEPTED_TEXT_MAX ? acceptedTexts(op.id) : null;
  const location = known?.get(text);
  if (location !== undefined) return okText(text, op.status, location ? { location } : undefined);
  const checked = op.output.schema.safeParse(JSON.parse(text));
  if (!checked.success) {
    // Where, never what: the value may be the very thing that must not leave.
    const where = checked.error.issues.map((i) => `${i.code} at ${i.path.join(".") || "(root)"}`).join("; ");
    console.error(`[api] ${op.id} answered data its output schema refuses: ${where}`);
    throw new Error(`${op.id}: output refused`);
  }
  const place = op.location?.(checked.data) ?? null;
  if (known) {
    if (known.size >= ACCEPTED_PER_OPERATION) known.delete(known.keys().next().value!);
    known.set(text, place);
  }
  return okText(text, op.status, place ? { location: place } : undefined);
}

/** A handler's data in its envelope; an answer api.answerFor made is sent as it is. */
function answerOf(op: KeyOperation, data: unknown, repeats = false): ApiAnswer {
  return data instanceof ApiAnswer ? data : outputResponse(op, data, repeats);
}

// The texts each read's output schema has accepted, with their Location (null for none). The check
// is a function of the text alone, and on the hot routes the same text comes back request after
// request (a /verify of the same key), so a text seen before skips the parse and the schema. Only
// reads: a mutation's answer may hold a secret (a create's), which must not outlive its response.
const ACCEPTED_PER_OPERATION = 1_000;
const ACCEPTED_TEXT_MAX = 4_096;
const accepted = new Map<string, Map<string, string | null>>();
function acceptedTexts(opId: string): Map<string, string | null> {
  let texts = accepted.get(opId);
  if (!texts) accepted.set(opId, (texts = new Map()));
  return texts;
}

// The answers of operations whose data is a function of the verified key alone (GET /api/data/me),
// kept beside the verification cache's entry they were made from: its `key` object is made once
// per lookup and shared by every request the entry serves, so a change that evicts the entry
// (lib/api-keys/cache.ts) also retires the answer, and a cache hit skips the handler, the JSON
// round trip and the output schema's check, the bulk of a cached request's own work.
const perKeyAnswers = new Map<string, WeakMap<object, ApiAnswer>>();

async function answerPerKey(op: KeyOperation, auth: VerifiedKey, handle: () => Promise<unknown>): Promise<ApiAnswer> {
  let answers = perKeyAnswers.get(op.id);
  if (!answers) perKeyAnswers.set(op.id, (answers = new WeakMap()));
  const kept = answers.get(auth.key);
  if (kept) return kept;
  const answer = answerOf(op, await handle());
  answers.set(auth.key, answer);
  return answer;
}

// answerFor's answers: per operation, per anchor (WeakMap: they go with the entry), per variant.
const keptAnswers = new Map<string, WeakMap<object, Map<string, ApiAnswer>>>();

function keptAnswer(op: KeyOperation, anchor: object, variant: string, data: () => unknown): ApiAnswer {
  // A mutation's answer may hold a secret, which must not outlive its response.
  if (isMutation(op)) return outputResponse(op, data());
  let perAnchor = keptAnswers.get(op.id);
  if (!perAnchor) keptAnswers.set(op.id, (perAnchor = new WeakMap()));
  let variants = perAnchor.get(anchor);
  if (!variants) perAnchor.set(anchor, (variants = new Map()));
  const kept = variants.get(variant);
  if (kept) return kept;
  const answer = outputResponse(op, data());
  variants.set(variant, answer);
  return answer;
}

/** Queues the request for the key's access log; bodies only when the key's logging is on. */
function logAccess(
  db: Db,
  seen: VerifiedKey,
  r: { req: ApiRequest; url: URL; body: ParsedBody; response: ApiAnswer; reason: string | null; started: number; ip: string | null },
): void {
  const { key } = seen;
  // Every request is counted; its row is kept for a refusal, and for every request of a key with logging on.
  const row = r.response.status >= 400 || key.logRequests || key.logResponses;
  if (!row) return countAccess(db, key.id, r.response.status, Date.now(), r.ip);
  enqueueAccessLog(
    db,
    {
      apiKeyId: key.id,
      workspaceId: seen.workspace.id,
      at: new Date(),
      method: r.req.method,
      path: redactPath(r.url),
      status: r.response.status,
      durationMs: Math.round(performance.now() - r.started),
      reason: r.reason,
      ip: r.ip,
      integration: r.req.headers.get("x-integration-name")?.slice(0, INTEGRATION_NAME_MAX) ?? null,
      requestHeaders: key.logRequests ? redactHeaders(r.req.allHeaders()) : null,
      requestBody: key.logRequests && r.body.kind !== "none" ? redactBody(r.body.text, r.req.headers.get("content-type")) : null,
      responseBody: key.logResponses && r.response.text !== null ? redactBody(r.response.text, "application/json") : null,
    },
    { row },
  );
}

const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * What every answer to a verified key says about its end: `Latchkey-Key-Expires` for a key that
 * expires (GitHub's token-expiration header), and for a secret a rotation replaced, still in its
 * overlap, `Latchkey-Key-Rotated: <new prefix>` (its characters, without the ellipsis) with the earlier of the key's expiry and the time
 * the old secret stops working (in quiet mode: its deadline, or a quiet window from now if it
 * is not used again, whichever comes first). Times are RFC 3339, to the second, rounded down.
 */
function lifetimeHeaders(auth: VerifiedKey, now: Date): Record<string, string> | null {
  const expires = auth.key.expiresAt;
  if (!auth.previous) return expires ? { "latchkey-key-expires": rfc3339(expires) } : null;
  const stops = previousSecretStopsAt(auth.previous, now);
  const end = expires && expires.getTime() < stops.getTime() ? expires : stops;
  // A header holds ASCII only: the display prefix without its ellipsis.
  return { "latchkey-key-rotated": auth.key.prefix.replace(/[^\x21-\x7e]/g, ""), "latchkey-key-expires": rfc3339(end) };
}

/** The answer with more headers: a new object, so a memoised answer (answerPerKey) stays as it was. */
function withHeaders(answer: ApiAnswer, headers: Record<string, string>): ApiAnswer {
  return new ApiAnswer(answer.status, { ...answer.headers, ...headers }, answer.text);
}

/** `work`, or `late()` if it has not settled within `ms`. */
export function withDeadline<T>(work: Promise<T>, ms: number, late: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(late()), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export function rateLimited(seconds: number): ApiError {
  return new ApiError(
    429,
    "rate_limited",
    ERROR_MESSAGES.rateLimited(seconds),
    {},
    { "retry-after": String(seconds), ...rateLimitHeaders(0, seconds) },
  );
}

/**
 * A refused credential, with what is left of the address's failure budget and, on a 401, the
 * RFC 6750 challenge: no error attribute when no key was sent at all.
 */
function refused(err: unknown, count: AuthFailureCount): unknown {
  if (!(err instanceof ApiError)) return err;
  const challenge: Record<string, string> =
    err.status === 401 ? { "www-authenticate": bearerChallenge(err.code === "missing_key" ? undefined : err.message) } : {};
  return new ApiError(err.status, err.code, err.message, err.extra, {
    ...err.headers,
    ...challenge,
    ...rateLimitHeaders(count.remaining, count.resetSeconds),
  });
}
