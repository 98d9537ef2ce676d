// GET|POST|DELETE /api/data/me/tokens
import { ok } from "@/lib/api/envelope";
import { apiRoute, routeMethods } from "@/lib/api/handler";
import { createMyToken, deleteAllMyTokens, listMyTokens } from "@/lib/api-keys/tokens";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = routeMethods({
  GET: apiRoute({ scope: "tokens:write" }, async ({ db, ctx }) => ok({ items: await listMyTokens(db, ctx) })),
  POST: apiRoute({ scope: "tokens:write" }, async ({ db, ctx, input }) => ok(await createMyToken(db, ctx, input), 201)),
  DELETE: apiRoute({ scope: "tokens:write" }, async ({ db, ctx }) => ok(await deleteAllMyTokens(db, ctx))),
});
