// Any other /api/data/* path: a 404 in the envelope.
import { fail } from "@/lib/api/envelope";

const notFound = async () => fail(404, { message: "There is no such endpoint. See /api/openapi.json.", code: "no_such_endpoint" });

export const GET = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
