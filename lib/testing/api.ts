import { dispatch } from "@/lib/api/dispatch";
import { attachSocketAddress } from "@/lib/net/client-address";

/**
 * Sends a request to the REST API as Next's catch-all route does: the path's segments, decoded,
 * to the dispatcher. For tests; the listener is tested over a socket and Next's route in e2e.
 */
export async function callApi(req: Request): Promise<Response> {
  return dispatch(req, new URL(req.url).pathname.slice(1).split("/").map(decodeURIComponent));
}

/** A request made with an API key in X-ApiKey from a client address (default 192.0.2.1), its JSON body typed as `T`. */
export async function callWithKey<T = unknown>(
  method: string,
  path: string,
  opts: { key: string; from?: string; body?: unknown },
): Promise<{ status: number; headers: Headers; body: T }> {
  const req = new Request(`http://localhost${path}`, {
    method,
    headers: { "x-apikey": opts.key, ...(opts.body !== undefined ? { "content-type": "application/json" } : {}) },
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  });
  attachSocketAddress(req, opts.from ?? "192.0.2.1");
  const res = await callApi(req);
  return { status: res.status, headers: res.headers, body: (await res.json()) as T };
}
