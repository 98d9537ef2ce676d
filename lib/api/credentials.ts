import type { ParsedBody } from "./body";
import type { ApiRequest } from "./request";
import { ApiError } from "./envelope";
import { ERROR_MESSAGES } from "./errors";

export type CredentialChannel = "bearer" | "x-apikey" | "query" | "form" | "json";

export interface PresentedCredential {
  secret: string;
  channel: CredentialChannel;
}

/**
 * Finds the key, in this order of precedence: Authorization: Bearer, X-ApiKey, ?key=, form field `key`
 * (urlencoded bodies), JSON root property `API_Key`. Exactly one credential per request:
 * the same key in two places is fine, two different ones are a 400.
 */
export function extractCredential(req: ApiRequest, url: URL, body: ParsedBody): PresentedCredential | null {
  const found: PresentedCredential[] = [];
  const auth = req.headers.get("authorization");
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) found.push({ secret: m[1].trim(), channel: "bearer" });
    else if (/^Bearer\s*$/i.test(auth.trim())) found.push({ secret: "", channel: "bearer" });
  }
  const header = req.headers.get("x-apikey");
  if (header !== null) found.push({ secret: header.trim(), channel: "x-apikey" });
  const query = url.searchParams.getAll("key");
  for (const q of query) found.push({ secret: q.trim(), channel: "query" });
  if (body.kind === "form") for (const f of body.value.getAll("key")) found.push({ secret: f.trim(), channel: "form" });
  if (body.kind === "json" && body.value && typeof body.value === "object" && !Array.isArray(body.value) && "API_Key" in body.value) {
    const v = (body.value as Record<string, unknown>).API_Key;
    if (typeof v !== "string") throw new ApiError(400, "malformed_key", "API_Key must be a string.");
    found.push({ secret: v.trim(), channel: "json" });
  }
  const present = found.filter((c) => c.secret !== "");
  if (present.length === 0) {
    if (found.length > 0) throw new ApiError(401, "malformed_key", "The API key is empty.");
    return null;
  }
  if (new Set(present.map((c) => c.secret)).size > 1)
    throw new ApiError(400, "conflicting_credentials", ERROR_MESSAGES.conflictingCredentials([...new Set(present.map((c) => c.channel))]));
  return present[0];
}
