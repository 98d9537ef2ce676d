import "server-only";

// Access-log bodies are stored only when a key's logging is on, capped and with every secret removed.

export const BODY_CAP_BYTES = 8 * 1024;
export const REDACTED = "[REDACTED]";

// Secret-shaped text under any name: a Latchkey key (also cut short or altered), a JWT, or a long
// run of letters and digits (random tokens; a UUID's dashes keep key ids out of it).
const SECRET_RE = /lk_[0-9A-Za-z]{12,}|\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*)?|(?<![A-Za-z0-9_])[A-Za-z0-9_]{32,}(?![A-Za-z0-9_])/g;

function redactSecrets(text: string): string {
  // A long run of one kind of character (a row of x's, a long word) is not a token.
  return text.replace(SECRET_RE, (match) =>
    match.startsWith("lk_") || match.startsWith("eyJ") || (/\d/.test(match) && /[A-Za-z]/.test(match)) ? REDACTED : match,
  );
}

// Field, header and query names that carry credentials: by pattern, so that a client's own
// spelling (X-Api-Key, access_token, client_secret, passwd) is caught too; and `key`, the
// form and query field the API reads a key from.
const SECRET_NAME_RE = /api.?key|token|secret|passw|auth|session|cookie/i;
const isSecretName = (name: string) => name.toLowerCase() === "key" || SECRET_NAME_RE.test(name);

function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      // A secret-named field is blanked when it holds text or a number; an object under such a
      // name (e.g. the "key" of a create response: id, name, prefix) is kept and redacted inside,
      // and a boolean (apiKeysEnabled) cannot carry a secret.
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        isSecretName(k) && (typeof v === "string" || typeof v === "number") ? REDACTED : redactValue(v),
      ]),
    );
  }
  return typeof value === "string" ? redactSecrets(value) : value;
}

/** Truncates to the cap on a character boundary and says so. */
export function cap(text: string, bytes = BODY_CAP_BYTES): string {
  if (Buffer.byteLength(text) <= bytes) return text;
  let cut = text.slice(0, bytes);
  while (Buffer.byteLength(cut) > bytes - 20) cut = cut.slice(0, -64);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1); // never end on half a surrogate pair
  return `${cut}…[truncated]`;
}

/** A request or response body, redacted: JSON by field name and pattern, forms by field name, anything else by pattern. */
export function redactBody(text: string, contentType: string | null): string {
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
  let out: string;
  if (type === "application/x-www-form-urlencoded") {
    const params = new URLSearchParams(text);
    for (const k of [...params.keys()]) if (isSecretName(k)) params.set(k, REDACTED);
    out = redactSecrets(params.toString());
  } else {
    try {
      out = JSON.stringify(redactValue(JSON.parse(text)));
    } catch {
      out = redactSecrets(text);
    }
  }
  return cap(out);
}

/** Path and query with any key value removed. */
export function redactPath(url: URL): string {
  if (!url.search) return cap(redactSecrets(url.pathname), 2048);
  const params = new URLSearchParams(url.search);
  for (const k of [...params.keys()]) if (isSecretName(k)) params.set(k, REDACTED);
  const qs = redactSecrets(params.toString()).replaceAll(encodeURIComponent(REDACTED), REDACTED);
  return cap(redactSecrets(url.pathname + (qs ? `?${qs}` : "")), 2048);
}

const KEPT_HEADERS = new Set(["content-type", "content-length", "user-agent", "x-integration-name", "accept"]);

// Schemes registered with IANA and the common unregistered ones. Anything else in front of the
// credential may be the credential itself (a key pasted without "Bearer ").
const AUTH_SCHEMES = new Set([
  "basic",
  "bearer",
  "digest",
  "dpop",
  "gnap",
  "hoba",
  "mutual",
  "negotiate",
  "ntlm",
  "oauth",
  "privatetoken",
  "scram-sha-1",
  "scram-sha-256",
  "vapid",
  "aws4-hmac-sha256",
  "token",
  "apikey",
  "api-key",
  "key",
]);

/** The scheme, if it is a known one, and never anything after it. */
function redactAuthorization(value: string): string {
  const [scheme, ...rest] = value.trim().split(/\s+/);
  if (!AUTH_SCHEMES.has(scheme.toLowerCase())) return REDACTED;
  return rest.length > 0 ? `${scheme} ${REDACTED}` : scheme;
}

/**
 * The request headers worth keeping, with credentials replaced: a header named like one is
 * kept as [REDACTED], so the log shows which credential a client sent (and under what name).
 */
export function redactHeaders(headers: Headers): string {
  const out: Record<string, string> = {};
  headers.forEach((v, name) => {
    if (name === "authorization") out[name] = redactSecrets(redactAuthorization(v));
    else if (isSecretName(name)) out[name] = REDACTED;
    else if (KEPT_HEADERS.has(name)) out[name] = redactSecrets(v);
  });
  return cap(JSON.stringify(out), 2048);
}
