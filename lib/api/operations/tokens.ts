import { createMyToken, deleteAllMyTokens, deleteMyToken, listMyTokens } from "@/lib/api-keys/tokens";
import { createTokenSchema } from "@/lib/validations/api-keys";
import { createdTokenSchema, deleteAllTokensResultSchema, tokenListSchema, tokenResultSchema } from "@/lib/validations/responses";
import { defineOperation } from "./define";
import { EXAMPLE_SECRET, EXAMPLE_TOKEN, TOKENS_OWN } from "./examples";

export const listMyTokensOperation = defineOperation({
  id: "listMyTokens",
  method: "GET",
  path: "/api/data/me/tokens",
  tag: "Personal tokens",
  summary: "List my personal tokens",
  description: "The calling user's live personal tokens in this workspace, newest first.",
  scope: "tokens:write",
  permission: TOKENS_OWN,
  output: { component: "TokenList", schema: tokenListSchema, example: { items: [EXAMPLE_TOKEN] } },
  status: 200,
  handler: async ({ db, ctx }) => ({ items: await listMyTokens(db, ctx) }),
});

export const createMyTokenOperation = defineOperation({
  id: "createMyToken",
  method: "POST",
  path: "/api/data/me/tokens",
  tag: "Personal tokens",
  summary: "Create a personal token",
  description:
    "Creates a personal token for the calling user and returns its secret, once. The token acts as that user with every scope. expiresAt omitted: the workspace's maximum lifetime.",
  scope: "tokens:write",
  permission: TOKENS_OWN,
  body: { component: "CreateTokenRequest", schema: createTokenSchema, required: true, invalidExample: {} },
  examples: { body: { name: "Laptop scripts" } },
  output: { component: "CreatedToken", schema: createdTokenSchema, example: { token: EXAMPLE_TOKEN, secret: EXAMPLE_SECRET } },
  status: 201,
  location: (data) => `/api/data/me/tokens/${data.token.id}`,
  handler: async ({ db, ctx, input }) => createMyToken(db, ctx, input),
});

export const deleteAllMyTokensOperation = defineOperation({
  id: "deleteAllMyTokens",
  method: "DELETE",
  path: "/api/data/me/tokens",
  tag: "Personal tokens",
  summary: "Delete all my personal tokens",
  description: "Deletes (revokes) every personal token of the calling user in this workspace. Returns how many were deleted.",
  scope: "tokens:write",
  permission: TOKENS_OWN,
  output: { component: "DeleteAllTokensResult", schema: deleteAllTokensResultSchema, example: { deleted: 3 } },
  status: 200,
  handler: async ({ db, ctx }) => deleteAllMyTokens(db, ctx),
});

export const deleteMyTokenOperation = defineOperation({
  id: "deleteMyToken",
  method: "DELETE",
  path: "/api/data/me/tokens/{id}",
  tag: "Personal tokens",
  summary: "Delete a personal token",
  description: "Deletes (revokes) one of the calling user's personal tokens. Another user's token is not found.",
  scope: "tokens:write",
  permission: TOKENS_OWN,
  params: { id: "The token's id." },
  examples: { params: { id: "$TOKEN_ID" } },
  output: { component: "TokenResult", schema: tokenResultSchema, example: { token: EXAMPLE_TOKEN } },
  status: 200,
  notFound: true,
  handler: async ({ db, ctx }, { id }) => ({ token: await deleteMyToken(db, ctx, id) }),
});
