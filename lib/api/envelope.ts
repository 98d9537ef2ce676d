import { ERROR_MESSAGES, STATUS_NAMES, type ApiErrorCode } from "./errors";
import { AppError, databaseUnavailable, INTERNAL_ERROR_MESSAGE, isConnectionFailure, type ErrorCode, type FieldErrors } from "@/lib/errors";

// The one response envelope (as ProjectManager's API v4):
// { success, hasError, statusCode, data?, error?: { message, code, technicalError?, additionalErrors?, validationErrors? } }

export { STATUS_NAMES };

/** The status each AppError kind is answered with (the domain's errors know nothing of HTTP). */
export const ERROR_STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  outcome_unknown: 503,
};

export interface EnvelopeError {
  message: string;
  /** Machine-readable reason, e.g. "key_disabled", "validation_failed": one of API_ERRORS. */
  code: ApiErrorCode;
  technicalError?: string;
  additionalErrors?: string[];
  validationErrors?: FieldErrors;
}

export interface Envelope<T> {
  success: boolean;
  hasError: boolean;
  statusCode: string;
  data?: T;
  error?: EnvelopeError;
}

// Every envelope: never sniffed as HTML, never stored (a create answer holds a secret; a refusal
// must not be served from a cache to the next client).
const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
};

/**
 * An answer of the REST API: status, headers (lower-case names) and body text (null for none).
 * The listener writes it to the socket as it is; Next's route turns it into a fetch Response
 * (toResponse). A Response costs ≈ 10 µs to build (a Headers and a body stream) only for the
 * listener to take it apart again, on every request.
 */
export class ApiAnswer {
  constructor(
    readonly status: number,
    readonly headers: Readonly<Record<string, string>>,
    readonly text: string | null,
  ) {}
}

/** The answer as a fetch Response, for Next's route handler (and tests); no body for HEAD. */
export function toResponse(answer: ApiAnswer, method: string): Response {
  return new Response(method === "HEAD" ? null : answer.text, { status: answer.status, headers: answer.headers });
}

/**
 * The RFC 6750 challenge a 401 must carry. Without a description (no credential was sent) it
 * names the scheme only, as §3 asks; otherwise error="invalid_token" and the description as a
 * quoted-string: quotes, backslashes, control and non-ASCII characters removed, and anything
 * key-shaped too, so a message can never echo a secret into a header.
 */
export function bearerChallenge(description?: string): string {
  if (description === undefined) return 'Bearer realm="latchkey"';
  const safe = description
    .replace(/lk_[0-9A-Za-z]*/g, "[key]")
    .replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, "")
    .trim()
    .slice(0, 200);
  return `Bearer realm="latchkey", error="invalid_token", error_description="${safe}"`;
}

function respond(body: Envelope<unknown>, status: number, headers?: Record<string, string>): ApiAnswer {
  // Dates serialise as ISO strings.
  return respondText(JSON.stringify(body), status, headers);
}

function respondText(text: string, status: number, headers?: Record<string, string>): ApiAnswer {
  // Every 401 carries a challenge (RFC 9110 §15.5.2); the API's own say why (lib/api/handler.ts).
  const challenge = status === 401 && !headers?.["www-authenticate"] ? { "www-authenticate": bearerChallenge() } : undefined;
  return new ApiAnswer(status, headers || challenge ? { ...JSON_HEADERS, ...challenge, ...headers } : JSON_HEADERS, text);
}

export function ok<T>(data: T, status = 200, headers?: Record<string, string>): ApiAnswer {
  return respond({ success: true, hasError: false, statusCode: STATUS_NAMES[status] ?? "OK", data }, status, headers);
}

/** ok(), for data already serialised: `text` must be JSON.stringify of the data. */
export function okText(text: string, status = 200, headers?: Record<string, string>): ApiAnswer {
  // The same bytes JSON.stringify gives for the envelope object, without serialising twice.
  const body = `{"success":true,"hasError":false,"statusCode":${JSON.stringify(STATUS_NAMES[status] ?? "OK")},"data":${text}}`;
  return respondText(body, status, headers);
}

/** A stored answer sent again for a retried Idempotency-Key, marked as a replay. */
export function replayResponse(text: string, status: number, location: string | null): ApiAnswer {
  return respondText(text, status, { "idempotent-replayed": "true", ...(location ? { location } : {}) });
}

export function fail(status: number, error: EnvelopeError, headers?: Record<string, string>): ApiAnswer {
  return respond({ success: false, hasError: true, statusCode: STATUS_NAMES[status] ?? "Error", error }, status, headers);
}

/** An error the client should see, with its HTTP status and machine-readable code. */
export class ApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: ApiErrorCode,
    message: string,
    public readonly extra: Omit<EnvelopeError, "message" | "code"> = {},
    public readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

const DEFAULT_CODES: Record<ErrorCode, ApiErrorCode> = {
  bad_request: "bad_request",
  validation: "validation_failed",
  // Only the console's sessions raise it; to an API client it means no usable credential.
  unauthenticated: "missing_key",
  forbidden: "forbidden",
  not_found: "not_found",
  conflict: "conflict",
  payload_too_large: "payload_too_large",
  rate_limited: "rate_limited",
  internal: "internal_error",
  unavailable: "database_unavailable",
  outcome_unknown: "outcome_unknown",
};

/** The machine-readable code a thrown error is reported with. */
export function errorCodeOf(err: unknown): ApiErrorCode {
  if (err instanceof ApiError) return err.code;
  if (err instanceof AppError) return err.reason ?? DEFAULT_CODES[err.code];
  return "internal_error";
}

/** Anything thrown → an envelope. Unknown errors never leak their message, stack or SQL. */
export function errorResponse(err: unknown): ApiAnswer {
  // A read (or anything outside a transaction) that could not reach the database.
  if (!(err instanceof AppError) && !(err instanceof ApiError) && isConnectionFailure(err)) err = databaseUnavailable();
  if (err instanceof AppError && (err.code === "unavailable" || err.code === "outcome_unknown"))
    return fail(
      503,
      {
        message: err.message,
        code: errorCodeOf(err),
        ...(err.code === "outcome_unknown" ? { technicalError: ERROR_MESSAGES.outcomeUnknownRetry } : {}),
      },
      { "retry-after": "5" },
    );
  if (err instanceof ApiError) return fail(err.status, { message: err.message, code: err.code, ...err.extra }, err.headers);
  if (err instanceof AppError) {
    return fail(ERROR_STATUS[err.code], {
      message: err.message,
      code: errorCodeOf(err),
      ...(err.fieldErrors ? { validationErrors: err.fieldErrors } : {}),
    });
  }
  console.error(`[api] unexpected ${(err as Error)?.name ?? "error"} ${(err as { code?: string })?.code ?? ""}`.trim());
  return fail(500, { message: INTERNAL_ERROR_MESSAGE, code: "internal_error" });
}

/** For paths under /api/data that are not endpoints. */
export const noSuchEndpoint = (): ApiAnswer => fail(404, { message: ERROR_MESSAGES.noSuchEndpoint, code: "no_such_endpoint" });
