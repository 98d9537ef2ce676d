import type { Role } from "@/db/schema";

// The one role → permission map. Pages, server actions and route handlers all ask `can()`;
// nothing else decides who may do what. Credentials (keys and tokens) are compared with their
// makers as permission *sets* (`credentialExceeds`), never by role rank.

export const PERMISSIONS = [
  "api_keys.read", // see the workspace's keys on the API tab
  "api_keys.manage", // create, edit, enable/disable, bearer, revoke, revoke all
  "api_keys.service", // create keys with no owner (workspace service keys)
  "api_keys.import", // create a key from an existing secret (migrating from another system)
  "tokens.own", // personal tokens for oneself, where the workspace allows them
  "workspace.settings", // API settings: feature toggle, lifetime, personal tokens
  "members.manage", // roles, the Manage API Keys grant, removing members
  "audit.read", // the workspace audit log
  "users.manage", // Global Admins only: every user and every workspace
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: [
    "api_keys.read",
    "api_keys.manage",
    "api_keys.service",
    "api_keys.import",
    "tokens.own",
    "workspace.settings",
    "members.manage",
    "audit.read",
  ],
  manager: ["tokens.own"],
  member: ["tokens.own"],
  guest: [],
};

/** What the Manage API Keys grant adds to a membership that lacks it. */
export const MANAGE_API_KEYS_GRANT: readonly Permission[] = ["api_keys.read", "api_keys.manage"];

export const ROLE_LABELS: Record<Role, string> = {
  admin: "Admin",
  manager: "Manager",
  member: "Member",
  guest: "Guest",
};

export interface Principal {
  isGlobalAdmin: boolean;
  /** null when the user has no membership (only a Global Admin may then see the workspace). */
  role: Role | null;
  canManageApiKeys: boolean;
  /**
   * For a principal acting through a key: what the key's maker could do (∩ its owner) when the
   * key was made. The key never does more, whatever its owner is promoted to later. Absent or
   * null: no ceiling (a signed-in person, or a key made before ceilings were recorded).
   */
  ceiling?: readonly string[] | null;
}

/** What a user may do in a workspace given their standing there, before any key's ceiling. */
function standingPermissions(p: Principal): Set<Permission> {
  if (p.isGlobalAdmin) return new Set(PERMISSIONS);
  if (!p.role) return new Set();
  const set = new Set<Permission>(ROLE_PERMISSIONS[p.role]);
  // Guests get nothing on the API tab, grant or not.
  if (p.canManageApiKeys && p.role !== "guest") for (const perm of MANAGE_API_KEYS_GRANT) set.add(perm);
  return set;
}

/** The effective permission set: the standing now, cut down to the ceiling when there is one. */
export function permissionsOf(p: Principal): Set<Permission> {
  const set = standingPermissions(p);
  if (p.ceiling) {
    const ceiling = new Set(p.ceiling);
    for (const perm of set) if (!ceiling.has(perm)) set.delete(perm);
  }
  return set;
}

export function can(p: Principal, permission: Permission): boolean {
  return permissionsOf(p).has(permission);
}

/** Each permission (and scope) in `want` that `have` lacks: empty when want ⊆ have. */
export function missingFrom<T extends string>(want: Iterable<T>, have: Iterable<T> | null): T[] {
  if (have === null) return [];
  const haveSet = new Set(have);
  return [...want].filter((x) => !haveSet.has(x));
}

/**
 * The one escalation check. A credential (key or token) is described by the permissions it
 * would act with and the scopes it would carry; its maker by theirs (scopes null: a signed-in
 * person, who is not limited by scopes). Returns what the credential would hold beyond its
 * maker, or null when it holds nothing more. Used for creating *and* changing credentials.
 */
export function credentialExceeds(
  maker: { permissions: ReadonlySet<Permission>; scopes: readonly string[] | null },
  credential: { permissions: ReadonlySet<Permission>; scopes: readonly string[] },
): { permissions: Permission[]; scopes: string[] } | null {
  const permissions = missingFrom(credential.permissions, maker.permissions);
  const scopes = missingFrom(credential.scopes, maker.scopes);
  return permissions.length || scopes.length ? { permissions, scopes } : null;
}

/** Why the API tab is closed to this principal, in words for the page. */
export function apiTabDenialReason(p: Principal): string {
  if (!p.role) return "You are not a member of this workspace.";
  if (p.role === "guest") return "Guests cannot view or manage API keys. Ask a workspace Admin if you need API access.";
  if (p.role === "manager") return "Managers can manage API keys only with the Manage API Keys grant. Ask a workspace Admin to grant it.";
  return "Only workspace Admins, and members with the Manage API Keys grant, can create and manage API keys. Ask a workspace Admin if you need a key.";
}
