import type { Role } from "@/db/schema";

// The one role → permission map (DESIGN.md "People and roles"). Pages, server actions and
// route handlers all ask `can()`; nothing else decides who may do what.

export const PERMISSIONS = [
  "api_keys.read", // see the workspace's keys on the API tab
  "api_keys.manage", // create, edit, enable/disable, bearer, revoke, revoke all
  "api_keys.service", // create keys with no owner (workspace service keys)
  "tokens.own", // personal tokens for oneself, where the workspace allows them
  "workspace.settings", // API settings: feature toggle, lifetime, personal tokens
  "members.manage", // roles, the Manage API Keys grant, removing members
  "audit.read", // the workspace audit log
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: [
    "api_keys.read",
    "api_keys.manage",
    "api_keys.service",
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

export const ROLE_RANK: Record<Role, number> = { guest: 0, member: 1, manager: 2, admin: 3 };

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
}

export function permissionsOf(p: Principal): Set<Permission> {
  if (p.isGlobalAdmin) return new Set(PERMISSIONS);
  if (!p.role) return new Set();
  const set = new Set<Permission>(ROLE_PERMISSIONS[p.role]);
  // Guests get nothing on the API tab, grant or not.
  if (p.canManageApiKeys && p.role !== "guest") for (const perm of MANAGE_API_KEYS_GRANT) set.add(perm);
  return set;
}

export function can(p: Principal, permission: Permission): boolean {
  return permissionsOf(p).has(permission);
}

/** The effective role for ranking: a Global Admin ranks as Admin everywhere. */
export function effectiveRole(p: Principal): Role | null {
  return p.isGlobalAdmin ? "admin" : p.role;
}

/** Why the API tab is closed to this principal, in words for the page. */
export function apiTabDenialReason(p: Principal): string {
  if (!p.role) return "You are not a member of this workspace.";
  if (p.role === "guest") return "Guests cannot view or manage API keys. Ask a workspace Admin if you need API access.";
  if (p.role === "manager")
    return "Managers can manage API keys only with the Manage API Keys grant. Ask a workspace Admin to grant it.";
  return "Only workspace Admins, and members with the Manage API Keys grant, can create and manage API keys. Ask a workspace Admin if you need a key.";
}
