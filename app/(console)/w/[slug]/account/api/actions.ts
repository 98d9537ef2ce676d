"use server";

import { revalidatePath } from "next/cache";
import { workspaceAction, type ActionResult } from "@/lib/actions";
import { createApiKey, revokeAllApiKeys, revokeApiKey, updateApiKey, type ApiKeyView } from "@/lib/api-keys/core";
import { assertCan } from "@/lib/auth/context";
import { AppError } from "@/lib/errors";
import type { UpdateApiKeyInput } from "@/lib/validations/api-keys";

// Thin adapters: the wrapper resolves session and membership, the core function checks
// permission and input, writes the change and its audit event.

const apiPath = (slug: string) => `/w/${slug}/account/api`;

export interface CreatedKeyResult {
  secret: string;
  name: string;
  prefix: string;
}

/** FormData from the create dialog → the core's input shape (the schema does the validating). */
function createInputFromForm(form: FormData) {
  const owner = form.get("ownerId");
  const never = form.get("neverExpires") === "on";
  const expires = form.get("expiresAt");
  const imported = form.get("importedSecret");
  return {
    name: form.get("name") ?? undefined,
    description: form.get("description") ?? undefined,
    ownerId: owner === "none" ? null : owner === "me" || owner === null || owner === "" ? undefined : owner,
    expiresAt: never ? null : expires === null || expires === "" ? undefined : expires,
    bearerAllowed: form.get("bearerAllowed") === "on",
    scopes: form.has("scopes") ? form.getAll("scopes") : undefined,
    importedSecret: typeof imported === "string" && imported.trim() !== "" ? imported : undefined,
  };
}

export async function createApiKeyAction(
  slug: string,
  _prev: ActionResult<CreatedKeyResult> | null,
  form: FormData,
): Promise<ActionResult<CreatedKeyResult>> {
  const result = await workspaceAction(slug, async (ctx, db) => {
    const { key, secret } = await createApiKey(db, ctx, createInputFromForm(form));
    return { secret, name: key.name, prefix: key.prefix };
  });
  if (result.ok) revalidatePath(apiPath(slug));
  return result;
}

export async function updateApiKeyAction(slug: string, id: string, patch: UpdateApiKeyInput): Promise<ActionResult<ApiKeyView>> {
  const result = await workspaceAction(slug, (ctx, db) => updateApiKey(db, ctx, id, patch));
  if (result.ok) revalidatePath(apiPath(slug));
  return result;
}

export async function revokeApiKeyAction(slug: string, id: string): Promise<ActionResult<{ name: string }>> {
  const result = await workspaceAction(slug, async (ctx, db) => ({ name: (await revokeApiKey(db, ctx, id)).name }));
  if (result.ok) revalidatePath(apiPath(slug));
  return result;
}

export async function revokeAllApiKeysAction(slug: string, confirmation: string): Promise<ActionResult<{ revoked: number }>> {
  const result = await workspaceAction(slug, async (ctx, db) => {
    assertCan(ctx, "api_keys.manage", "You don't have permission to manage API keys in this workspace.");
    if (confirmation !== ctx.workspace.slug)
      throw new AppError("validation", "Type the workspace slug exactly to confirm.", {
        confirmation: [`Type "${ctx.workspace.slug}" to confirm.`],
      });
    return revokeAllApiKeys(db, ctx);
  });
  if (result.ok) revalidatePath(apiPath(slug));
  return result;
}
