// DELETE /api/data/api-keys/revoke-all
import { ok } from "@/lib/api/envelope";
import { apiRoute, routeMethods } from "@/lib/api/handler";
import { revokeAllApiKeys } from "@/lib/api-keys/core";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = routeMethods({
  DELETE: apiRoute({ scope: "api_keys:write" }, async ({ db, ctx }) => ok(await revokeAllApiKeys(db, ctx))),
});
