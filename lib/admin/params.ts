// URL parameter names and labels for the admin filters. No imports: client components read
// these without pulling the database schema into the browser bundle.

export const ADMIN_KEY_STATES = ["live", "active", "disabled", "expired", "revoked", "all"] as const;
export type AdminKeyStateFilter = (typeof ADMIN_KEY_STATES)[number];
export const ADMIN_KEY_STATE_LABELS: Record<AdminKeyStateFilter, string> = {
  live: "All live (not revoked)",
  active: "Active",
  disabled: "Disabled",
  expired: "Expired",
  revoked: "Revoked",
  all: "All, including revoked",
};

export const ADMIN_KEY_SORTS = ["name", "workspace", "owner", "created", "expires", "lastUsed"] as const;

/** The URL params the key filters use (besides paging and sorting), in toolbar order. */
export const ADMIN_KEY_FILTER_PARAMS = ["q", "workspace", "owner", "state", "expiringWithin", "idleFor", "neverUsed", "noExpiry"] as const;

/** The URL params the audit filters use (besides paging and direction). */
export const AUDIT_FILTER_PARAMS = ["workspace", "actor", "action", "key", "from", "to"] as const;
