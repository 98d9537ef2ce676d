import { describe, it, expect } from "vitest";
import type { Role } from "@/db/schema";
import {
  MANAGE_API_KEYS_GRANT,
  PERMISSIONS,
  apiTabDenialReason,
  can,
  effectiveRole,
  permissionsOf,
  type Permission,
  type Principal,
} from "./permissions";

const p = (role: Role | null, canManageApiKeys = false, isGlobalAdmin = false): Principal => ({ role, canManageApiKeys, isGlobalAdmin });
const sorted = (s: Set<Permission>) => [...s].sort();

describe("permissionsOf: the role → permission table", () => {
  const table: [string, Principal, Permission[]][] = [
    [
      "admin",
      p("admin"),
      ["api_keys.read", "api_keys.manage", "api_keys.service", "tokens.own", "workspace.settings", "members.manage", "audit.read"],
    ],
    [
      "admin + grant (no difference)",
      p("admin", true),
      ["api_keys.read", "api_keys.manage", "api_keys.service", "tokens.own", "workspace.settings", "members.manage", "audit.read"],
    ],
    ["manager", p("manager"), ["tokens.own"]],
    ["member", p("member"), ["tokens.own"]],
    ["guest", p("guest"), []],
    ["manager + Manage API Keys grant", p("manager", true), ["api_keys.read", "api_keys.manage", "tokens.own"]],
    ["member + Manage API Keys grant", p("member", true), ["api_keys.read", "api_keys.manage", "tokens.own"]],
    ["guest + Manage API Keys grant", p("guest", true), []],
    ["global admin without membership", p(null, false, true), [...PERMISSIONS]],
    ["global admin who is a guest here", p("guest", false, true), [...PERMISSIONS]],
    ["no membership", p(null), []],
    ["no membership with a stray grant flag", p(null, true), []],
  ];

  it.each(table)("%s", (_label, principal, expected) => {
    expect(sorted(permissionsOf(principal))).toEqual([...expected].sort());
    for (const perm of PERMISSIONS) expect(can(principal, perm)).toBe(expected.includes(perm));
  });

  it("the grant never adds service keys, settings, members or audit", () => {
    expect(MANAGE_API_KEYS_GRANT).toEqual(["api_keys.read", "api_keys.manage"]);
    for (const role of ["manager", "member"] as const) {
      const granted = p(role, true);
      for (const perm of ["api_keys.service", "workspace.settings", "members.manage", "audit.read"] as const)
        expect(can(granted, perm)).toBe(false);
    }
  });
});

describe("effectiveRole", () => {
  it("is the membership role, or admin for a Global Admin", () => {
    expect(effectiveRole(p("admin"))).toBe("admin");
    expect(effectiveRole(p("manager", true))).toBe("manager");
    expect(effectiveRole(p("member"))).toBe("member");
    expect(effectiveRole(p("guest"))).toBe("guest");
    expect(effectiveRole(p(null))).toBeNull();
    expect(effectiveRole(p(null, false, true))).toBe("admin");
    expect(effectiveRole(p("guest", false, true))).toBe("admin");
  });
});

describe("apiTabDenialReason", () => {
  it("tells a guest that guests cannot use the API tab", () => {
    expect(apiTabDenialReason(p("guest"))).toMatch(/^Guests cannot view or manage API keys\./);
  });

  it("tells a manager about the Manage API Keys grant", () => {
    const reason = apiTabDenialReason(p("manager"));
    expect(reason).toMatch(/^Managers can manage API keys only with the Manage API Keys grant\./);
    expect(reason).toContain("Ask a workspace Admin");
  });

  it("tells a member that only Admins and granted members manage keys", () => {
    const reason = apiTabDenialReason(p("member"));
    expect(reason).toMatch(/^Only workspace Admins, and members with the Manage API Keys grant/);
    expect(reason).not.toBe(apiTabDenialReason(p("manager")));
  });

  it("tells a non-member that they are not a member", () => {
    expect(apiTabDenialReason(p(null))).toBe("You are not a member of this workspace.");
  });
});
