"use server";

import { workspaceAction, type ActionResult, type Requirement } from "@/lib/actions";
import type { CreatedKeyResult } from "./actions";
import { createMyToken, deleteAllMyTokens, deleteMyToken } from "./tokens";

// Thin adapters: the wrapper checks session, membership and the permission; the core checks
// it again, whether the workspace allows personal tokens, and the input.

const OWN_TOKENS: Requirement = { permission: "tokens.own", denied: "You don't have permission to use personal tokens in this workspace." };

const tokensPage = (slug: string) => ({ revalidate: { path: `/w/${slug}/account/tokens` } });

/** What the show-once dialog needs, as for a key. */
export type CreatedTokenResult = CreatedKeyResult;

export async function createTokenAction(
  slug: string,
  _prev: ActionResult<CreatedTokenResult> | null,
  form: FormData,
): Promise<ActionResult<CreatedTokenResult>> {
  return workspaceAction(
    slug,
    OWN_TOKENS,
    async (ctx, db) => {
      const { token, secret } = await createMyToken(db, ctx, { name: form.get("name") ?? undefined });
      return { secret, name: token.name, prefix: token.prefix };
    },
    tokensPage(slug),
  );
}

export async function deleteTokenAction(slug: string, id: string): Promise<ActionResult<{ name: string }>> {
  return workspaceAction(slug, OWN_TOKENS, async (ctx, db) => ({ name: (await deleteMyToken(db, ctx, id)).name }), tokensPage(slug));
}

export async function deleteAllTokensAction(slug: string): Promise<ActionResult<{ deleted: number }>> {
  return workspaceAction(slug, OWN_TOKENS, (ctx, db) => deleteAllMyTokens(db, ctx), tokensPage(slug));
}
