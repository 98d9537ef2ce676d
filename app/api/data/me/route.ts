// GET /api/data/me
import { ok } from "@/lib/api/envelope";
import { apiRoute, routeMethods } from "@/lib/api/handler";
import { permissionsOf } from "@/lib/auth/permissions";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = routeMethods({
  GET: apiRoute({ scope: "me:read" }, async ({ ctx, auth }) =>
    ok({
      user: auth.owner ? { id: auth.owner.id, email: auth.owner.email, name: auth.owner.name } : null,
      workspace: { id: ctx.workspace.id, slug: ctx.workspace.slug, name: ctx.workspace.name },
      role: ctx.role,
      permissions: [...permissionsOf(ctx)],
      key: {
        id: auth.key.id,
        name: auth.key.name,
        prefix: auth.key.prefix,
        kind: auth.key.kind,
        serviceKey: auth.key.ownerId === null,
        scopes: auth.key.scopes,
        expiresAt: auth.key.expiresAt,
        bearerAllowed: auth.key.bearerAllowed,
      },
    }),
  ),
});
