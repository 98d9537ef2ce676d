// GET|POST /api/data/api-keys
import { ok } from "@/lib/api/envelope";
import { apiRoute, routeMethods } from "@/lib/api/handler";
import { createApiKey, listApiKeys } from "@/lib/api-keys/core";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = routeMethods({
  GET: apiRoute({ scope: "api_keys:read" }, async ({ db, ctx, url }) => {
    const { key: _credential, ...query } = Object.fromEntries(url.searchParams);
    const page = await listApiKeys(db, ctx, query);
    return ok({ items: page.rows, total: page.total, page: page.page, pageSize: page.pageSize });
  }),
  POST: apiRoute({ scope: "api_keys:write" }, async ({ db, ctx, input }) => {
    const { key, secret } = await createApiKey(db, ctx, input);
    return ok({ key, secret }, 201);
  }),
});
