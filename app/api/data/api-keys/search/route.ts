// POST /api/data/api-keys/search
// The list, with its filters in the body: for clients that send the key as a form field or a
// JSON API_Key property (a GET request carries no body through Next's request pipeline).
import { ok } from "@/lib/api/envelope";
import { apiRoute, routeMethods } from "@/lib/api/handler";
import { listApiKeys } from "@/lib/api-keys/core";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = routeMethods({
  POST: apiRoute({ scope: "api_keys:read" }, async ({ db, ctx, input }) => {
    const page = await listApiKeys(db, ctx, input);
    return ok({ items: page.rows, total: page.total, page: page.page, pageSize: page.pageSize });
  }),
});
