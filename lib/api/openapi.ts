import { z } from "zod";
import { MISSING_KEY } from "@/lib/api-keys/verify";
import type { VerifyFailureCode } from "@/lib/api-keys/verify";
import { INTERNAL_ERROR_MESSAGE, invalid } from "@/lib/errors";
import {
  API_KEY_SCOPES,
  createApiKeySchema,
  createTokenSchema,
  fieldErrorsOf,
  listApiKeysSchema,
  SCOPE_LABELS,
  updateApiKeySchema,
  type ApiKeyScope,
} from "@/lib/validations/api-keys";
import {
  apiKeyPageSchema,
  apiKeyResultSchema,
  apiKeyViewSchema,
  createdApiKeySchema,
  createdTokenSchema,
  deleteAllTokensResultSchema,
  envelopeErrorSchema,
  envelopeSchema,
  errorEnvelopeSchema,
  healthSchema,
  meSchema,
  personalTokenViewSchema,
  revokeAllResultSchema,
  successEnvelope,
  tokenListSchema,
  tokenResultSchema,
  verifyResultSchema,
  VERIFY_FAILURE_CODES,
  type ApiKeyViewJson,
  type PersonalTokenViewJson,
} from "@/lib/validations/responses";
import { verifyRequestSchema } from "@/lib/validations/verify";
import { MAX_BODY_BYTES } from "./body";

// The OpenAPI 3.1 document of the REST API, generated from the very zod schemas the handlers
// parse their input with (io: "input") and the response schemas tests hold real responses to
// (io: "output"), so the document cannot drift from the code. Served at GET /api/openapi.json
// and rendered for people at /w/<slug>/account/api/reference.

export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE";

export const API_TAGS = [
  { name: "API keys", description: "The workspace's keys: list, create, change, revoke." },
  { name: "Personal tokens", description: "The calling user's own personal access tokens, where the workspace allows them." },
  { name: "Caller", description: "Who the presented key acts as." },
  { name: "Verification", description: "For integrating services: is a key presented to you good?" },
  { name: "Service", description: "Health and this description; no authentication." },
] as const;
export type ApiTag = (typeof API_TAGS)[number]["name"];

export interface ApiOperation {
  method: HttpMethod;
  /** OpenAPI path, with {id} templates. */
  path: string;
  operationId: string;
  tag: ApiTag;
  summary: string;
  description: string;
  /** The scope the key must carry; null for the endpoints that need no key. */
  scope: ApiKeyScope | null;
  /** What the key's owner must be allowed to do, in words (checked on every request). */
  permission: string | null;
  /** Shell variables for path templates, e.g. { id: "$API_KEY_ID" }. */
  pathExample?: Record<string, string>;
  exampleQuery?: Record<string, string>;
  exampleBody?: Record<string, unknown>;
  /** 200 or 201. */
  successStatus: 200 | 201;
}

// ── Example data (tests check every example against its schema) ────────────────────────────

const EXAMPLE_KEY_ID = "0b4e7c1a-5f2d-4e8b-9a3c-6d1f2e3a4b5c";
const EXAMPLE_USER_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
/** Not a usable key: its checksum is wrong on purpose. */
const EXAMPLE_SECRET = "lk_ExampleOnlyNotARealSecret000000000000000";

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
  permissionCeiling: ["api_keys.read", "api_keys.manage", "api_keys.service", "api_keys.import", "tokens.own", "workspace.settings", "members.manage", "audit.read"],
  lastUsedAt: "2026-03-14T16:02:11.000Z",
  lastUsedIp: "203.0.113.7",
  lastUsedIntegration: "github-actions",
  revokedAt: null,
  state: "active",
};

const EXAMPLE_TOKEN: PersonalTokenViewJson = {
  id: "9f1c2b3a-4d5e-4f60-8a7b-1c2d3e4f5a6b",
  name: "Laptop scripts",
  prefix: "lk_Zt8kP2mW…",
  createdAt: "2026-02-03T11:00:00.000Z",
  expiresAt: "2027-02-03T23:59:59.999Z",
  lastUsedAt: null,
};

const EXAMPLE_OWNER = { id: EXAMPLE_USER_ID, email: "ada@example.com", name: "Ada Admin" };

// ── The operations ──────────────────────────────────────────────────────────────────────────

interface OperationBinding {
  op: ApiOperation;
  query?: z.ZodObject;
  body?: { component: string; schema: z.ZodType; required: boolean; invalidExample: unknown };
  /** The `data` of the success envelope; absent for the OpenAPI document itself (no envelope). */
  response?: { component: string; schema: z.ZodType; example: unknown };
  /** Has an {id} that may not exist (404). */
  notFound?: boolean;
}

const KEYS_READ = "The key's owner must be allowed to view the workspace's API keys (Admin, or the Manage API Keys grant).";
const KEYS_MANAGE = "The key's owner must be allowed to manage the workspace's API keys (Admin, or the Manage API Keys grant).";
const TOKENS_OWN =
  "The key must act as a user (not a workspace service key) who may use personal tokens, in a workspace that allows them.";

const BINDINGS: OperationBinding[] = [
  {
    op: {
      method: "GET",
      path: "/api/data/api-keys",
      operationId: "listApiKeys",
      tag: "API keys",
      summary: "List API keys",
      description:
        "The workspace's live keys (revoked keys are not listed), filtered, sorted and paged on the server. Personal tokens are not included.",
      scope: "api_keys:read",
      permission: KEYS_READ,
      exampleQuery: { state: "active", sort: "name", dir: "asc", pageSize: "50" },
      successStatus: 200,
    },
    query: listApiKeysSchema,
    response: {
      component: "ApiKeyPage",
      schema: apiKeyPageSchema,
      example: { items: [EXAMPLE_API_KEY], total: 1, page: 1, pageSize: 50 },
    },
  },
  {
    op: {
      method: "POST",
      path: "/api/data/api-keys",
      operationId: "createApiKey",
      tag: "API keys",
      summary: "Create an API key",
      description:
        "Creates a key in the workspace and returns its secret. The secret is in this response only: it is stored as a hash and cannot be read again. " +
        "ownerId omitted: the key acts as the caller's user; null: a workspace service key (Admins only). expiresAt omitted: the workspace's maximum lifetime.",
      scope: "api_keys:write",
      permission: KEYS_MANAGE,
      exampleBody: { name: "CI deploy", description: "Deploys from GitHub Actions", scopes: ["api_keys:read", "me:read"], bearerAllowed: true },
      successStatus: 201,
    },
    body: { component: "CreateApiKeyRequest", schema: createApiKeySchema, required: true, invalidExample: { name: "" } },
    response: { component: "CreatedApiKey", schema: createdApiKeySchema, example: { key: EXAMPLE_API_KEY, secret: EXAMPLE_SECRET } },
  },
  {
    op: {
      method: "POST",
      path: "/api/data/api-keys/search",
      operationId: "searchApiKeys",
      tag: "API keys",
      summary: "Search API keys",
      description:
        "The same list as GET /api/data/api-keys with the filters in the body: for clients that send the key as a form field or a JSON API_Key property.",
      scope: "api_keys:read",
      permission: KEYS_READ,
      exampleBody: { state: "active", sort: "lastUsed", dir: "desc", page: 1, pageSize: 50 },
      successStatus: 200,
    },
    body: { component: "ListApiKeysRequest", schema: listApiKeysSchema, required: false, invalidExample: { pageSize: 500 } },
    response: {
      component: "ApiKeyPage",
      schema: apiKeyPageSchema,
      example: { items: [EXAMPLE_API_KEY], total: 1, page: 1, pageSize: 50 },
    },
  },
  {
    op: {
      method: "GET",
      path: "/api/data/api-keys/{id}",
      operationId: "getApiKey",
      tag: "API keys",
      summary: "Get an API key",
      description: "One live key of the workspace. A revoked key, or a key of another workspace, is not found.",
      scope: "api_keys:read",
      permission: KEYS_READ,
      pathExample: { id: "$API_KEY_ID" },
      successStatus: 200,
    },
    response: { component: "ApiKeyResult", schema: apiKeyResultSchema, example: { key: EXAMPLE_API_KEY } },
    notFound: true,
  },
  {
    op: {
      method: "PATCH",
      path: "/api/data/api-keys/{id}",
      operationId: "updateApiKey",
      tag: "API keys",
      summary: "Update an API key",
      description:
        "Changes the given fields of a live key and leaves the others as they are. Switching enabled or bearerAllowed takes effect on the key's next request.",
      scope: "api_keys:write",
      permission: KEYS_MANAGE,
      pathExample: { id: "$API_KEY_ID" },
      exampleBody: { enabled: false, description: "Paused while we rotate credentials" },
      successStatus: 200,
    },
    body: { component: "UpdateApiKeyRequest", schema: updateApiKeySchema, required: false, invalidExample: { name: "" } },
    response: {
      component: "ApiKeyResult",
      schema: apiKeyResultSchema,
      example: { key: { ...EXAMPLE_API_KEY, enabled: false, description: "Paused while we rotate credentials", state: "disabled" } },
    },
    notFound: true,
  },
  {
    op: {
      method: "DELETE",
      path: "/api/data/api-keys/{id}/revoke",
      operationId: "revokeApiKey",
      tag: "API keys",
      summary: "Revoke an API key",
      description: "Revokes a key for good: it stops working at once and cannot be restored. It stays in the audit log.",
      scope: "api_keys:write",
      permission: KEYS_MANAGE,
      pathExample: { id: "$API_KEY_ID" },
      successStatus: 200,
    },
    response: {
      component: "ApiKeyResult",
      schema: apiKeyResultSchema,
      example: { key: { ...EXAMPLE_API_KEY, revokedAt: "2026-03-15T08:00:00.000Z", state: "revoked" } },
    },
    notFound: true,
  },
  {
    op: {
      method: "DELETE",
      path: "/api/data/api-keys/revoke-all",
      operationId: "revokeAllApiKeys",
      tag: "API keys",
      summary: "Revoke all API keys",
      description:
        "Revokes every live key of the workspace, including the one making this request. Personal tokens are left to their owners. Returns how many keys were revoked.",
      scope: "api_keys:write",
      permission: KEYS_MANAGE,
      successStatus: 200,
    },
    response: { component: "RevokeAllResult", schema: revokeAllResultSchema, example: { revoked: 12 } },
  },
  {
    op: {
      method: "GET",
      path: "/api/data/me",
      operationId: "getMe",
      tag: "Caller",
      summary: "Get the caller",
      description: "The user the key acts as (null for a service key), the workspace, the user's role and permissions now, and the key itself.",
      scope: "me:read",
      permission: null,
      successStatus: 200,
    },
    response: {
      component: "Me",
      schema: meSchema,
      example: {
        user: EXAMPLE_OWNER,
        workspace: { id: "5d8a2f1e-3b4c-4d6e-8f90-a1b2c3d4e5f6", slug: "acme", name: "Acme Inc." },
        role: "admin",
        permissions: ["api_keys.read", "api_keys.manage"],
        key: {
          id: EXAMPLE_KEY_ID,
          name: "CI deploy",
          prefix: "lk_Ab3dE9xQ…",
          kind: "workspace",
          serviceKey: false,
          scopes: ["api_keys:read", "me:read"],
          expiresAt: "2027-01-31T23:59:59.999Z",
          bearerAllowed: true,
        },
      },
    },
  },
  {
    op: {
      method: "GET",
      path: "/api/data/me/tokens",
      operationId: "listMyTokens",
      tag: "Personal tokens",
      summary: "List my personal tokens",
      description: "The calling user's live personal tokens in this workspace, newest first.",
      scope: "tokens:write",
      permission: TOKENS_OWN,
      successStatus: 200,
    },
    response: { component: "TokenList", schema: tokenListSchema, example: { items: [EXAMPLE_TOKEN] } },
  },
  {
    op: {
      method: "POST",
      path: "/api/data/me/tokens",
      operationId: "createMyToken",
      tag: "Personal tokens",
      summary: "Create a personal token",
      description:
        "Creates a personal token for the calling user and returns its secret, once. The token acts as that user with every scope. expiresAt omitted: the workspace's maximum lifetime.",
      scope: "tokens:write",
      permission: TOKENS_OWN,
      exampleBody: { name: "Laptop scripts" },
      successStatus: 201,
    },
    body: { component: "CreateTokenRequest", schema: createTokenSchema, required: true, invalidExample: {} },
    response: { component: "CreatedToken", schema: createdTokenSchema, example: { token: EXAMPLE_TOKEN, secret: EXAMPLE_SECRET } },
  },
  {
    op: {
      method: "DELETE",
      path: "/api/data/me/tokens",
      operationId: "deleteAllMyTokens",
      tag: "Personal tokens",
      summary: "Delete all my personal tokens",
      description: "Deletes (revokes) every personal token of the calling user in this workspace. Returns how many were deleted.",
      scope: "tokens:write",
      permission: TOKENS_OWN,
      successStatus: 200,
    },
    response: { component: "DeleteAllTokensResult", schema: deleteAllTokensResultSchema, example: { deleted: 3 } },
  },
  {
    op: {
      method: "DELETE",
      path: "/api/data/me/tokens/{id}",
      operationId: "deleteMyToken",
      tag: "Personal tokens",
      summary: "Delete a personal token",
      description: "Deletes (revokes) one of the calling user's personal tokens. Another user's token is not found.",
      scope: "tokens:write",
      permission: TOKENS_OWN,
      pathExample: { id: "$TOKEN_ID" },
      successStatus: 200,
    },
    response: { component: "TokenResult", schema: tokenResultSchema, example: { token: EXAMPLE_TOKEN } },
    notFound: true,
  },
  {
    op: {
      method: "POST",
      path: "/api/data/verify",
      operationId: "verifyApiKey",
      tag: "Verification",
      summary: "Verify a presented key",
      description:
        "For a service that receives Latchkey keys from its own clients: is this key good, and if not, why? Answers 200 either way; valid says which. " +
        "Only keys of the caller's own workspace are described; any other key is reported as unknown_key. via \"bearer\" also checks the key's bearer flag.",
      scope: "verify",
      permission: null,
      exampleBody: { token: "<the key your client presented>", via: "bearer" },
      successStatus: 200,
    },
    body: { component: "VerifyRequest", schema: verifyRequestSchema, required: true, invalidExample: {} },
    response: {
      component: "VerifyResult",
      schema: verifyResultSchema,
      example: {
        valid: true,
        reason: null,
        message: "The API key is valid.",
        key: {
          id: EXAMPLE_KEY_ID,
          name: "CI deploy",
          prefix: "lk_Ab3dE9xQ…",
          kind: "workspace",
          scopes: ["api_keys:read", "me:read"],
          expiresAt: "2027-01-31T23:59:59.999Z",
        },
        workspace: { slug: "acme", name: "Acme Inc." },
        owner: EXAMPLE_OWNER,
        role: "admin",
      },
    },
  },
  {
    op: {
      method: "GET",
      path: "/api/health",
      operationId: "getHealth",
      tag: "Service",
      summary: "Check health",
      description: "Whether the service and its database answer. No key needed. 503 when the database is not reachable.",
      scope: null,
      permission: null,
      successStatus: 200,
    },
    response: { component: "Health", schema: healthSchema, example: { status: "ok", database: { kind: "postgres", reachable: true } } },
  },
  {
    op: {
      method: "GET",
      path: "/api/openapi.json",
      operationId: "getOpenApiDocument",
      tag: "Service",
      summary: "Get the OpenAPI document",
      description: "This API described as an OpenAPI 3.1 document (not wrapped in the envelope). No key needed.",
      scope: null,
      permission: null,
      successStatus: 200,
    },
  },
];

/** Every endpoint and method, in the order of the reference page. */
export const API_OPERATIONS: readonly ApiOperation[] = BINDINGS.map((b) => b.op);

/** The example response body (envelope included) of an operation. */
export function exampleResponseOf(operationId: string): unknown {
  const b = BINDINGS.find((x) => x.op.operationId === operationId);
  if (!b?.response) return undefined;
  return { success: true, hasError: false, statusCode: b.op.successStatus === 201 ? "Created" : "OK", data: b.response.example };
}

/** The zod schema of an operation's success body (envelope included), for tests of real responses. */
export function successSchemaOf(operationId: string) {
  const b = BINDINGS.find((x) => x.op.operationId === operationId);
  if (!b?.response) throw new Error(`No enveloped response for ${operationId}`);
  return successEnvelope(b.response.schema, b.op.successStatus === 201 ? "Created" : "OK");
}

/** The zod schemas an operation's input goes through: the body, or the query. */
export function inputSchemasOf(operationId: string): { body?: z.ZodType; query?: z.ZodObject } {
  const b = BINDINGS.find((x) => x.op.operationId === operationId);
  if (!b) throw new Error(`No operation ${operationId}`);
  return { body: b.body?.schema, query: b.query };
}

// ── Error codes ─────────────────────────────────────────────────────────────────────────────

export interface ApiErrorCode {
  code: string;
  status: number;
  meaning: string;
}

const VERIFY_FAILURES: Record<VerifyFailureCode, Omit<ApiErrorCode, "code">> = {
  missing_key: { status: 401, meaning: "No API key was sent." },
  malformed_key: {
    status: 401,
    meaning: "The key is empty or not in Latchkey's format (its checksum is wrong: check it was copied whole). 400 when API_Key is not a string.",
  },
  unknown_key: { status: 401, meaning: "No such key." },
  key_revoked: { status: 401, meaning: "The key was revoked." },
  key_expired: { status: 401, meaning: "The key's expiry date has passed." },
  key_disabled: { status: 401, meaning: "The key is switched off; an Admin can enable it again." },
  bearer_not_allowed: { status: 401, meaning: "The key was sent as Authorization: Bearer but its Bearer token flag is off. Use X-ApiKey." },
  api_keys_disabled: { status: 403, meaning: "API key authentication is turned off for the workspace." },
  personal_tokens_disabled: { status: 403, meaning: "A personal token was used where the workspace does not allow personal tokens." },
  owner_removed: { status: 403, meaning: "The user the key acts as is no longer a member of the workspace." },
  owner_disabled: { status: 403, meaning: "The user the key acts as has been disabled by a Global Admin; re-enabling them restores the key." },
};

/** Every `error.code` the API answers with, in the order of the reference page. */
export const API_ERROR_CODES: readonly ApiErrorCode[] = [
  ...VERIFY_FAILURE_CODES.map((code) => ({ code, ...VERIFY_FAILURES[code] })),
  { code: "scope_missing", status: 403, meaning: "The key lacks the scope the endpoint requires." },
  { code: "forbidden", status: 403, meaning: "The key's owner, as their role is now, may not do this (insufficient permission)." },
  { code: "conflicting_credentials", status: 400, meaning: "The request carries two different keys. Send exactly one." },
  { code: "validation_failed", status: 400, meaning: "The input is invalid; error.validationErrors lists the messages per field. Nothing was changed." },
  { code: "invalid_json", status: 400, meaning: "The body is not valid JSON." },
  { code: "not_found", status: 404, meaning: "No such key or token in this workspace (or it was revoked)." },
  { code: "no_such_endpoint", status: 404, meaning: "There is no endpoint at this path." },
  { code: "method_not_allowed", status: 405, meaning: "The endpoint does not support this method; the Allow header lists those it does." },
  { code: "payload_too_large", status: 413, meaning: `The body is larger than ${MAX_BODY_BYTES / 1024} KiB.` },
  { code: "unsupported_media_type", status: 415, meaning: "Send the body as application/json or application/x-www-form-urlencoded." },
  { code: "rate_limited", status: 429, meaning: "Too many failed authentications from this address; wait Retry-After seconds." },
  { code: "internal_error", status: 500, meaning: "Something failed on the server that nobody foresaw; check whether a change took effect before retrying it." },
  { code: "database_unavailable", status: 503, meaning: "The database could not be reached before anything was saved: nothing was changed; retry after Retry-After seconds." },
  { code: "outcome_unknown", status: 503, meaning: "The connection to the database was lost while a change was being committed: it may or may not have been saved. Check before retrying." },
  { code: "database_unreachable", status: 503, meaning: "GET /api/health only: the database does not answer." },
];

// ── Authentication, described ───────────────────────────────────────────────────────────────

export const CREDENTIAL_CHANNELS = [
  { where: "Header", value: "Authorization: Bearer <key>", note: "Only if the key's Bearer token flag is on (the default); otherwise 401 bearer_not_allowed." },
  { where: "Header", value: "X-ApiKey: <key>", note: "Always accepted. The recommended way." },
  { where: "Query parameter", value: "?key=<key>", note: "Accepted, but URLs end up in logs and browser history: prefer a header." },
  { where: "Form field", value: "key", note: "In an application/x-www-form-urlencoded body." },
  { where: "JSON property", value: "API_Key", note: "At the root of an application/json body; removed before the body is validated." },
] as const;

const AUTH_DESCRIPTION = [
  "Every /api/data endpoint needs a Latchkey API key (or personal token) of the workspace it acts in. The key is accepted from five places, looked for in this order:",
  "",
  ...CREDENTIAL_CHANNELS.map((c, i) => `${i + 1}. ${c.where} \`${c.value}\` — ${c.note}`),
  "",
  "OpenAPI can express only the first three as security schemes; the form field `key` and the JSON property `API_Key` work on every endpoint that takes a body. " +
    "Send exactly one key per request: the same key in two places is fine, two different keys are refused with 400 `conflicting_credentials`.",
  "",
  "Each endpoint needs one scope on the key (`x-required-scope`), and the key can never do more than its owner may do now.",
  "",
  "Every response, success or failure, is one JSON envelope: `{ success, hasError, statusCode, data?, error? }`; `error.code` says why a request failed. " +
    `Failed authentications are counted per client address; past the limit every request from it gets 429 with a Retry-After header. Bodies are limited to ${MAX_BODY_BYTES / 1024} KiB (413). ` +
    "A method an endpoint does not support is answered with 405 and an Allow header.",
].join("\n");

type JsonSchema = Record<string, unknown>;

// ── Field notes ─────────────────────────────────────────────────────────────────────────────

const EXPIRY_WITHIN = "A date (the end of that day, UTC) or an ISO date-time, within the workspace's maximum lifetime";

/**
 * What request fields mean, beyond what their zod schemas say (types, limits, defaults come from
 * the schemas). Keyed by property name, with overrides per request component where a field means
 * something else there; a test checks each still names a real field.
 */
export const FIELD_NOTES: Record<string, string> = {
  name: "Trimmed. Unique, ignoring case, among the workspace's live keys.",
  description: "Trimmed; an empty string clears it.",
  ownerId: "The member the key acts as. Omit for yourself; null for a workspace service key (Admins only).",
  expiresAt:
    `${EXPIRY_WITHIN}. Omit for the maximum; null for never, where the workspace allows it.`,
  bearerAllowed: "May the key be sent as Authorization: Bearer.",
  enabled: "A disabled key is refused until enabled again.",
  scopes: "The endpoint groups the key may call. Omit for all.",
  importedSecret: "Admins only: keep an existing secret when migrating from another system, instead of generating one.",
  logRequests: "Record each request made with the key in its access log.",
  logResponses: "Record each response to the key in its access log.",
  page: "1-based page number.",
  pageSize: "Keys per page.",
  sort: "Sort column.",
  dir: "Sort direction.",
  state: "Filter by state; revoked keys are never listed.",
  token: "The key to check, exactly as it was presented to your service.",
  via: 'How the key reached your service; "bearer" also checks the key\'s Bearer token flag.',
};

export const FIELD_NOTE_OVERRIDES: Record<string, Record<string, string>> = {
  ListApiKeysRequest: { ownerId: "Only keys that act as this member." },
  UpdateApiKeyRequest: {
    description: "Trimmed; an empty string or null clears it.",
    scopes: "The endpoint groups the key may call; replaces the current list.",
    expiresAt: `${EXPIRY_WITHIN}; null for never, where the workspace allows it.`,
  },
  CreateTokenRequest: {
    name: "Trimmed. Unique, ignoring case, among your live tokens.",
  },
};

/** The note for a request field of a component. */
export const fieldNote = (component: string, field: string): string | undefined => FIELD_NOTE_OVERRIDES[component]?.[field] ?? FIELD_NOTES[field];

/** Adds the field notes as descriptions to a request component's properties. */
function annotate(component: string, schema: JsonSchema): JsonSchema {
  const props = schema.properties as Record<string, JsonSchema> | undefined;
  if (!props) return schema;
  return {
    ...schema,
    properties: Object.fromEntries(
      Object.entries(props).map(([k, v]) => {
        const note = fieldNote(component, k);
        return [k, note && !v.description ? { description: note, ...v } : v];
      }),
    ),
  };
}

// ── Building the document ───────────────────────────────────────────────────────────────────

const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` });

/** z.toJSONSchema over a registry: one component per id, cross-references as $refs. */
function componentsFrom(entries: [string, z.ZodType][], io: "input" | "output"): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  const ids = new Set<string>();
  for (const [id, schema] of entries) {
    if (ids.has(id) || registry.has(schema)) continue;
    ids.add(id);
    registry.add(schema, { id });
  }
  const { schemas } = z.toJSONSchema(registry, { io, uri: (id) => `#/components/schemas/${id}` });
  const out: Record<string, JsonSchema> = {};
  for (const [name, s] of Object.entries(schemas)) {
    const { $schema: _dialect, $id: _id, ...rest } = s as JsonSchema;
    out[name] = rest;
  }
  return out;
}

const envelopeName = (b: OperationBinding) => `${b.response?.component}Envelope`;

type EnvelopeErrorInput = z.input<typeof envelopeErrorSchema>;

/** An error envelope, checked against its schema as it is built. */
const errorBody = (statusCode: string, error: EnvelopeErrorInput) => errorEnvelopeSchema.parse({ success: false, hasError: true, statusCode, error });

function errorResponse(description: string, examples: Record<string, EnvelopeErrorInput>, statusCode: string, headers?: JsonSchema) {
  return {
    description,
    ...(headers ? { headers } : {}),
    content: {
      "application/json": {
        schema: schemaRef("ErrorEnvelope"),
        examples: Object.fromEntries(Object.entries(examples).map(([k, error]) => [k, { value: errorBody(statusCode, error) }])),
      },
    },
  };
}

const codesWith = (status: number, except: string[] = []) =>
  API_ERROR_CODES.filter((c) => c.status === status && !except.includes(c.code))
    .map((c) => `\`${c.code}\``)
    .join(", ");

const MISSING = (() => {
  if (MISSING_KEY.ok) throw new Error("MISSING_KEY is a failure");
  return MISSING_KEY;
})();

function sharedResponses() {
  return {
    BadRequest: errorResponse(`A malformed request: ${codesWith(400, ["validation_failed"])}, or \`malformed_key\` when API_Key is not a string.`, {
      conflicting_credentials: {
        message: "The request carries more than one API key (bearer, x-apikey). Send exactly one.",
        code: "conflicting_credentials",
      },
      invalid_json: { message: "The request body is not valid JSON.", code: "invalid_json" },
    }, "BadRequest"),
    Unauthorized: errorResponse(`No usable key: ${codesWith(401)}.`, {
      missing_key: { message: MISSING.message, code: MISSING.code, technicalError: MISSING.hint },
      key_disabled: {
        message: "This API key is disabled.",
        code: "key_disabled",
        technicalError: "A workspace admin can re-enable it on the API tab.",
      },
    }, "Unauthorized"),
    Forbidden: errorResponse(`The key is good but may not do this: ${codesWith(403)}.`, {
      scope_missing: {
        message: "This API key lacks the api_keys:write scope.",
        code: "scope_missing",
        technicalError: "The key's scopes are: api_keys:read, me:read.",
      },
      forbidden: { message: "You don't have permission to manage API keys in this workspace.", code: "forbidden" },
    }, "Forbidden"),
    NotFound: errorResponse("No such key or token in this workspace (`not_found`).", {
      not_found: { message: "API key not found.", code: "not_found" },
    }, "NotFound"),
    MethodNotAllowed: errorResponse(
      "The path exists but does not support this method (`method_not_allowed`). The Allow header lists the methods it supports.",
      { method_not_allowed: { message: "Use GET or POST on this endpoint.", code: "method_not_allowed" } },
      "MethodNotAllowed",
      { Allow: { description: "The methods this path supports.", schema: { type: "string" }, example: "GET, POST" } },
    ),
    PayloadTooLarge: errorResponse(`The body is larger than ${MAX_BODY_BYTES / 1024} KiB (\`payload_too_large\`).`, {
      payload_too_large: { message: `The request body is larger than ${MAX_BODY_BYTES / 1024} KiB.`, code: "payload_too_large" },
    }, "PayloadTooLarge"),
    UnsupportedMediaType: errorResponse("The body is neither JSON nor a urlencoded form (`unsupported_media_type`).", {
      unsupported_media_type: {
        message: "Send the body as application/json or application/x-www-form-urlencoded, not text/plain.",
        code: "unsupported_media_type",
      },
    }, "UnsupportedMediaType"),
    TooManyRequests: errorResponse(
      "Too many failed authentications from this address (`rate_limited`). Wait the number of seconds in Retry-After.",
      {
        rate_limited: {
          message: "Too many failed authentication attempts from this address. Try again in 42 seconds.",
          code: "rate_limited",
        },
      },
      "TooManyRequests",
      { "Retry-After": { description: "Seconds to wait before trying again.", schema: { type: "integer", minimum: 1 }, example: 42 } },
    ),
    InternalServerError: errorResponse("Something failed on the server (`internal_error`) that nobody foresaw; a change may or may not have been saved.", {
      internal_error: { message: INTERNAL_ERROR_MESSAGE, code: "internal_error" },
    }, "InternalServerError"),
    ServiceUnavailable: errorResponse("The database is not reachable (`database_unreachable`).", {
      database_unreachable: { message: "The database is not reachable.", code: "database_unreachable" },
    }, "ServiceUnavailable"),
  };
}

/** The validation failure an invalid input really produces, as the handler would answer it. */
function validationExample(schema: z.ZodType, input: unknown) {
  const r = schema.safeParse(input);
  if (r.success) throw new Error(`openapi: the invalid example ${JSON.stringify(input)} is valid`);
  const err = invalid(fieldErrorsOf(r.error));
  return { message: err.message, code: "validation_failed", validationErrors: err.fieldErrors };
}

function queryParameters(schema: JsonSchema) {
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(props).map(([name, { description, ...s }]) => ({
    name,
    in: "query",
    required: required.has(name),
    ...(typeof description === "string" ? { description } : {}),
    schema: s,
  }));
}

const BODY_NOTE =
  "Send JSON or an application/x-www-form-urlencoded form (booleans as true/false, scopes as a repeated field). " +
  "The key may also travel in the body: as the form field `key`, or as the JSON root property `API_Key`; both are removed before the body is validated.";

/** The OpenAPI 3.1 document; `origin` (e.g. "https://keys.example.com") becomes the server URL. */
export function buildOpenApiDocument(origin?: string) {
  const requestComponents = Object.fromEntries(
    Object.entries(
      componentsFrom(
        BINDINGS.flatMap((b) => (b.body ? [[b.body.component, b.body.schema] as [string, z.ZodType]] : [])),
        "input",
      ),
    ).map(([name, schema]) => [name, annotate(name, schema)]),
  );
  const responseComponents = componentsFrom(
    [
      ["Envelope", envelopeSchema],
      ["ErrorEnvelope", errorEnvelopeSchema],
      ["EnvelopeError", envelopeErrorSchema],
      ["ApiKey", apiKeyViewSchema],
      ["PersonalToken", personalTokenViewSchema],
      ...BINDINGS.flatMap((b) => (b.response ? [[b.response.component, b.response.schema] as [string, z.ZodType]] : [])),
      ...BINDINGS.flatMap((b) =>
        b.response
          ? [[envelopeName(b), successEnvelope(b.response.schema, b.op.successStatus === 201 ? "Created" : "OK")] as [string, z.ZodType]]
          : [],
      ),
    ],
    "output",
  );
  const listQuery = annotate("ListApiKeysRequest", z.toJSONSchema(listApiKeysSchema, { io: "input" }) as JsonSchema);

  const paths: Record<string, Record<string, unknown>> = {};
  for (const b of BINDINGS) {
    const { op } = b;
    const item = (paths[op.path] ??= {});
    const allowed = BINDINGS.filter((x) => x.op.path === op.path).map((x) => x.op.method);
    item.description = `Other methods on this path answer 405 (see components.responses.MethodNotAllowed) with Allow: ${allowed.join(", ")}.`;
    if (op.path.includes("{id}"))
      item.parameters = [
        {
          name: "id",
          in: "path",
          required: true,
          description: op.path.startsWith("/api/data/me/tokens") ? "The token's id." : "The key's id.",
          schema: { type: "string", format: "uuid" },
        },
      ];

    const authenticated = op.scope !== null;
    const description = [
      op.description,
      authenticated ? `**Required scope:** \`${op.scope}\`.` : "**No authentication.**",
      op.permission ? op.permission : null,
    ]
      .filter(Boolean)
      .join("\n\n");

    const responses: Record<string, unknown> = {};
    if (!b.response) {
      responses["200"] = {
        description: "The OpenAPI 3.1 document.",
        headers: { "Cache-Control": { schema: { type: "string" }, example: "public, max-age=300" } },
        content: { "application/json": { schema: { type: "object", required: ["openapi", "info", "paths"] } } },
      };
    } else {
      responses[String(op.successStatus)] = {
        description: op.successStatus === 201 ? "Created." : "OK.",
        content: { "application/json": { schema: schemaRef(envelopeName(b)), example: exampleResponseOf(op.operationId) } },
      };
    }
    if (op.operationId === "getHealth") responses["503"] = responseRef("ServiceUnavailable");

    if (authenticated) {
      responses["400"] = b.body || b.query
        ? errorResponse(`Invalid input (\`validation_failed\`, with \`error.validationErrors\`), or a malformed request: ${codesWith(400, ["validation_failed"])}.`, {
            validation_failed: validationExample(b.body?.schema ?? b.query!, b.body?.invalidExample ?? { pageSize: "500" }),
            conflicting_credentials: {
              message: "The request carries more than one API key (bearer, x-apikey). Send exactly one.",
              code: "conflicting_credentials",
            },
          }, "BadRequest")
        : responseRef("BadRequest");
      responses["401"] = responseRef("Unauthorized");
      responses["403"] = responseRef("Forbidden");
      if (b.notFound) responses["404"] = responseRef("NotFound");
      if (op.method !== "GET") {
        responses["413"] = responseRef("PayloadTooLarge");
        responses["415"] = responseRef("UnsupportedMediaType");
      }
      responses["429"] = responseRef("TooManyRequests");
      responses["500"] = responseRef("InternalServerError");
    }

    item[op.method.toLowerCase()] = {
      operationId: op.operationId,
      summary: op.summary,
      description,
      tags: [op.tag],
      ...(authenticated ? { "x-required-scope": op.scope } : { security: [] }),
      ...(b.query ? { parameters: queryParameters(listQuery) } : {}),
      ...(b.body
        ? {
            requestBody: {
              required: b.body.required,
              description: BODY_NOTE,
              content: {
                "application/json": { schema: schemaRef(b.body.component), ...(op.exampleBody ? { example: op.exampleBody } : {}) },
                "application/x-www-form-urlencoded": { schema: schemaRef(b.body.component) },
              },
            },
          }
        : {}),
      responses,
    };
  }

  return {
    openapi: "3.1.0",
    info: {
      title: "Latchkey API",
      version: "1.0.0",
      summary: "Manage and verify a workspace's API keys.",
      description: AUTH_DESCRIPTION,
    },
    ...(origin ? { servers: [{ url: origin }] } : {}),
    tags: API_TAGS.map((t) => ({ ...t })),
    security: [{ bearerAuth: [] }, { apiKeyHeader: [] }, { apiKeyQuery: [] }],
    paths,
    components: {
      schemas: { ...responseComponents, ...requestComponents },
      responses: sharedResponses(),
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          description: "Authorization: Bearer <key>. Only for keys whose Bearer token flag is on (the default); otherwise 401 bearer_not_allowed.",
        },
        apiKeyHeader: { type: "apiKey", in: "header", name: "X-ApiKey", description: "X-ApiKey: <key>. Always accepted." },
        apiKeyQuery: {
          type: "apiKey",
          in: "query",
          name: "key",
          description:
            "?key=<key>. Accepted, but URLs end up in logs: prefer a header. Two further channels cannot be expressed as schemes: the form field `key` (urlencoded bodies) and the JSON root property `API_Key`.",
        },
      },
    },
    "x-scopes": Object.fromEntries(API_KEY_SCOPES.map((s) => [s, SCOPE_LABELS[s]])),
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;

// ── Helpers for the reference page and the route ───────────────────────────────────────────

/** An http(s) URL's origin, or undefined for anything else (unset, relative, another scheme). */
function httpOrigin(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The server URL the published document names: LATCHKEY_PUBLIC_URL, else AUTH_URL, else "/"
 * (relative to wherever the document was fetched). Never the request's Host or X-Forwarded-Host:
 * the document is publicly cacheable, and a forged Host must not send a cache's readers, and the
 * keys they try out, to another server.
 */
export function publicServerUrl(env: Record<string, string | undefined> = process.env): string {
  return httpOrigin(env.LATCHKEY_PUBLIC_URL) ?? httpOrigin(env.AUTH_URL) ?? "/";
}

/** The origin a client used to reach us, from the request headers (a reverse proxy's first). */
export function originFrom(h: Headers, fallback = "http://localhost:3000"): string {
  const host = h.get("x-forwarded-host")?.split(",")[0]?.trim() || h.get("host");
  if (!host) return fallback;
  const forwarded = h.get("x-forwarded-proto")?.split(",")[0]?.trim();
  const local = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(host);
  const proto = forwarded === "http" || forwarded === "https" ? forwarded : local ? "http" : "https";
  return `${proto}://${host}`;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A curl command for an operation, with $LATCHKEY_API_KEY standing in for the key. */
export function curlExample(op: ApiOperation, origin: string): string {
  let path = op.path;
  for (const [name, value] of Object.entries(op.pathExample ?? {})) path = path.replace(`{${name}}`, value);
  const query = op.exampleQuery ? `?${new URLSearchParams(op.exampleQuery)}` : "";
  const lines = [`curl -sS${op.method === "GET" ? "" : ` -X ${op.method}`} "${origin}${path}${query}"`];
  if (op.scope) lines.push(`-H "X-ApiKey: $LATCHKEY_API_KEY"`);
  if (op.exampleBody) lines.push(`-H "Content-Type: application/json"`, `-d ${shellQuote(JSON.stringify(op.exampleBody))}`);
  return lines.join(" \\\n  ");
}
