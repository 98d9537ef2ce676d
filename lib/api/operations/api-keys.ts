import { createApiKey, getApiKey, listApiKeys, revokeAllApiKeys, revokeApiKey, rotateApiKey, topUpQuota, updateApiKey } from "@/lib/api-keys/core";
import { topUpSchema } from "@/lib/validations/limits";
import { createApiKeySchema, listApiKeysSchema, rotateApiKeySchema, updateApiKeySchema } from "@/lib/validations/api-keys";
import { apiKeyPageSchema, apiKeyResultSchema, createdApiKeySchema, revokeAllResultSchema, rotatedApiKeySchema } from "@/lib/validations/responses";
import { invalid } from "@/lib/errors";
import { optionalRevocationSchema, revocationQuerySchema } from "@/lib/validations/revocation";
import { defineOperation } from "./define";
import { EXAMPLE_API_KEY, EXAMPLE_SECRET, KEYS_MANAGE, KEYS_READ } from "./examples";

const KEY_ID = { id: "The key's id." };

const REASON_DOC =
  ' Say why with a JSON (or form) body {"reason": "compromised"} — one of compromised, superseded, no_longer_needed, owner_left, other ' +
  "(with reasonText, 1–200 characters) — or the same fields in the query (?reason=superseded), for clients that send no body with DELETE; " +
  "not both. Omitted, no reason is stored (revokedReason null). An unknown reason is a 400 and revokes nothing.";

/** The revocation's reason from the body, or from the query (?reason=…&reasonText=…); never both. */
function revocationFrom(input: unknown, url: URL): unknown {
  const reason = url.searchParams.get("reason");
  const reasonText = url.searchParams.get("reasonText");
  if (reason === null && reasonText === null) return input;
  const bodyHasFields = input !== null && typeof input === "object" && Object.keys(input).length > 0;
  if (bodyHasFields) throw invalid({ reason: ["Give the reason in the body or in the query, not both."] });
  return { reason: reason ?? undefined, reasonText: reasonText ?? undefined };
}
const PAGE_EXAMPLE = { items: [EXAMPLE_API_KEY], total: 1, page: 1, pageSize: 50 };

export const listApiKeysOperation = defineOperation({
  id: "listApiKeys",
  method: "GET",
  path: "/api/data/api-keys",
  tag: "API keys",
  summary: "List API keys",
  description: "The workspace's live keys (revoked keys are not listed), filtered, sorted and paged on the server. Personal tokens are not included.",
  scope: "api_keys:read",
  permission: KEYS_READ,
  query: listApiKeysSchema,
  examples: { query: { state: "active", sort: "name", dir: "asc", pageSize: "50" } },
  output: { component: "ApiKeyPage", schema: apiKeyPageSchema, example: PAGE_EXAMPLE },
  status: 200,
  async handler({ db, ctx, url }) {
    // ?key= is a credential, not a filter.
    const { key: _credential, ...query } = Object.fromEntries(url.searchParams);
    const page = await listApiKeys(db, ctx, query);
    return { items: page.rows, total: page.total, page: page.page, pageSize: page.pageSize };
  },
});

export const createApiKeyOperation = defineOperation({
  id: "createApiKey",
  method: "POST",
  path: "/api/data/api-keys",
  tag: "API keys",
  summary: "Create an API key",
  description:
    "Creates a key in the workspace and returns its secret. The secret is in this response only: it is stored as a hash and cannot be read again. " +
    "ownerId omitted: the key acts as the caller's user; null: a workspace service key (Admins only). expiresAt omitted: the workspace's maximum lifetime.",
  scope: "api_keys:write",
  permission: KEYS_MANAGE,
  body: { component: "CreateApiKeyRequest", schema: createApiKeySchema, required: true, invalidExample: { name: "" } },
  examples: { body: { name: "CI deploy", description: "Deploys from GitHub Actions", scopes: ["api_keys:read", "me:read"], bearerAllowed: true } },
  output: { component: "CreatedApiKey", schema: createdApiKeySchema, example: { key: EXAMPLE_API_KEY, secret: EXAMPLE_SECRET } },
  status: 201,
  location: (data) => `/api/data/api-keys/${data.key.id}`,
  async handler({ db, ctx, input }) {
    const { key, secret } = await createApiKey(db, ctx, input);
    return { key, secret };
  },
});

export const searchApiKeysOperation = defineOperation({
  id: "searchApiKeys",
  method: "POST",
  path: "/api/data/api-keys/search",
  tag: "API keys",
  summary: "Search API keys",
  description:
    "The same list as GET /api/data/api-keys with the filters in the body: for clients that send the key as a form field or a JSON API_Key property.",
  scope: "api_keys:read",
  permission: KEYS_READ,
  body: { component: "ListApiKeysRequest", schema: listApiKeysSchema, required: false, invalidExample: { pageSize: 500 } },
  examples: { body: { state: "active", sort: "lastUsed", dir: "desc", page: 1, pageSize: 50 } },
  readOnly: true,
  output: { component: "ApiKeyPage", schema: apiKeyPageSchema, example: PAGE_EXAMPLE },
  status: 200,
  async handler({ db, ctx, input }) {
    const page = await listApiKeys(db, ctx, input);
    return { items: page.rows, total: page.total, page: page.page, pageSize: page.pageSize };
  },
});

export const getApiKeyOperation = defineOperation({
  id: "getApiKey",
  method: "GET",
  path: "/api/data/api-keys/{id}",
  tag: "API keys",
  summary: "Get an API key",
  description: "One live key of the workspace. A revoked key, or a key of another workspace, is not found.",
  scope: "api_keys:read",
  permission: KEYS_READ,
  params: KEY_ID,
  examples: { params: { id: "$API_KEY_ID" } },
  output: { component: "ApiKeyResult", schema: apiKeyResultSchema, example: { key: EXAMPLE_API_KEY } },
  status: 200,
  notFound: true,
  handler: async ({ db, ctx }, { id }) => ({ key: await getApiKey(db, ctx, id) }),
});

export const updateApiKeyOperation = defineOperation({
  id: "updateApiKey",
  method: "PATCH",
  path: "/api/data/api-keys/{id}",
  tag: "API keys",
  summary: "Update an API key",
  description:
    "Changes the given fields of a live key and leaves the others as they are. Switching enabled or bearerAllowed takes effect on the key's next request.",
  scope: "api_keys:write",
  permission: KEYS_MANAGE,
  params: KEY_ID,
  body: { component: "UpdateApiKeyRequest", schema: updateApiKeySchema, required: false, invalidExample: { name: "" } },
  examples: { params: { id: "$API_KEY_ID" }, body: { enabled: false, description: "Paused while we rotate credentials" } },
  output: {
    component: "ApiKeyResult",
    schema: apiKeyResultSchema,
    example: { key: { ...EXAMPLE_API_KEY, enabled: false, description: "Paused while we rotate credentials", state: "disabled" } },
  },
  status: 200,
  notFound: true,
  handler: async ({ db, ctx, input }, { id }) => ({ key: await updateApiKey(db, ctx, id, input) }),
});

export const revokeApiKeyOperation = defineOperation({
  id: "revokeApiKey",
  method: "DELETE",
  path: "/api/data/api-keys/{id}/revoke",
  tag: "API keys",
  summary: "Revoke an API key",
  description: "Revokes a key for good: it stops working at once and cannot be restored. It stays in the audit log." + REASON_DOC,
  scope: "api_keys:write",
  permission: KEYS_MANAGE,
  params: KEY_ID,
  query: revocationQuerySchema,
  body: { component: "RevokeRequest", schema: optionalRevocationSchema, required: false, invalidExample: { reason: "stolen" } },
  examples: { params: { id: "$API_KEY_ID" }, body: { reason: "superseded" } },
  output: {
    component: "ApiKeyResult",
    schema: apiKeyResultSchema,
    example: { key: { ...EXAMPLE_API_KEY, revokedAt: "2026-03-15T08:00:00.000Z", revokedReason: "superseded", state: "revoked" } },
  },
  status: 200,
  notFound: true,
  handler: async ({ db, ctx, input, url }, { id }) => ({ key: await revokeApiKey(db, ctx, id, { revocation: revocationFrom(input, url) }) }),
});

export const revokeAllApiKeysOperation = defineOperation({
  id: "revokeAllApiKeys",
  method: "DELETE",
  path: "/api/data/api-keys/revoke-all",
  tag: "API keys",
  summary: "Revoke all API keys",
  description:
    "Revokes every live key of the workspace, including the one making this request. Personal tokens are left to their owners. Returns how many keys were revoked." +
    REASON_DOC,
  scope: "api_keys:write",
  permission: KEYS_MANAGE,
  query: revocationQuerySchema,
  body: { component: "RevokeRequest", schema: optionalRevocationSchema, required: false, invalidExample: { reason: "stolen" } },
  examples: { body: { reason: "compromised" } },
  output: { component: "RevokeAllResult", schema: revokeAllResultSchema, example: { revoked: 12 } },
  status: 200,
  handler: async ({ db, ctx, input, url }) => revokeAllApiKeys(db, ctx, revocationFrom(input, url)),
});

export const rotateApiKeyOperation = defineOperation({
  id: "rotateApiKey",
  method: "POST",
  path: "/api/data/api-keys/{id}/rotate",
  tag: "API keys",
  summary: "Rotate (roll) an API key",
  description:
    "Gives the key a new secret, returned in this response only; its id, name, owner, scopes and settings stay. The old secret keeps working " +
    'for an overlap ({"overlap": "now" | "1h" | "24h" | "7d" | {"seconds": n}}, at most 30 days) or until it has not been used for quietMinutes ' +
    '({"mode": "quiet", "quietMinutes": 60, "deadlineDays": 7}; retired at the deadline whatever its traffic). Meanwhile every response to it ' +
    "carries Latchkey-Key-Rotated and Latchkey-Key-Expires; afterwards it is refused as key_rotated. One old secret is accepted at a time: " +
    "rotating again retires a pending one at once. A request made with an old secret cannot rotate.",
  scope: "api_keys:write",
  permission: KEYS_MANAGE,
  params: KEY_ID,
  body: { component: "RotateApiKeyRequest", schema: rotateApiKeySchema, required: true, invalidExample: { overlap: "2h" } },
  examples: { params: { id: "$API_KEY_ID" }, body: { mode: "quiet", quietMinutes: 60, deadlineDays: 7 } },
  output: {
    component: "RotatedApiKey",
    schema: rotatedApiKeySchema,
    example: {
      key: { ...EXAMPLE_API_KEY, prefix: "lk_Q7wErT5y…" },
      secret: EXAMPLE_SECRET,
      previous: {
        prefix: EXAMPLE_API_KEY.prefix,
        newPrefix: "lk_Q7wErT5y…",
        mode: "quiet",
        rotatedAt: "2026-03-15T08:00:00.000Z",
        retireAt: "2026-03-22T08:00:00.000Z",
        quietMinutes: 60,
        requests: 0,
        lastUsedAt: null,
        retiredAt: null,
        retiredReason: null,
      },
    },
  },
  status: 200,
  notFound: true,
  handler: async ({ db, ctx, input }, { id }) => rotateApiKey(db, ctx, id, input),
});

export const topUpQuotaOperation = defineOperation({
  id: "topUpQuota",
  method: "POST",
  path: "/api/data/api-keys/{id}/quota/top-up",
  tag: "API keys",
  summary: "Top up a key's total quota",
  description:
    "Adds requests to a key's total quota (a key spent with quota_exhausted works again at once, on every instance). A daily or monthly quota starts again " +
    "by itself: raise its limit with PATCH instead. Recorded in the audit log as a change of the key's quota limit.",
  scope: "api_keys:write",
  permission: KEYS_MANAGE,
  params: KEY_ID,
  body: { component: "TopUpRequest", schema: topUpSchema, required: true, invalidExample: { requests: 0 } },
  examples: { params: { id: "$API_KEY_ID" }, body: { requests: 10000 } },
  output: {
    component: "ApiKeyResult",
    schema: apiKeyResultSchema,
    example: { key: { ...EXAMPLE_API_KEY, quota: { limit: 60000, period: "total", used: 50000, resetsAt: null } } },
  },
  status: 200,
  notFound: true,
  handler: async ({ db, ctx, input }, { id }) => ({ key: await topUpQuota(db, ctx, id, input) }),
});
