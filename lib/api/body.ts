import { ApiError } from "./envelope";
import { ERROR_MESSAGES } from "./errors";
import { MAX_BODY_BYTES } from "./limits";
import type { ApiRequest } from "./request";

export { MAX_BODY_BYTES };

export type ParsedBody = { kind: "none" } | { kind: "json"; value: unknown; text: string } | { kind: "form"; value: URLSearchParams; text: string };

const tooLarge = () => new ApiError(413, "payload_too_large", ERROR_MESSAGES.payloadTooLarge);

/** Reads at most 64 KiB (refusing more, whatever Content-Length claims) and parses JSON or urlencoded forms. */
export async function readBody(req: ApiRequest): Promise<ParsedBody> {
  // GET and HEAD requests have no body (Next gives them none); skip the machinery on the hot path.
  if (req.method === "GET" || req.method === "HEAD") return { kind: "none" };
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const bytes = await req.readBytes();
  if (bytes === null) return { kind: "none" };
  if (bytes.length > MAX_BODY_BYTES) throw tooLarge();
  return parseBody(req, bytes);
}

function parseBody(req: ApiRequest, bytes: Buffer): ParsedBody {
  if (bytes.length === 0) return { kind: "none" };
  const text = bytes.toString("utf8");
  const type = (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type === "application/x-www-form-urlencoded") return { kind: "form", value: new URLSearchParams(text), text };
  if (type === "application/json" || type.endsWith("+json") || type === "") {
    try {
      return { kind: "json", value: JSON.parse(text), text };
    } catch {
      throw new ApiError(400, "invalid_json", ERROR_MESSAGES.invalidJson);
    }
  }
  throw new ApiError(415, "unsupported_media_type", ERROR_MESSAGES.unsupportedMediaType(type));
}

/** The body as an input object for the zod schemas, without the credential fields. */
export function bodyInput(body: ParsedBody): unknown {
  if (body.kind === "none") return {};
  if (body.kind === "form") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of body.value) {
      if (k === "key") continue;
      // Forms carry strings: accept true/false for the boolean fields and repeated scopes.
      if (k === "scopes") out.scopes = [...((out.scopes as string[] | undefined) ?? []), v];
      else out[k] = v === "true" ? true : v === "false" ? false : v;
    }
    return out;
  }
  if (body.value && typeof body.value === "object" && !Array.isArray(body.value)) {
    const { API_Key: _credential, ...rest } = body.value as Record<string, unknown>;
    return rest;
  }
  return body.value;
}
