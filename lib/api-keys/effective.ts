import { can, type Permission, type Principal } from "@/lib/auth/permissions";
import { API_KEY_SCOPES, SCOPE_LABELS, type ApiKeyScope } from "@/lib/validations/api-keys";

/** What each scope lets a key call, in terms of what its owner must be allowed to do. */
const SCOPE_REQUIRES: Record<ApiKeyScope, Permission | null> = {
  "api_keys:read": "api_keys.read",
  "api_keys:write": "api_keys.manage",
  "tokens:write": "tokens.own",
  "me:read": null,
  "audit:read": "audit.read",
  verify: null,
  "webhooks:write": "workspace.settings",
};

export interface EffectivePermission {
  scope: ApiKeyScope;
  label: string;
  allowed: boolean;
  why: string;
}

/**
 * The key's effective permissions: its scopes ∩ what its owner's role allows now ∩ its ceiling
 * (what its maker could do when it was made).
 */
export function effectivePermissions(owner: Principal, scopes: readonly string[], ceiling: readonly string[] | null = null): EffectivePermission[] {
  return API_KEY_SCOPES.map((scope) => {
    const label = SCOPE_LABELS[scope];
    if (!scopes.includes(scope)) return { scope, label, allowed: false, why: "Not in the key's scopes." };
    const needs = SCOPE_REQUIRES[scope];
    if (needs && !can(owner, needs)) return { scope, label, allowed: false, why: "In scope, but the owner's role does not allow it." };
    if (needs && ceiling && !ceiling.includes(needs))
      return { scope, label, allowed: false, why: "In scope, but whoever made the key could not do this when they made it." };
    return { scope, label, allowed: true, why: needs ? "In scope and allowed by the owner's role." : "In scope." };
  });
}
