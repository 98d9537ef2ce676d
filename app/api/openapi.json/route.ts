// GET /api/openapi.json
import { routeMethods } from "@/lib/api/handler";
import { buildOpenApiDocument, publicServerUrl, type OpenApiDocument } from "@/lib/api/openapi";

export const dynamic = "force-dynamic";

// Built once per process (the schemas do not change at runtime); only the server URL varies.
let base: OpenApiDocument | undefined;

// Public, like the reference page it mirrors: the document holds no workspace data. Its server
// URL comes from configuration, not from the request, so every client (and cache) sees the same.
export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = routeMethods({
  GET: async () => {
    base ??= buildOpenApiDocument();
    const { openapi, info, ...rest } = base;
    const servers = [{ url: publicServerUrl() }];
    return new Response(JSON.stringify({ openapi, info, servers, ...rest }), {
      status: 200,
      headers: {
        "content-type": "application/json; charset=utf-8",
        "cache-control": "public, max-age=300",
        "x-content-type-options": "nosniff",
      },
    });
  },
});
