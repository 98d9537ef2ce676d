import { getDb, type Db } from "@/db";
import type { WorkspaceContext } from "@/lib/auth/context";
import { MISSING_KEY, verifyApiKey, type VerifiedKey } from "@/lib/api-keys/verify";
import { recordKeyUse } from "@/lib/api-keys/usage";
import type { ApiKeyScope } from "@/lib/validations/api-keys";
import { bodyInput, readBody, type ParsedBody } from "./body";
import { extractCredential } from "./credentials";
import { ApiError, errorResponse, fail } from "./envelope";
import { recordAuthFailure, retryAfterSeconds } from "./rate-limit";

export interface ApiContext {
  db: Db;
  /** The key's owner acting in the key's workspace, with the owner's role as it is now. */
  ctx: WorkspaceContext;
  auth: VerifiedKey;
  /** The request body as input for the zod schemas (credential fields removed). */
  input: unknown;
  body: ParsedBody;
  url: URL;
  req: Request;
}

type RouteParams = { params: Promise<Record<string, string>> };

/** Behind a reverse proxy the first X-Forwarded-For entry is the client; Next sets it from the socket otherwise. */
export function clientAddress(req: Request): string | null {
  const xff = req.headers.get("x-forwarded-for");
  return xff?.split(",")[0]?.trim() || req.headers.get("x-real-ip") || null;
}

/**
 * The one wrapper for REST routes: rate limit → body (64 KiB) → credential → verification →
 * scope → the handler (whose core functions check the owner's permissions). Every outcome,
 * success or failure, is an envelope.
 */
export function apiRoute(
  opts: { scope: ApiKeyScope },
  handler: (api: ApiContext, params: Record<string, string>) => Promise<Response>,
) {
  return async (req: Request, route: RouteParams): Promise<Response> => {
    try {
      const client = clientAddress(req) ?? "unknown";
      const wait = retryAfterSeconds(client);
      if (wait > 0) throw rateLimited(wait);

      const url = new URL(req.url);
      const body = await readBody(req);
      const db = await getDb();
      const credential = extractCredential(req, url, body);
      const result = credential ? await verifyApiKey(db, credential.secret, { via: credential.channel }) : MISSING_KEY;
      if (!result.ok) {
        const retry = await recordAuthFailure(db, client);
        if (retry > 0) throw rateLimited(retry);
        throw new ApiError(result.status, result.code, result.message, result.hint ? { technicalError: result.hint } : {});
      }
      const auth = result.value;
      if (!auth.key.scopes.includes(opts.scope))
        throw new ApiError(403, "scope_missing", `This API key lacks the ${opts.scope} scope.`, {
          technicalError: `The key's scopes are: ${auth.key.scopes.join(", ") || "none"}.`,
        });

      const integration = req.headers.get("x-integration-name")?.slice(0, 200) ?? null;
      recordKeyUse(db, auth.key.id, { ip: clientAddress(req), integration });

      const ctx: WorkspaceContext = {
        userId: auth.owner?.id ?? null,
        apiKeyId: auth.key.id,
        isGlobalAdmin: auth.owner?.isGlobalAdmin ?? false,
        role: auth.role,
        canManageApiKeys: auth.canManageApiKeys,
        workspace: auth.workspace,
        ip: clientAddress(req),
        userAgent: [req.headers.get("user-agent"), integration ? `integration=${integration}` : null].filter(Boolean).join(" ").slice(0, 512) || null,
      };
      return await handler({ db, ctx, auth, input: bodyInput(body), body, url, req }, await route.params);
    } catch (err) {
      return errorResponse(err);
    }
  };
}

function rateLimited(seconds: number): ApiError {
  return new ApiError(
    429,
    "rate_limited",
    `Too many failed authentication attempts from this address. Try again in ${seconds} seconds.`,
    {},
    { "retry-after": String(seconds) },
  );
}

/** For methods a route does not support: still the envelope. */
export function methodNotAllowed(allowed: string[]) {
  return async () =>
    fail(405, { message: `Use ${allowed.join(" or ")} on this endpoint.`, code: "method_not_allowed" }, { allow: allowed.join(", ") });
}

const ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
type Method = (typeof ALL_METHODS)[number];
type RouteHandler = (req: Request, route: RouteParams) => Promise<Response>;

/** A route's exports: the given methods, and a 405 envelope for the others. */
export function routeMethods(handlers: Partial<Record<Method, RouteHandler>>): Record<Method, RouteHandler> {
  const allowed = Object.keys(handlers);
  const refuse = methodNotAllowed(allowed);
  return Object.fromEntries(ALL_METHODS.map((m) => [m, handlers[m] ?? refuse])) as Record<Method, RouteHandler>;
}
