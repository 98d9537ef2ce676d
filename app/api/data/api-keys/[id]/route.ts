// PATCH /api/data/api-keys/{id}
import { ok } from "@/lib/api/envelope";
import { apiRoute, routeMethods } from "@/lib/api/handler";
import { getApiKey, updateApiKey } from "@/lib/api-keys/core";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = routeMethods({
  GET: apiRoute({ scope: "api_keys:read" }, async ({ db, ctx }, { id }) => ok({ key: await getApiKey(db, ctx, id) })),
  PATCH: apiRoute({ scope: "api_keys:write" }, async ({ db, ctx, input }, { id }) => ok({ key: await updateApiKey(db, ctx, id, input) })),
});
