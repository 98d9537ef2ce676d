// DELETE /api/data/me/tokens/{id}
import { ok } from "@/lib/api/envelope";
import { apiRoute, routeMethods } from "@/lib/api/handler";
import { deleteMyToken } from "@/lib/api-keys/tokens";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = routeMethods({
  DELETE: apiRoute({ scope: "tokens:write" }, async ({ db, ctx }, { id }) => ok({ token: await deleteMyToken(db, ctx, id) })),
});
