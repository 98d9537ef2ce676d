// Any other /api/data/* path: a 404 in the envelope.
import { noSuchEndpoint } from "@/lib/api/envelope";

export const GET = noSuchEndpoint;
export const POST = noSuchEndpoint;
export const PUT = noSuchEndpoint;
export const PATCH = noSuchEndpoint;
export const DELETE = noSuchEndpoint;
