// /api/data itself: not an endpoint; the envelope says where to look.
import { noSuchEndpoint } from "@/lib/api/envelope";

export const GET = noSuchEndpoint;
export const POST = noSuchEndpoint;
export const PUT = noSuchEndpoint;
export const PATCH = noSuchEndpoint;
export const DELETE = noSuchEndpoint;
