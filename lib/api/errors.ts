import { MAX_BODY_BYTES } from "./limits";

// Every `error.code` the REST API answers with: its HTTP status and what it means. The envelope,
// the verifier, the OpenAPI document and the reference page all read this one table, so a code
// cannot be answered without being documented, nor documented with another status.

export interface ApiErrorInfo {
  status: number;
  meaning: string;
}

export const API_ERRORS = {
  missing_key: { status: 401, meaning: "No API key was sent." },
  malformed_key: {
    status: 401,
    meaning: "The key is empty or not in Latchkey's format (its checksum is wrong: check it was copied whole). 400 when API_Key is not a string.",
  },
  unknown_key: { status: 401, meaning: "No such key." },
  key_revoked: { status: 401, meaning: "The key was revoked." },
  key_expired: { status: 401, meaning: "The key's expiry date has passed." },
  key_not_yet_valid: { status: 401, meaning: "The key's not-before time has not come yet; the message says when it starts to work." },
  key_rotated: {
    status: 401,
    meaning:
      "The secret sent is one the key was rotated away from, and it has been retired (its overlap ended, it went quiet, or its deadline passed). Use the key's new secret.",
  },
  key_disabled: { status: 401, meaning: "The key is switched off; an Admin can enable it again." },
  bearer_not_allowed: { status: 401, meaning: "The key was sent as Authorization: Bearer but its Bearer token flag is off. Use X-ApiKey." },
  api_keys_disabled: { status: 403, meaning: "API key authentication is turned off for the workspace." },
  personal_tokens_disabled: { status: 403, meaning: "A personal token was used where the workspace does not allow personal tokens." },
  owner_removed: { status: 403, meaning: "The user the key acts as is no longer a member of the workspace." },
  ip_not_allowed: {
    status: 403,
    meaning:
      "The key's IP rules refuse the address the request came from (named in the message): it is on the deny list, or the key has an allow list it is not on. Not counted as a failed authentication.",
  },
  owner_disabled: { status: 403, meaning: "The user the key acts as has been disabled by a Global Admin; re-enabling them restores the key." },
  scope_missing: { status: 403, meaning: "The key lacks the scope the endpoint requires." },
  forbidden: { status: 403, meaning: "The key's owner, as their role is now, may not do this (insufficient permission)." },
  conflicting_credentials: { status: 400, meaning: "The request carries two different keys. Send exactly one." },
  validation_failed: { status: 400, meaning: "The input is invalid; error.validationErrors lists the messages per field. Nothing was changed." },
  invalid_json: { status: 400, meaning: "The body is not valid JSON." },
  invalid_request: {
    status: 400,
    meaning: 'POST /api/revoke was sent without a token (as RFC 7009 names it): send token=<the key> as a form, or {"token": "<the key>"} as JSON.',
  },
  bad_request: { status: 400, meaning: "The request's URL, headers or body could not be read as HTTP (for example, the body ended early)." },
  not_found: { status: 404, meaning: "No such key or token in this workspace (or it was revoked)." },
  no_such_endpoint: { status: 404, meaning: "There is no endpoint at this path." },
  invalid_idempotency_key: {
    status: 400,
    meaning: "The Idempotency-Key header must be 1 to 255 printable ASCII characters (a UUID is a good choice).",
  },
  method_not_allowed: { status: 405, meaning: "The endpoint does not support this method; the Allow header lists those it does." },
  conflict: { status: 409, meaning: "The change conflicts with the current state of the data. Nothing was changed." },
  idempotency_key_reused: {
    status: 422,
    meaning:
      "This Idempotency-Key was already used, within 24 hours, with a different request (method, path or body). Nothing was changed; use a new key.",
  },
  payload_too_large: { status: 413, meaning: `The body is larger than ${MAX_BODY_BYTES / 1024} KiB.` },
  unsupported_media_type: { status: 415, meaning: "Send the body as application/json or application/x-www-form-urlencoded." },
  rate_limited: {
    status: 429,
    meaning:
      "Too many failed authentications from this address, or the key's own rate limit is spent for this window (the RateLimit header says which); wait Retry-After seconds.",
  },
  quota_exhausted: {
    status: 429,
    meaning:
      "The key has used its quota: for a daily or monthly quota, Retry-After says when the period starts again; a total quota stays spent until an admin tops it up.",
  },
  internal_error: {
    status: 500,
    meaning: "Something failed on the server that nobody foresaw; check whether a change took effect before retrying it.",
  },
  database_unavailable: {
    status: 503,
    meaning: "The database could not be reached before anything was saved: nothing was changed; retry after Retry-After seconds.",
  },
  outcome_unknown: {
    status: 503,
    meaning: "The connection to the database was lost while a change was being committed: it may or may not have been saved. Check before retrying.",
  },
  shutting_down: {
    status: 503,
    meaning: "GET /api/health only: this instance is stopping and finishing what it has; send new requests to another.",
  },
  database_unreachable: {
    status: 503,
    meaning: "GET /api/health only: the database does not answer (degraded); Retry-After says when to ask again.",
  },
} as const satisfies Record<string, ApiErrorInfo>;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** The table as a list, in the order of the reference page. */
export const API_ERROR_CODES: readonly ({ code: ApiErrorCode } & ApiErrorInfo)[] = Object.entries(API_ERRORS).map(([code, info]) => ({
  code: code as ApiErrorCode,
  ...info,
}));

/** The reason phrases of the statuses the API answers with, as the envelope's statusCode. */
export const STATUS_NAMES: Record<number, string> = {
  200: "OK",
  201: "Created",
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "Conflict",
  422: "UnprocessableEntity",
  413: "PayloadTooLarge",
  415: "UnsupportedMediaType",
  429: "TooManyRequests",
  500: "InternalServerError",
  503: "ServiceUnavailable",
};

// The fixed messages, used by the code that answers them and by the documented examples alike.
export const ERROR_MESSAGES = {
  payloadTooLarge: `The request body is larger than ${MAX_BODY_BYTES / 1024} KiB.`,
  invalidJson: "The request body is not valid JSON.",
  bodyCutOff: "The request body could not be read: the connection closed before it ended.",
  noSuchEndpoint: "There is no such endpoint. See /api/openapi.json.",
  databaseUnreachable: "Degraded: the database is not reachable. Try again in a few seconds.",
  shuttingDown: "This instance is shutting down. Send new requests to another.",
  unsupportedMediaType: (type: string) => `Send the body as application/json or application/x-www-form-urlencoded, not ${type}.`,
  methodNotAllowed: (allowed: readonly string[]) => `Use ${allowed.join(" or ")} on this endpoint.`,
  conflictingCredentials: (channels: readonly string[]) => `The request carries more than one API key (${channels.join(", ")}). Send exactly one.`,
  scopeMissing: (scope: string) => `This API key lacks the ${scope} scope.`,
  scopesHeld: (scopes: readonly string[]) => `The key's scopes are: ${scopes.join(", ") || "none"}.`,
  outcomeUnknownRetry:
    "Retry with the same Idempotency-Key header: if the change was saved you get its first answer back, if it was not it is made now. Without one, check whether it took effect before retrying.",
  invalidIdempotencyKey: "The Idempotency-Key header must be 1 to 255 printable ASCII characters.",
  idempotencyKeyReused: "This Idempotency-Key was already used with a different request. Nothing was changed; send a new key for a new request.",
  rateLimited: (seconds: number) => `Too many failed authentication attempts from this address. Try again in ${seconds} seconds.`,
} as const;
