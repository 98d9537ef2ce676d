import { z } from "zod";
import { KEY_NOT_FOUND, MANAGE_DENIED } from "@/lib/api-keys/core";
import { KEY_DISABLED, MISSING_KEY } from "@/lib/api-keys/verify";
import { DATABASE_UNAVAILABLE, INTERNAL_ERROR_MESSAGE, invalid, OUTCOME_UNKNOWN } from "@/lib/errors";
import { API_KEY_SCOPES, EXPIRING_SOON_DAYS, fieldErrorsOf, SCOPE_LABELS } from "@/lib/validations/api-keys";
import {
  apiKeyViewSchema,
  envelopeErrorSchema,
  envelopeSchema,
  errorEnvelopeSchema,
  personalTokenViewSchema,
  successEnvelope,
} from "@/lib/validations/responses";
import { INTEGRATION_NAME_MAX, MAX_BODY_BYTES } from "./limits";
import { OPERATIONS, API_TAGS, operationById, type Operation } from "./operations";
import { API_ERROR_CODES, ERROR_MESSAGES } from "./errors";
import { IDEMPOTENCY_HOURS } from "./limits";
import { isMutation } from "./operations/define";

export { API_ERROR_CODES };

// The OpenAPI 3.1 document of the REST API, generated from the very zod schemas the handlers
// parse their input with (io: "input") and the response schemas tests hold real responses to
// (io: "output"), so the document cannot drift from the code. Served at GET /api/openapi.json
// and rendered for people at /w/<slug>/account/api/reference.

/** The example response body (envelope included) of an operation. */
export function exampleResponseOf(operationId: string): unknown {
  const op = operationById(operationId);
  if (!op.output) return undefined;
  return { success: true, hasError: false, statusCode: op.status === 201 ? "Created" : "OK", data: op.output.example };
}

/** The zod schema of an operation's success body (envelope included), for tests of real responses. */
export function successSchemaOf(operationId: string) {
  const op = operationById(operationId);
  if (!op.output) throw new Error(`No enveloped response for ${operationId}`);
  return successEnvelope(op.output.schema, op.status === 201 ? "Created" : "OK");
}

/** The zod schemas an operation's input goes through: the body, or the query. */
export function inputSchemasOf(operationId: string): { body?: z.ZodType; query?: z.ZodObject } {
  const op = operationById(operationId);
  return op.scope === null ? {} : { body: op.body?.schema, query: op.query };
}

// ── Authentication, described ───────────────────────────────────────────────────────────────

export const CREDENTIAL_CHANNELS = [
  {
    where: "Header",
    value: "Authorization: Bearer <key>",
    note: "Only if the key's Bearer token flag is on (the default); otherwise 401 bearer_not_allowed.",
  },
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
  expiresAt: `${EXPIRY_WITHIN}. Omit for the maximum; null for never, where the workspace allows it.`,
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
  state: `Filter by state; revoked keys are never listed. "expiring": live keys (enabled or not) that expire within the next ${EXPIRING_SOON_DAYS} days.`,
  token: "The key to check, exactly as it was presented to your service.",
  via: 'How the key reached your service; "bearer" also checks the key\'s Bearer token flag.',
  ip: "The address of the client that presented the key (IPv4 or IPv6), to have the key's IP rules evaluated. Omit it and they are not: ipRules then says not_evaluated.",
  ipAllow:
    'Addresses and CIDR ranges (IPv4, IPv6) the key may be used from, at most 50; empty or omitted: any address not denied. Stored in canonical spelling ("10.0.0.1/32" becomes "10.0.0.1"); a range with host bits set ("10.0.0.1/8") and duplicates are refused.',
  ipDeny: "Addresses and CIDR ranges the key is refused from (403 ip_not_allowed), at most 50; deny wins over allow.",
  notBefore:
    "An ISO date-time before which the key is refused (401 key_not_yet_valid); null or omitted: it works from its creation. Must be before the expiry.",
  rateLimit:
    'Requests the key may make per window, {"limit": n, "window": "second" | "minute" | "hour"}: over it, 429 rate_limited with Retry-After. Omit for the workspace\'s default; null for none. A key that itself has limits cannot set them.',
  quota:
    'Requests the key may make per UTC day or month, or in total, {"limit": n, "period": "day" | "month" | "total"}: once used, 429 quota_exhausted. Omit for the workspace\'s default; null for none.',
  requests: "How many requests to add to the key's total quota (1 to 1,000,000,000).",
};

export const FIELD_NOTE_OVERRIDES: Record<string, Record<string, string>> = {
  ListApiKeysRequest: { ownerId: "Only keys that act as this member." },
  UpdateApiKeyRequest: {
    description: "Trimmed; an empty string or null clears it.",
    scopes: "The endpoint groups the key may call; replaces the current list.",
    expiresAt: `${EXPIRY_WITHIN}; null for never, where the workspace allows it.`,
    ipAllow: "Replaces the allow list ([] removes it: any address not denied). Same rules as at creation.",
    ipDeny: "Replaces the deny list ([] removes it).",
    rateLimit: 'Replaces the rate limit, {"limit": n, "window": "second" | "minute" | "hour"}; null removes it.',
    quota: 'Replaces the quota, {"limit": n, "period": "day" | "month" | "total"}; null removes it. A new kind of period starts counting from 0.',
  },
  CreateTokenRequest: {
    name: "Trimmed. Unique, ignoring case, among your live tokens.",
  },
  listAuditEvents: {
    pageSize: "Events per page.",
    dir: "Newest first (desc) or oldest first (asc).",
    actor: "Part of the acting person's email.",
    action: "Only events of this action.",
    apiKey: "A key's id, or the start of its name or display prefix.",
    from: "First day (UTC, YYYY-MM-DD), inclusive.",
    to: "Last day (UTC, YYYY-MM-DD), inclusive.",
  },
};

/**
 * The name a query's field notes are kept under: the body component with the same schema (the
 * key list and its search share theirs), else the operation's id.
 */
export function queryNotesComponent(op: Operation): string {
  if (op.scope === null || !op.query) return op.id;
  for (const o of OPERATIONS) if (o.scope !== null && o.body?.schema === op.query) return o.body.component;
  return op.id;
}

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

const envelopeName = (op: Operation) => `${op.output?.component}Envelope`;

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

const RETRY_AFTER = { "Retry-After": { description: "Seconds to wait before asking again.", schema: { type: "integer", minimum: 1 }, example: 5 } };

function sharedResponses() {
  return {
    BadRequest: errorResponse(
      `A malformed request: ${codesWith(400, ["validation_failed", "invalid_request"])}, or \`malformed_key\` when API_Key is not a string.`,
      {
        conflicting_credentials: { message: ERROR_MESSAGES.conflictingCredentials(["bearer", "x-apikey"]), code: "conflicting_credentials" },
        invalid_json: { message: ERROR_MESSAGES.invalidJson, code: "invalid_json" },
      },
      "BadRequest",
    ),
    Unauthorized: errorResponse(
      `No usable key: ${codesWith(401)}.`,
      {
        missing_key: { message: MISSING.message, code: MISSING.code, technicalError: MISSING.hint },
        key_disabled: { message: KEY_DISABLED.message, code: "key_disabled", technicalError: KEY_DISABLED.hint },
      },
      "Unauthorized",
    ),
    Forbidden: errorResponse(
      `The key is good but may not do this: ${codesWith(403)}.`,
      {
        scope_missing: {
          message: ERROR_MESSAGES.scopeMissing("api_keys:write"),
          code: "scope_missing",
          technicalError: ERROR_MESSAGES.scopesHeld(["api_keys:read", "me:read"]),
        },
        forbidden: { message: MANAGE_DENIED, code: "forbidden" },
      },
      "Forbidden",
    ),
    NotFound: errorResponse(
      "No such key or token in this workspace (`not_found`).",
      {
        not_found: { message: KEY_NOT_FOUND, code: "not_found" },
      },
      "NotFound",
    ),
    MethodNotAllowed: errorResponse(
      "The path exists but does not support this method (`method_not_allowed`). The Allow header lists the methods it supports.",
      { method_not_allowed: { message: ERROR_MESSAGES.methodNotAllowed(["GET", "POST"]), code: "method_not_allowed" } },
      "MethodNotAllowed",
      { Allow: { description: "The methods this path supports.", schema: { type: "string" }, example: "GET, POST" } },
    ),
    PayloadTooLarge: errorResponse(
      `The body is larger than ${MAX_BODY_BYTES / 1024} KiB (\`payload_too_large\`).`,
      {
        payload_too_large: { message: ERROR_MESSAGES.payloadTooLarge, code: "payload_too_large" },
      },
      "PayloadTooLarge",
    ),
    UnsupportedMediaType: errorResponse(
      "The body is neither JSON nor a urlencoded form (`unsupported_media_type`).",
      {
        unsupported_media_type: {
          message: ERROR_MESSAGES.unsupportedMediaType("text/plain"),
          code: "unsupported_media_type",
        },
      },
      "UnsupportedMediaType",
    ),
    TooManyRequests: errorResponse(
      "Too many failed authentications from this address (`rate_limited`). Wait the number of seconds in Retry-After.",
      {
        rate_limited: {
          message: ERROR_MESSAGES.rateLimited(42),
          code: "rate_limited",
        },
      },
      "TooManyRequests",
      { "Retry-After": { description: "Seconds to wait before trying again.", schema: { type: "integer", minimum: 1 }, example: 42 } },
    ),
    InternalServerError: errorResponse(
      "Something failed on the server (`internal_error`) that nobody foresaw; a change may or may not have been saved.",
      {
        internal_error: { message: INTERNAL_ERROR_MESSAGE, code: "internal_error" },
      },
      "InternalServerError",
    ),
    ServiceUnavailable: errorResponse(
      "Degraded: the database is not reachable (`database_unreachable`). Ask again after Retry-After seconds.",
      {
        database_unreachable: { message: ERROR_MESSAGES.databaseUnreachable, code: "database_unreachable" },
        shutting_down: { message: ERROR_MESSAGES.shuttingDown, code: "shutting_down" },
      },
      "ServiceUnavailable",
      RETRY_AFTER,
    ),
    IdempotencyKeyReused: errorResponse(
      "The Idempotency-Key was already used with a different request (`idempotency_key_reused`). Nothing was changed.",
      { idempotency_key_reused: { message: ERROR_MESSAGES.idempotencyKeyReused, code: "idempotency_key_reused" } },
      "UnprocessableEntity",
    ),
    DatabaseUnavailable: errorResponse(
      "The database could not be reached: before anything was saved (`database_unavailable`, nothing changed), or while a change was " +
        "being committed (`outcome_unknown`: retry with the same Idempotency-Key, or check before retrying). Retry after Retry-After seconds.",
      {
        database_unavailable: { message: DATABASE_UNAVAILABLE, code: "database_unavailable" },
        outcome_unknown: { message: OUTCOME_UNKNOWN, code: "outcome_unknown", technicalError: ERROR_MESSAGES.outcomeUnknownRetry },
      },
      "ServiceUnavailable",
      RETRY_AFTER,
    ),
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

/** The shared response (components.responses) each error status is described by. */
const SHARED_RESPONSE: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  413: "PayloadTooLarge",
  415: "UnsupportedMediaType",
  422: "IdempotencyKeyReused",
  429: "TooManyRequests",
  500: "InternalServerError",
  503: "ServiceUnavailable",
};

/**
 * The error statuses an operation may answer, in the order the document and the reference page
 * list them: every keyed call can fail input, authentication, scope or permission, method, rate
 * limit or the server; a path parameter may name nothing; a body may be too large or of the
 * wrong type. A public operation names its own.
 */
export function errorStatusesOf(op: Operation): number[] {
  if (op.scope === null) return [...(op.errorStatuses ?? [])];
  return [
    400,
    401,
    403,
    ...(op.notFound ? [404] : []),
    405,
    ...(op.method === "GET" ? [] : [413, 415]),
    ...(isMutation(op) ? [422] : []),
    429,
    500,
    503,
  ];
}

/** A 400 for an operation that takes input: a real validation failure of it, and the other 400s. */
function validationResponse(schema: z.ZodType, invalidExample: unknown) {
  return errorResponse(
    `Invalid input (\`validation_failed\`, with \`error.validationErrors\`), or a malformed request: ${codesWith(400, ["validation_failed", "invalid_request"])}.`,
    {
      validation_failed: validationExample(schema, invalidExample ?? { pageSize: "500" }),
      conflicting_credentials: { message: ERROR_MESSAGES.conflictingCredentials(["bearer", "x-apikey"]), code: "conflicting_credentials" },
    },
    "BadRequest",
  );
}

/** A request body schema with the credential property a body may carry (removed before validation). */
function withBodyCredential(schema: JsonSchema, name: "API_Key" | "key"): JsonSchema {
  const where = name === "key" ? "As a form field" : "As the JSON root property";
  return {
    ...schema,
    properties: {
      ...(schema.properties as Record<string, JsonSchema>),
      [name]: { type: "string", description: `${where}: the API key, instead of a header. Removed before the body is validated.` },
    },
  };
}

/** The OpenAPI 3.1 document; `origin` (e.g. "https://keys.example.com") becomes the server URL. */
export function buildOpenApiDocument(origin?: string) {
  // Request bodies live in components.requestBodies with their schemas inline: a field with a
  // default is optional to send, and generators (openapi-typescript among them) read a default
  // under components.schemas as "always present".
  const requestSchemas = Object.fromEntries(
    Object.entries(
      componentsFrom(
        OPERATIONS.flatMap((op) => (op.scope !== null && op.body ? [[op.body.component, op.body.schema] as [string, z.ZodType]] : [])),
        "input",
      ),
    ).map(([name, schema]) => [name, annotate(name, schema)]),
  );
  const requestBodies = Object.fromEntries(
    OPERATIONS.flatMap((op) => (op.scope !== null && op.body ? [op] : [])).map((op) => {
      const schema = requestSchemas[op.body!.component];
      return [
        op.body!.component,
        {
          description: BODY_NOTE,
          required: op.body!.required,
          content: {
            "application/json": { schema: withBodyCredential(schema, "API_Key"), ...(op.examples?.body ? { example: op.examples.body } : {}) },
            "application/x-www-form-urlencoded": { schema: withBodyCredential(schema, "key") },
          },
        },
      ];
    }),
  );
  const responseComponents = componentsFrom(
    [
      ["Envelope", envelopeSchema],
      ["ErrorEnvelope", errorEnvelopeSchema],
      ["EnvelopeError", envelopeErrorSchema],
      ["ApiKey", apiKeyViewSchema],
      ["PersonalToken", personalTokenViewSchema],
      ...OPERATIONS.flatMap((op) => (op.output ? [[op.output.component, op.output.schema] as [string, z.ZodType]] : [])),
      ...OPERATIONS.flatMap((op) =>
        op.output ? [[envelopeName(op), successEnvelope(op.output.schema, op.status === 201 ? "Created" : "OK")] as [string, z.ZodType]] : [],
      ),
    ],
    "output",
  );

  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const b = op.scope === null ? { query: undefined, body: undefined, notFound: false } : op;
    const item = (paths[op.path] ??= {});
    const allowed = OPERATIONS.filter((x) => x.path === op.path).map((x) => x.method);
    item.description =
      `Other methods on this path answer 405 (see components.responses.MethodNotAllowed) with Allow: ${allowed.join(", ")}. ` +
      `OPTIONS answers 204 with that Allow header${allowed.includes("GET") ? "; HEAD answers as GET does, without a body" : ""}.`;
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
    if (!op.output) {
      responses["200"] = {
        description: "The OpenAPI 3.1 document.",
        headers: { "Cache-Control": { schema: { type: "string" }, example: "public, max-age=300" } },
        content: { "application/json": { schema: { type: "object", required: ["openapi", "info", "paths"] } } },
      };
    } else {
      responses[String(op.status)] = {
        description: op.status === 201 ? "Created." : "OK.",
        ...(op.scope !== null
          ? {
              headers: {
                ...(op.location
                  ? { Location: { description: "The path of the resource just created.", schema: { type: "string", format: "uri-reference" } } }
                  : {}),
                "Latchkey-Key-Expires": { $ref: "#/components/headers/LatchkeyKeyExpires" },
                "Latchkey-Key-Rotated": { $ref: "#/components/headers/LatchkeyKeyRotated" },
              },
            }
          : {}),
        content: { "application/json": { schema: schemaRef(envelopeName(op)), example: exampleResponseOf(op.id) } },
      };
    }
    for (const status of errorStatusesOf(op))
      responses[String(status)] =
        status === 400 && (b.body || b.query)
          ? validationResponse(b.body?.schema ?? b.query!, b.body?.invalidExample)
          : responseRef(status === 503 && op.scope !== null ? "DatabaseUnavailable" : SHARED_RESPONSE[status]);

    item[op.method.toLowerCase()] = {
      operationId: op.id,
      summary: op.summary,
      description,
      tags: [op.tag],
      ...(authenticated ? { "x-required-scope": op.scope } : { security: [] }),
      ...(authenticated
        ? {
            parameters: [
              ...(b.query ? queryParameters(annotate(queryNotesComponent(op), z.toJSONSchema(b.query, { io: "input" }) as JsonSchema)) : []),
              { $ref: "#/components/parameters/IntegrationName" },
              ...(isMutation(op) ? [{ $ref: "#/components/parameters/IdempotencyKey" }] : []),
            ],
          }
        : {}),
      ...(b.body ? { requestBody: { $ref: `#/components/requestBodies/${b.body.component}` } } : {}),
      responses,
    };
    if (op.method === "GET")
      item.head = {
        operationId: `head${op.id[0].toUpperCase()}${op.id.slice(1)}`,
        summary: `${op.summary}: headers only`,
        description: `GET ${op.path} without the body: the same status and headers.`,
        tags: [op.tag],
        ...(authenticated ? { "x-required-scope": op.scope, parameters: [{ $ref: "#/components/parameters/IntegrationName" }] } : { security: [] }),
        responses: Object.fromEntries(Object.keys(responses).map((status) => [status, { description: "As GET answers, without the body." }])),
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
      schemas: responseComponents,
      requestBodies,
      parameters: {
        IdempotencyKey: {
          name: "Idempotency-Key",
          in: "header",
          required: false,
          description:
            `Makes a retry safe: the first answer to this key (per credential, kept ${IDEMPOTENCY_HOURS} hours) is sent again, marked ` +
            "Idempotent-Replayed: true, instead of making the change twice; the same key with a different request is a 422. " +
            'A replayed create answers with the key and "secret": null: the secret is shown once and never stored. ' +
            "Send a new key (a UUID) for every new change, and the same one when retrying, e.g. after outcome_unknown.",
          schema: { type: "string", minLength: 1, maxLength: 255, pattern: "^[\\x21-\\x7e]+$" },
        },
        IntegrationName: {
          name: "x-integration-name",
          in: "header",
          required: false,
          description: `Names the system making the call (e.g. github-actions). Recorded, up to ${INTEGRATION_NAME_MAX} characters, as the key's last-used integration and in its access log.`,
          schema: { type: "string", maxLength: INTEGRATION_NAME_MAX },
        },
      },
      responses: sharedResponses(),
      headers: {
        LatchkeyKeyExpires: {
          description:
            "When the credential sent stops working (RFC 3339, UTC, to the second): on every answer to a key that expires, and to an old " +
            "secret still accepted after a rotation (the earlier of the key's expiry and the end of the old secret's overlap; in quiet mode, " +
            "of its deadline and a quiet period from now). Absent for a key that never expires.",
          schema: { type: "string", format: "date-time" },
          example: "2027-01-31T23:59:59Z",
        },
        LatchkeyKeyRotated: {
          description:
            "Sent only with an old secret the key was rotated away from, while it is still accepted: the display prefix of the key's new secret (lk_ and its next 8 characters, without the ellipsis). " +
            "Switch to the new secret before Latchkey-Key-Expires; afterwards the old one is refused as key_rotated.",
          schema: { type: "string" },
          example: "lk_Q7wErT5y",
        },
      },
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
function publicServerUrl(env: Record<string, string | undefined> = process.env): string {
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
export function curlExample(op: Operation, origin: string): string {
  let path = op.path;
  for (const [name, value] of Object.entries(op.examples?.params ?? {})) path = path.replace(`{${name}}`, value);
  const query = op.examples?.query ? `?${new URLSearchParams(op.examples.query)}` : "";
  const lines = [`curl -sS${op.method === "GET" ? "" : ` -X ${op.method}`} "${origin}${path}${query}"`];
  if (op.scope) lines.push(`-H "X-ApiKey: $LATCHKEY_API_KEY"`);
  if (op.examples?.body) lines.push(`-H "Content-Type: application/json"`, `-d ${shellQuote(JSON.stringify(op.examples.body))}`);
  return lines.join(" \\\n  ");
}

// Built once per process (the schemas do not change at runtime); only the server URL varies.
let built: OpenApiDocument | undefined;

/** GET /api/openapi.json's body: the document, naming the configured server. */
export function openApiDocumentText(): string {
  built ??= buildOpenApiDocument();
  const { openapi, info, ...rest } = built;
  return JSON.stringify({ openapi, info, servers: [{ url: publicServerUrl() }], ...rest });
}
