// DELETE /api/data/api-keys/{id}/revoke
import { ok } from "@/lib/api/envelope";
import { apiRoute, routeMethods } from "@/lib/api/handler";
import { revokeApiKey } from "@/lib/api-keys/core";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = routeMethods({
  DELETE: apiRoute({ scope: "api_keys:write" }, async ({ db, ctx }, { id }) => ok({ key: await revokeApiKey(db, ctx, id) })),
});
