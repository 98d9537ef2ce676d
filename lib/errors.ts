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
  | "unavailable";

export type FieldErrors = Record<string, string[]>;

export class AppError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly fieldErrors?: FieldErrors,
    /** A machine-readable reason, e.g. "key_disabled", for REST clients. */
    public readonly reason?: string,
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
  for (let e = err as { code?: string; constraint_name?: string; constraint?: string; message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === "23505") {
      if (!constraint) return true;
      const name = e.constraint_name ?? e.constraint ?? "";
      return name === constraint || (e.message ?? "").includes(constraint);
    }
  }
  return false;
}
