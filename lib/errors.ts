import type { ApiErrorCode } from "@/lib/api/errors";

// One error type for the whole app. Server actions turn it into { ok: false, … };
// REST handlers map `code` to an HTTP status and the envelope.

export type ErrorCode =
  | "bad_request"
  | "validation"
  | "unauthenticated"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "payload_too_large"
  | "rate_limited"
  | "internal"
  | "unavailable"
  | "outcome_unknown";

export type FieldErrors = Record<string, string[]>;

export class AppError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly fieldErrors?: FieldErrors,
    /** The REST API's code for it, when more specific than the kind's default (lib/api/errors.ts). */
    public readonly reason?: ApiErrorCode,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const notFound = (what = "Not found.") => new AppError("not_found", what);
export const forbidden = (why: string) => new AppError("forbidden", why);
export const invalid = (fieldErrors: FieldErrors, message = "Please correct the highlighted fields.") =>
  new AppError("validation", message, fieldErrors);

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  // postgres.js and PGlite both surface the SQLSTATE as `code`; drizzle may wrap it in `cause`.
  for (
    let e = err as { code?: string; constraint_name?: string; constraint?: string; message?: string; cause?: unknown } | undefined;
    e;
    e = e.cause as typeof e
  ) {
    if (e.code === "23505") {
      if (!constraint) return true;
      const name = e.constraint_name ?? e.constraint ?? "";
      return name === constraint || (e.message ?? "").includes(constraint);
    }
  }
  return false;
}

/**
 * The database connection failed (refused, reset, timed out, closed, or the server shut down):
 * postgres.js and Node report it by `code`, PostgreSQL by SQLSTATE class 08 or 57P0x, drizzle
 * may wrap it in `cause`.
 */
export function isConnectionFailure(err: unknown): boolean {
  const codes = new Set([
    "ECONNREFUSED",
    "ECONNRESET",
    "EPIPE",
    "ETIMEDOUT",
    "EHOSTUNREACH",
    "ENETUNREACH",
    "CONNECT_TIMEOUT",
    "CONNECTION_CLOSED",
    "CONNECTION_ENDED",
    "CONNECTION_DESTROYED",
  ]);
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    const code = typeof e.code === "string" ? e.code : "";
    if (codes.has(code) || /^08/.test(code) || /^57P0[123]$/.test(code)) return true;
  }
  return false;
}

export const DATABASE_UNAVAILABLE = "Latchkey cannot reach its database right now. Nothing was changed; try again in a few seconds.";
export const OUTCOME_UNKNOWN =
  "The connection to the database was lost while this change was being saved, so Latchkey cannot tell whether it was. Check whether it took effect before trying again.";

export const databaseUnavailable = () => new AppError("unavailable", DATABASE_UNAVAILABLE, undefined, "database_unavailable");
export const outcomeUnknown = () => new AppError("outcome_unknown", OUTCOME_UNKNOWN, undefined, "outcome_unknown");

/** For failures nobody foresaw: they may have happened after a change was saved, so no promise. */
export const INTERNAL_ERROR_MESSAGE =
  "Something went wrong on our side. If you were changing something, check whether it took effect before trying again.";
