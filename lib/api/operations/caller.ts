import { permissionsOf } from "@/lib/auth/permissions";
import { meSchema } from "@/lib/validations/responses";
import { defineOperation } from "./define";
import { EXAMPLE_KEY_ID, EXAMPLE_OWNER } from "./examples";

export const getMeOperation = defineOperation({
  id: "getMe",
  method: "GET",
  path: "/api/data/me",
  tag: "Caller",
  summary: "Get the caller",
  description: "The user the key acts as (null for a service key), the workspace, the user's role and permissions now, and the key itself.",
  scope: "me:read",
  permission: null,
  answerPerKey: true,
  output: {
    component: "Me",
    schema: meSchema,
    example: {
      user: EXAMPLE_OWNER,
      workspace: { id: "5d8a2f1e-3b4c-4d6e-8f90-a1b2c3d4e5f6", slug: "acme", name: "Acme Inc." },
      role: "admin",
      permissions: ["api_keys.read", "api_keys.manage"],
      key: {
        id: EXAMPLE_KEY_ID,
        name: "CI deploy",
        prefix: "lk_Ab3dE9xQ…",
        kind: "workspace",
        serviceKey: false,
        scopes: ["api_keys:read", "me:read"],
        expiresAt: "2027-01-31T23:59:59.999Z",
        bearerAllowed: true,
      },
    },
  },
  status: 200,
  handler: async ({ ctx, auth }) => ({
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
});
