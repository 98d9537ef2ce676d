import { describe, it, expect } from "vitest";
import type { Role } from "@/db/schema";
import {
  MANAGE_API_KEYS_GRANT,
  PERMISSIONS,
  apiTabDenialReason,
  can,
  credentialExceeds,
  missingFrom,
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
      ["api_keys.read", "api_keys.manage", "api_keys.service", "api_keys.import", "tokens.own", "workspace.settings", "members.manage", "audit.read"],
    ],
    [
      "admin + grant (no difference)",
      p("admin", true),
      ["api_keys.read", "api_keys.manage", "api_keys.service", "api_keys.import", "tokens.own", "workspace.settings", "members.manage", "audit.read"],
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
      for (const perm of ["api_keys.service", "workspace.settings", "members.manage", "audit.read"] as const) expect(can(granted, perm)).toBe(false);
    }
  });
});

describe("a ceiling cuts the permission set down, never up", () => {
  it("intersects the standing with the ceiling", () => {
    expect(sorted(permissionsOf({ ...p("admin"), ceiling: ["tokens.own", "api_keys.read"] }))).toEqual(["api_keys.read", "tokens.own"]);
    // A promotion after the key was made adds nothing the ceiling lacks.
    expect(sorted(permissionsOf({ ...p("member"), ceiling: ["tokens.own", "api_keys.manage", "users.manage"] }))).toEqual(["tokens.own"]);
    expect(sorted(permissionsOf({ ...p(null, false, true), ceiling: ["audit.read"] }))).toEqual(["audit.read"]);
    expect(permissionsOf({ ...p("admin"), ceiling: [] }).size).toBe(0);
  });

  it("no ceiling (a person, or a key made before ceilings) leaves the standing as it is", () => {
    expect(sorted(permissionsOf({ ...p("manager", true), ceiling: null }))).toEqual(sorted(permissionsOf(p("manager", true))));
  });

  it("only Global Admins hold users.manage: a Global Admin's set is never a subset of a workspace Admin's", () => {
    expect(can(p("admin"), "users.manage")).toBe(false);
    expect(can(p("guest", false, true), "users.manage")).toBe(true);
  });
});

describe("credentialExceeds: permission sets and scopes, not ranks", () => {
  const set = (pr: Principal) => permissionsOf(pr);
  it("refuses an owner who may do more than the maker", () => {
    expect(
      credentialExceeds({ permissions: set(p("manager", true)), scopes: null }, { permissions: set(p("guest", false, true)), scopes: [] }),
    ).toEqual({
      permissions: ["api_keys.service", "api_keys.import", "workspace.settings", "members.manage", "audit.read", "users.manage"],
      scopes: [],
    });
    expect(credentialExceeds({ permissions: set(p("manager", true)), scopes: null }, { permissions: set(p("admin")), scopes: [] })).not.toBeNull();
  });

  it("allows an owner who may do no more, whatever the role names", () => {
    // A Member with the grant may do exactly what a Manager with the grant may.
    expect(
      credentialExceeds({ permissions: set(p("member", true)), scopes: null }, { permissions: set(p("manager", true)), scopes: ["me:read"] }),
    ).toBeNull();
    expect(
      credentialExceeds({ permissions: set(p("manager", true)), scopes: null }, { permissions: set(p("member")), scopes: ["me:read"] }),
    ).toBeNull();
  });

  it("refuses scopes the maker's key lacks; a person has no scope limit", () => {
    const maker = { permissions: set(p("admin")), scopes: ["api_keys:write"] };
    expect(credentialExceeds(maker, { permissions: set(p("admin")), scopes: ["api_keys:write", "me:read"] })).toEqual({
      permissions: [],
      scopes: ["me:read"],
    });
    expect(credentialExceeds(maker, { permissions: set(p("admin")), scopes: ["api_keys:write"] })).toBeNull();
    expect(credentialExceeds({ ...maker, scopes: null }, { permissions: set(p("admin")), scopes: ["me:read", "verify"] })).toBeNull();
  });

  it("missingFrom lists what the second set lacks", () => {
    expect(missingFrom(["a", "b", "c"], ["b"])).toEqual(["a", "c"]);
    expect(missingFrom(["a"], null)).toEqual([]);
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
