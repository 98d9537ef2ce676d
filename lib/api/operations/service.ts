import { sql } from "drizzle-orm";
import { getDatabase } from "@/db";
import { healthSchema } from "@/lib/validations/responses";
import { ApiError } from "../envelope";
import { ERROR_MESSAGES } from "../errors";
import { defineOperation } from "./define";

export const getHealthOperation = defineOperation({
  id: "getHealth",
  method: "GET",
  path: "/api/health",
  tag: "Service",
  summary: "Check health",
  description: "Whether the service and its database answer. No key needed. 503 when the database is not reachable.",
  scope: null,
  permission: null,
  output: { component: "Health", schema: healthSchema, example: { status: "ok", database: { kind: "postgres", reachable: true } } },
  status: 200,
  errorStatuses: [503],
  async handler() {
    try {
      const { db, kind } = await getDatabase();
      await db.execute(sql`select 1`);
      return { status: "ok", database: { kind, reachable: true } };
    } catch {
      throw new ApiError(503, "database_unreachable", ERROR_MESSAGES.databaseUnreachable);
    }
  },
});

export const getOpenApiDocumentOperation = defineOperation({
  id: "getOpenApiDocument",
  method: "GET",
  path: "/api/openapi.json",
  tag: "Service",
  summary: "Get the OpenAPI document",
  description: "This API described as an OpenAPI 3.1 document (not wrapped in the envelope). No key needed.",
  scope: null,
  permission: null,
  status: 200,
  // Public, like the reference page it mirrors: the document holds no workspace data. Its server
  // URL comes from configuration, not from the request, so every client (and cache) sees the same.
  async handler() {
    // Loaded when asked: the document is built from the list this operation belongs to.
    const { openApiDocumentText } = await import("../openapi");
    return new Response(openApiDocumentText(), {
      status: 200,
      headers: { "content-type": "application/json; charset=utf-8", "cache-control": "public, max-age=300", "x-content-type-options": "nosniff" },
    });
  },
});
