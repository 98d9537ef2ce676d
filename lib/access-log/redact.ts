// Access-log bodies are stored only when a key's logging is on, capped and with every secret removed.

export const BODY_CAP_BYTES = 8 * 1024;
export const REDACTED = "[REDACTED]";

// Generated secrets anywhere in a text, and fields that carry keys or secrets by name.
const SECRET_RE = /lk_[0-9A-Za-z]{38}/g;
const SECRET_FIELDS = new Set(["api_key", "key", "token", "secret", "importedsecret", "password", "authorization", "x-apikey"]);

function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      // A secret-named field is blanked when it holds text; an object under such a name (e.g. the
      // "key" of a create response: id, name, prefix) is kept and redacted inside.
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, SECRET_FIELDS.has(k.toLowerCase()) && typeof v !== "object" ? REDACTED : redactValue(v)]),
    );
  }
  return typeof value === "string" ? value.replace(SECRET_RE, REDACTED) : value;
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
    for (const k of [...params.keys()]) if (SECRET_FIELDS.has(k.toLowerCase())) params.set(k, REDACTED);
    out = params.toString().replace(SECRET_RE, REDACTED);
  } else {
    try {
      out = JSON.stringify(redactValue(JSON.parse(text)));
    } catch {
      out = text.replace(SECRET_RE, REDACTED);
    }
  }
  return cap(out);
}

/** Path and query with any key value removed. */
export function redactPath(url: URL): string {
  if (!url.search) return cap(url.pathname.replace(SECRET_RE, REDACTED), 2048);
  const params = new URLSearchParams(url.search);
  for (const k of [...params.keys()]) if (SECRET_FIELDS.has(k.toLowerCase())) params.set(k, REDACTED);
  const qs = params.toString().replace(SECRET_RE, REDACTED).replaceAll(encodeURIComponent(REDACTED), REDACTED);
  return cap((url.pathname + (qs ? `?${qs}` : "")).replace(SECRET_RE, REDACTED), 2048);
}

const KEPT_HEADERS = ["content-type", "content-length", "user-agent", "x-integration-name", "authorization", "x-apikey", "accept"];

/** The request headers worth keeping, with credentials replaced. */
export function redactHeaders(headers: Headers): string {
  const out: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const v = headers.get(name);
    if (v === null) continue;
    out[name] = name === "authorization" ? (/\s/.test(v) ? v.replace(/^(\S+)\s+.*$/, `$1 ${REDACTED}`) : REDACTED) : name === "x-apikey" ? REDACTED : v.replace(SECRET_RE, REDACTED);
  }
  return cap(JSON.stringify(out), 2048);
}
