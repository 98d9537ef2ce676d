import type { Operation } from "@/lib/api/operations";

/**
 * The error statuses an operation may answer, as the OpenAPI document lists them for it (see
 * buildOpenApiDocument): every keyed call can fail authentication, scope or permission, input,
 * method, rate limit or the server; a path parameter may name nothing; a body may be too large or
 * of the wrong type.
 */
export function errorStatusesOf(op: Operation): number[] {
  if (op.scope === null) return op.id === "getHealth" ? [503] : [];
  return [400, 401, 403, ...(op.notFound ? [404] : []), 405, ...(op.method === "GET" ? [] : [413, 415]), 429, 500];
}
