// GET /api/openapi.json
import { routeMethods } from "@/lib/api/handler";
import { buildOpenApiDocument, originFrom, type OpenApiDocument } from "@/lib/api/openapi";

export const dynamic = "force-dynamic";

// Built once per process (the schemas do not change at runtime); only the server URL varies.
let base: OpenApiDocument | undefined;

// Public, like the reference page it mirrors: the document holds no workspace data. The server
// URL is the origin the client used, so a shared cache must key on the host as well.
export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = routeMethods({
  GET: async (req: Request) => {
    base ??= buildOpenApiDocument();
    const { openapi, info, ...rest } = base;
    const servers = [{ url: originFrom(req.headers, new URL(req.url).origin) }];
    return new Response(JSON.stringify({ openapi, info, servers, ...rest }), {
      status: 200,
      headers: {
        "content-type": "application/json; charset=utf-8",
        "cache-control": "public, max-age=300",
        vary: "Host, X-Forwarded-Host, X-Forwarded-Proto",
      },
    });
  },
});
