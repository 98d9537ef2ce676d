"use server";

import { workspaceAction, type ActionResult, type Requirement } from "@/lib/actions";
import { AppError, invalid } from "@/lib/errors";
import { ruleEntries } from "@/lib/net/ip-rules";
import { limitsFromForm } from "@/lib/validations/limits";
import type { RotateApiKeyInput, UpdateApiKeyInput } from "@/lib/validations/api-keys";
import {
  createApiKey,
  MANAGE_DENIED,
  parseRequiredRevocation,
  revokeAllApiKeys,
  revokeApiKey,
  rotateApiKey,
  topUpQuota,
  updateApiKey,
  type ApiKeyView,
} from "./core";

// Thin adapters: the wrapper checks session, membership and the permission; the core function
// checks the permission again and the input, writes the change and its audit event.

const MANAGE: Requirement = { permission: "api_keys.manage", denied: MANAGE_DENIED };

const CUSTOM_DATE_MISSING = "Choose the date the key expires on.";

const apiPage = (slug: string) => ({ revalidate: { path: `/w/${slug}/account/api` } });

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
  const notBefore = form.get("notBefore");
  return {
    name: form.get("name") ?? undefined,
    description: form.get("description") ?? undefined,
    ownerId: owner === "none" ? null : owner === "me" || owner === null || owner === "" ? undefined : owner,
    expiresAt: never ? null : expires === null || expires === "" ? undefined : expires,
    bearerAllowed: form.get("bearerAllowed") === "on",
    scopes: form.has("scopes") ? form.getAll("scopes") : undefined,
    importedSecret: typeof imported === "string" && imported.trim() !== "" ? imported : undefined,
    ipAllow: ruleEntries(String(form.get("ipAllow") ?? "")),
    ipDeny: ruleEntries(String(form.get("ipDeny") ?? "")),
    notBefore: typeof notBefore === "string" && notBefore !== "" ? notBefore : undefined,
    ...limitsFromForm(form),
  };
}

export async function createApiKeyAction(
  slug: string,
  _prev: ActionResult<CreatedKeyResult> | null,
  form: FormData,
): Promise<ActionResult<CreatedKeyResult>> {
  return workspaceAction(
    slug,
    MANAGE,
    async (ctx, db) => {
      // "Custom date…" with the date cleared: say so, rather than fall back to the default expiry.
      if (form.get("expiryChoice") === "custom" && !form.get("expiresAt")) throw invalid({ expiresAt: [CUSTOM_DATE_MISSING] });
      const { key, secret } = await createApiKey(db, ctx, createInputFromForm(form));
      return { secret, name: key.name, prefix: key.prefix };
    },
    apiPage(slug),
  );
}

export async function updateApiKeyAction(slug: string, id: string, patch: UpdateApiKeyInput): Promise<ActionResult<ApiKeyView>> {
  return workspaceAction(slug, MANAGE, (ctx, db) => updateApiKey(db, ctx, id, patch), apiPage(slug));
}

/** `revocation` is `{ reason, reasonText }`: the console always asks for the reason. */
export async function revokeApiKeyAction(slug: string, id: string, revocation: unknown): Promise<ActionResult<{ name: string }>> {
  return workspaceAction(
    slug,
    MANAGE,
    async (ctx, db) => {
      parseRequiredRevocation(revocation);
      return { name: (await revokeApiKey(db, ctx, id, { revocation })).name };
    },
    // The API tab and the key's own page below it, which then shows the key as revoked.
    { revalidate: { path: `/w/${slug}/account/api`, type: "layout" } },
  );
}

export async function revokeAllApiKeysAction(slug: string, confirmation: string, revocation: unknown): Promise<ActionResult<{ revoked: number }>> {
  return workspaceAction(
    slug,
    MANAGE,
    async (ctx, db) => {
      if (confirmation !== ctx.workspace.slug)
        throw new AppError("validation", "Type the workspace slug exactly to confirm.", {
          confirmation: [`Type "${ctx.workspace.slug}" to confirm.`],
        });
      parseRequiredRevocation(revocation);
      return revokeAllApiKeys(db, ctx, revocation);
    },
    apiPage(slug),
  );
}

export interface RotatedKeyResult extends CreatedKeyResult {
  /** When the old secret stops working at the latest (ISO); equal to now for "now". */
  oldSecretUntil: string;
  mode: "overlap" | "quiet";
}

export async function rotateApiKeyAction(slug: string, id: string, input: RotateApiKeyInput): Promise<ActionResult<RotatedKeyResult>> {
  return workspaceAction(
    slug,
    MANAGE,
    async (ctx, db) => {
      const { key, secret, previous } = await rotateApiKey(db, ctx, id, input);
      return { secret, name: key.name, prefix: key.prefix, oldSecretUntil: previous.retireAt.toISOString(), mode: previous.mode };
    },
    // The key's own page shows the old secret too.
    { revalidate: { path: `/w/${slug}/account/api`, type: "layout" } },
  );
}

/** Adds `requests` to the key's total quota; the key's page shows the new limit. */
export async function topUpQuotaAction(slug: string, id: string, requests: unknown): Promise<ActionResult<{ name: string; limit: number }>> {
  return workspaceAction(
    slug,
    MANAGE,
    async (ctx, db) => {
      const key = await topUpQuota(db, ctx, id, { requests });
      return { name: key.name, limit: key.quota?.limit ?? 0 };
    },
    { revalidate: { path: `/w/${slug}/account/api`, type: "layout" } },
  );
}
