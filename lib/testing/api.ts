import { dispatch } from "@/lib/api/dispatch";

/**
 * Sends a request to the REST API as Next's catch-all route does: the path's segments, decoded,
 * to the dispatcher. For tests; the listener is tested over a socket and Next's route in e2e.
 */
export async function callApi(req: Request): Promise<Response> {
  return dispatch(req, new URL(req.url).pathname.slice(1).split("/").map(decodeURIComponent));
}
