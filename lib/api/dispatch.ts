import { ApiAnswer, errorResponse, fail, noSuchEndpoint, toResponse } from "./envelope";
import { ERROR_MESSAGES } from "./errors";
import { outputResponse, serveKeyOperation } from "./handler";
import { OPERATIONS, type Operation } from "./operations";
import { fromWebRequest, type ApiRequest } from "./request";

// The one router of the REST API, over the operation list. Both transports call it with the
// path's segments, already decoded: Next's catch-all route (app/api/[...path]/route.ts) and the
// lean listener (lib/api/listener.ts). What a path and method reach is decided here only.

interface Route {
  segments: string[];
  /** The operations on this path, in the order of the list (which is the order Allow names them). */
  byMethod: Map<string, Operation>;
}

function compile(ops: readonly Operation[]): Route[] {
  const routes = new Map<string, Route>();
  for (const op of ops) {
    let route = routes.get(op.path);
    if (!route) routes.set(op.path, (route = { segments: op.path.split("/").slice(1), byMethod: new Map() }));
    if (route.byMethod.has(op.method)) throw new Error(`Two operations for ${op.method} ${op.path}`);
    route.byMethod.set(op.method, op);
  }
  // A literal segment beats a parameter at the same place (…/api-keys/revoke-all before …/api-keys/{id}).
  const rank = (r: Route) => r.segments.map((s) => (s.startsWith("{") ? "1" : "0")).join("");
  return [...routes.values()].sort((a, b) => rank(a).localeCompare(rank(b)));
}

const ROUTES = compile(OPERATIONS);

export interface Match {
  route: Route;
  params: Record<string, string>;
}

/** The route for these path segments (e.g. ["api", "data", "me"]), with its parameters. */
export function matchRoute(segments: readonly string[]): Match | null {
  next: for (const route of ROUTES) {
    if (route.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    for (let i = 0; i < segments.length; i++) {
      const want = route.segments[i];
      if (want.startsWith("{")) {
        if (segments[i] === "") continue next;
        params[want.slice(1, -1)] = segments[i];
      } else if (want !== segments[i]) continue next;
    }
    return { route, params };
  }
  return null;
}

/** The methods a path answers, as its Allow header lists them. */
const allowOf = (route: Route) => [...route.byMethod.keys()];

/**
 * Answers one API request given as a fetch Request (Next's catch-all route, tests). `segments`
 * are the decoded path segments after the leading slash (["api", "data", "api-keys", "<id>"]).
 */
export async function dispatch(req: Request, segments: readonly string[]): Promise<Response> {
  return toResponse(await answerApiRequest(fromWebRequest(req), segments), req.method);
}

/**
 * Answers one API request, however it arrived (the listener calls this directly). HEAD is GET
 * (its transport sends no body); OPTIONS lists the methods.
 */
export async function answerApiRequest(req: ApiRequest, segments: readonly string[]): Promise<ApiAnswer> {
  try {
    const match = matchRoute(segments);
    if (!match) return noSuchEndpoint();
    const { route, params } = match;
    const method = req.method === "HEAD" ? "GET" : req.method;
    if (method === "OPTIONS")
      return new ApiAnswer(204, { allow: [...allowOf(route), "OPTIONS"].join(", "), "x-content-type-options": "nosniff" }, null);
    const op = route.byMethod.get(method);
    if (!op) {
      const allowed = allowOf(route);
      return fail(405, { message: ERROR_MESSAGES.methodNotAllowed(allowed), code: "method_not_allowed" }, { allow: allowed.join(", ") });
    }
    if (op.scope !== null) return await serveKeyOperation(op, req, params);
    const data = await op.handler(req);
    return data instanceof ApiAnswer ? data : outputResponse(op, data);
  } catch (err) {
    return errorResponse(err);
  }
}
