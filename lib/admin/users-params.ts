// URL parameter names and labels for Admin > Users. No imports: the client table reads these
// without pulling the database schema into the browser bundle.

export const ADMIN_USER_STATES = ["all", "active", "disabled"] as const;
export type AdminUserStateFilter = (typeof ADMIN_USER_STATES)[number];
export const ADMIN_USER_STATE_LABELS: Record<AdminUserStateFilter, string> = {
  all: "Active and disabled",
  active: "Active",
  disabled: "Disabled",
};

export const ADMIN_USER_SORTS = ["name", "email", "created"] as const;

/** The filter params (besides paging and sorting), in toolbar order. */
export const ADMIN_USER_FILTER_PARAMS = ["q", "state", "workspace"] as const;

export const ROLE_OPTIONS = [
  { value: "admin", label: "Admin" },
  { value: "manager", label: "Manager" },
  { value: "member", label: "Member" },
  { value: "guest", label: "Guest" },
] as const;
