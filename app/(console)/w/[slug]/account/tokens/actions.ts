"use server";

import { revalidatePath } from "next/cache";
import { workspaceAction, type ActionResult } from "@/lib/actions";
import { createMyToken, deleteAllMyTokens, deleteMyToken } from "@/lib/api-keys/tokens";

const tokensPath = (slug: string) => `/w/${slug}/account/tokens`;

export interface CreatedTokenResult {
  secret: string;
  name: string;
  prefix: string;
}

export async function createTokenAction(slug: string, _prev: ActionResult<CreatedTokenResult> | null, form: FormData): Promise<ActionResult<CreatedTokenResult>> {
  const result = await workspaceAction(slug, async (ctx, db) => {
    const { token, secret } = await createMyToken(db, ctx, { name: form.get("name") ?? undefined });
    return { secret, name: token.name, prefix: token.prefix };
  });
  if (result.ok) revalidatePath(tokensPath(slug));
  return result;
}

export async function deleteTokenAction(slug: string, id: string): Promise<ActionResult<{ name: string }>> {
  const result = await workspaceAction(slug, async (ctx, db) => ({ name: (await deleteMyToken(db, ctx, id)).name }));
  if (result.ok) revalidatePath(tokensPath(slug));
  return result;
}

export async function deleteAllTokensAction(slug: string): Promise<ActionResult<{ deleted: number }>> {
  const result = await workspaceAction(slug, (ctx, db) => deleteAllMyTokens(db, ctx));
  if (result.ok) revalidatePath(tokensPath(slug));
  return result;
}
