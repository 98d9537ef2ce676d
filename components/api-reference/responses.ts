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

/** The Location header of a 201, as the handler would send it for the operation's example. */
export function exampleLocationOf(op: Operation): string | undefined {
  if (op.scope === null || !op.location) return undefined;
  return op.location(op.output.schema.parse(op.output.example));
}
