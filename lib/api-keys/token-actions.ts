"use server";

import { workspaceAction, type ActionResult, type Requirement } from "@/lib/actions";
import type { CreatedKeyResult } from "./actions";
import { parseRequiredRevocation } from "./core";
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

/** Deleting revokes: `revocation` is `{ reason, reasonText }`, which the console always asks for. */
export async function deleteTokenAction(slug: string, id: string, revocation: unknown): Promise<ActionResult<{ name: string }>> {
  return workspaceAction(
    slug,
    OWN_TOKENS,
    async (ctx, db) => {
      parseRequiredRevocation(revocation);
      return { name: (await deleteMyToken(db, ctx, id, revocation)).name };
    },
    tokensPage(slug),
  );
}

export async function deleteAllTokensAction(slug: string, revocation: unknown): Promise<ActionResult<{ deleted: number }>> {
  return workspaceAction(
    slug,
    OWN_TOKENS,
    (ctx, db) => {
      parseRequiredRevocation(revocation);
      return deleteAllMyTokens(db, ctx, revocation);
    },
    tokensPage(slug),
  );
}
