import { ROLE_PERMISSIONS } from "@/lib/auth/permissions";
import type { ApiKeyViewJson, PersonalTokenViewJson } from "@/lib/validations/responses";

// ── Example data (tests check every example against its schema) ────────────────────────────

export const EXAMPLE_KEY_ID = "0b4e7c1a-5f2d-4e8b-9a3c-6d1f2e3a4b5c";
export const EXAMPLE_USER_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
/** Not a usable key: its checksum is wrong on purpose. */
export const EXAMPLE_SECRET = "lk_ExampleOnlyNotARealSecret000000000000000";

export const EXAMPLE_API_KEY: ApiKeyViewJson = {
  id: EXAMPLE_KEY_ID,
  name: "CI deploy",
  description: "Deploys from GitHub Actions",
  ownerId: EXAMPLE_USER_ID,
  ownerName: "Ada Admin",
  ownerEmail: "ada@example.com",
  prefix: "lk_Ab3dE9xQ…",
  source: "generated",
  scopes: ["api_keys:read", "me:read"],
  expiresAt: "2027-01-31T23:59:59.999Z",
  enabled: true,
  bearerAllowed: true,
  logRequests: false,
  logResponses: false,
  createdAt: "2026-02-01T09:30:00.000Z",
  createdById: EXAMPLE_USER_ID,
  createdViaKeyId: null,
  permissionCeiling: [...ROLE_PERMISSIONS.admin],
  ipAllow: ["203.0.113.0/24", "2001:db8::/32"],
  ipDeny: [],
  notBefore: null,
  rateLimit: { limit: 100, window: "minute" },
  quota: null,
  lastUsedAt: "2026-03-14T16:02:11.000Z",
  lastUsedIp: "203.0.113.7",
  lastUsedIntegration: "github-actions",
  revokedAt: null,
  revokedReason: null,
  revokedReasonText: null,
  state: "active",
};

export const EXAMPLE_TOKEN: PersonalTokenViewJson = {
  id: "9f1c2b3a-4d5e-4f60-8a7b-1c2d3e4f5a6b",
  name: "Laptop scripts",
  prefix: "lk_Zt8kP2mW…",
  createdAt: "2026-02-03T11:00:00.000Z",
  expiresAt: "2027-02-03T23:59:59.999Z",
  lastUsedAt: null,
};

export const EXAMPLE_OWNER = { id: EXAMPLE_USER_ID, email: "ada@example.com", name: "Ada Admin" };

// ── What the key's owner must be allowed to do, in words ──────────────────────────────────

export const KEYS_READ = "The key's owner must be allowed to view the workspace's API keys (Admin, or the Manage API Keys grant).";
export const KEYS_MANAGE = "The key's owner must be allowed to manage the workspace's API keys (Admin, or the Manage API Keys grant).";
export const TOKENS_OWN = "The key must act as a user (not a workspace service key) who may use personal tokens, in a workspace that allows them.";
