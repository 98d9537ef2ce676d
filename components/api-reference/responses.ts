import type { Operation } from "@/lib/api/operations";

/** The Location header of a 201, as the handler would send it for the operation's example. */
export function exampleLocationOf(op: Operation): string | undefined {
  if (op.scope === null || !op.location) return undefined;
  return op.location(op.output.schema.parse(op.output.example));
}
