import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { flushAccessLogs } from "@/lib/access-log/writer";
import { z } from "zod";
import type { OpenDatabase } from "@/db";
import { workspaces } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { createApiKey } from "@/lib/api-keys/core";
import { isWellFormedSecret } from "@/lib/api-keys/format";
import { contextFor, seedFixtures } from "@/lib/testing/fixtures";
import { createApiKeySchema, createTokenSchema, listApiKeysSchema, updateApiKeySchema } from "@/lib/validations/api-keys";
import { topUpSchema } from "@/lib/validations/limits";
import { createWebhookSchema, updateWebhookSchema } from "@/lib/validations/webhooks";
import { errorEnvelopeSchema } from "@/lib/validations/responses";
import { verifyRequestSchema } from "@/lib/validations/verify";
import {
  API_ERROR_CODES,
  buildOpenApiDocument,
  curlExample,
  exampleResponseOf,
  FIELD_NOTE_OVERRIDES,
  FIELD_NOTES,
  fieldNote,
  inputSchemasOf,
  originFrom,
  successSchemaOf,
} from "./openapi";
import { matchRoute } from "./dispatch";
import { OPERATIONS } from "./operations";
import { callApi } from "@/lib/testing/api";

// Written out here, not taken from OPERATIONS, so that a route dropped from the document fails.
const EXPECTED: [method: string, path: string, operationId: string][] = [
  ["POST", "/api/revoke", "revokeToken"],
  ["GET", "/api/health", "getHealth"],
  ["GET", "/api/health/live", "getLiveness"],
  ["GET", "/api/openapi.json", "getOpenApiDocument"],
  ["GET", "/api/data/api-keys", "listApiKeys"],
  ["POST", "/api/data/api-keys", "createApiKey"],
  ["POST", "/api/data/api-keys/search", "searchApiKeys"],
  ["GET", "/api/data/api-keys/{id}", "getApiKey"],
  ["PATCH", "/api/data/api-keys/{id}", "updateApiKey"],
  ["DELETE", "/api/data/api-keys/{id}/revoke", "revokeApiKey"],
  ["POST", "/api/data/api-keys/{id}/rotate", "rotateApiKey"],
  ["POST", "/api/data/api-keys/{id}/quota/top-up", "topUpQuota"],
  ["DELETE", "/api/data/api-keys/revoke-all", "revokeAllApiKeys"],
  ["GET", "/api/data/me", "getMe"],
  ["GET", "/api/data/me/tokens", "listMyTokens"],
  ["POST", "/api/data/me/tokens", "createMyToken"],
  ["DELETE", "/api/data/me/tokens", "deleteAllMyTokens"],
  ["DELETE", "/api/data/me/tokens/{id}", "deleteMyToken"],
  ["POST", "/api/data/verify", "verifyApiKey"],
  ["GET", "/api/data/audit", "listAuditEvents"],
  ["GET", "/api/data/webhooks", "listWebhookEndpoints"],
  ["POST", "/api/data/webhooks", "createWebhookEndpoint"],
  ["GET", "/api/data/webhooks/{id}", "getWebhookEndpoint"],
  ["PATCH", "/api/data/webhooks/{id}", "updateWebhookEndpoint"],
  ["DELETE", "/api/data/webhooks/{id}", "deleteWebhookEndpoint"],
  ["POST", "/api/data/webhooks/{id}/rotate-secret", "rotateWebhookSecret"],
  ["POST", "/api/data/webhooks/{id}/test", "sendTestWebhook"],
  ["GET", "/api/data/webhooks/{id}/deliveries", "listWebhookDeliveries"],
];
const UNAUTHENTICATED = new Set(["/api/health", "/api/health/live", "/api/openapi.json", "/api/revoke"]);
const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

type Json = Record<string, unknown>;
interface Operation {
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
  security?: unknown[];
  "x-required-scope"?: string;
  parameters?: { name: string; in: string; required: boolean; description?: string; schema: Json }[];
  requestBody?: { required: boolean; content: Record<string, { schema: { $ref: string }; example?: unknown }> };
  responses: Record<string, Json>;
}

const doc = buildOpenApiDocument("http://localhost:3000");
const paths = doc.paths as Record<string, Record<string, unknown>>;
const operation = (method: string, p: string) => paths[p]?.[method.toLowerCase()] as Operation | undefined;

/** Follows a local "#/a/b/c" JSON pointer. */
function resolvePointer(ref: string): unknown {
  expect(ref.startsWith("#/"), ref).toBe(true);
  return ref
    .slice(2)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce<unknown>((node, key) => (node as Json | undefined)?.[key], doc);
}
const deref = <T = Json>(node: Json): T => (typeof node.$ref === "string" ? (resolvePointer(node.$ref) as T) : (node as T));

function walk(node: unknown, visit: (n: Json, where: string) => void, where = "#") {
  if (Array.isArray(node)) node.forEach((n, i) => walk(n, visit, `${where}/${i}`));
  else if (node && typeof node === "object") {
    visit(node as Json, where);
    for (const [k, v] of Object.entries(node)) walk(v, visit, `${where}/${k}`);
  }
}

describe("the OpenAPI document", () => {
  it("is OpenAPI 3.1.0 with the given origin as its server", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.title).toBeTruthy();
    expect(doc.info.version).toBeTruthy();
    expect(doc.servers).toEqual([{ url: "http://localhost:3000" }]);
    expect("servers" in buildOpenApiDocument()).toBe(false);
  });

  it("has every route and method, and nothing else, each with a unique verb-noun operationId", () => {
    const found: [string, string, string][] = [];
    for (const [p, item] of Object.entries(paths))
      for (const m of HTTP_METHODS) if (item[m] && m !== "head") found.push([m.toUpperCase(), p, (item[m] as Operation).operationId]);
    expect(found.sort()).toEqual([...EXPECTED].sort());
    const ids = found.map((f) => f[2]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids)
      expect(id).toMatch(/^(get|list|create|search|update|revoke|rotate|delete|verify|revokeAll|deleteAll|topUp|send)[A-Z][A-Za-z]*$/);
    // HEAD, as the dispatcher answers it: every path with a GET, and no other.
    for (const [p, item] of Object.entries(paths)) {
      const get = item.get as Operation | undefined;
      expect((item.head as Operation | undefined)?.operationId, p).toBe(
        get ? `head${get.operationId[0].toUpperCase()}${get.operationId.slice(1)}` : undefined,
      );
      if (get) expect(Object.keys((item.head as Operation).responses).sort(), p).toEqual(Object.keys(get.responses).sort());
    }
    expect(OPERATIONS.map((o) => [o.method, o.path, o.id]).sort()).toEqual([...EXPECTED].sort());
  });

  it("matches what the dispatcher routes: the same methods per path, and the scope each requires", () => {
    const sample = (p: string) =>
      p
        .replace(/\{[^}]+\}/g, "3f2b8c1e-0000-4000-8000-000000000001")
        .slice(1)
        .split("/");
    for (const p of new Set(EXPECTED.map((e) => e[1]))) {
      const route = matchRoute(sample(p))?.route;
      const documented = EXPECTED.filter((e) => e[1] === p).map((e) => e[0]);
      expect([...(route?.byMethod.keys() ?? [])].sort(), p).toEqual(documented.sort());
      for (const [method, routed] of route!.byMethod) {
        const op = operation(method, p)!;
        expect(op.operationId).toBe(routed.id);
        expect(op["x-required-scope"] ?? null, `${method} ${p}`).toBe(routed.scope);
        if (routed.scope) expect(op.description).toContain(`\`${routed.scope}\``);
      }
    }
  });

  it("gives every authenticated operation 400, 401, 403, 429 and 500 responses, and the bare endpoints no security", () => {
    for (const [method, p] of EXPECTED) {
      const op = operation(method, p)!;
      if (UNAUTHENTICATED.has(p)) {
        expect(op.security, p).toEqual([]);
        expect(op.responses["401"]).toBeUndefined();
        continue;
      }
      expect(op.security, p).toBeUndefined(); // inherits the document's: bearer, X-ApiKey or ?key=
      for (const status of ["400", "401", "403", "429", "500"]) expect(op.responses[status], `${method} ${p} ${status}`).toBeDefined();
      if (method !== "GET") for (const status of ["413", "415"]) expect(op.responses[status], `${method} ${p} ${status}`).toBeDefined();
      expect(!!op.responses["404"], `${method} ${p} 404`).toBe(p.includes("{id}"));
      const success = method === "POST" && ["/api/data/api-keys", "/api/data/me/tokens", "/api/data/webhooks"].includes(p) ? "201" : "200";
      expect(op.responses[success], `${method} ${p} ${success}`).toBeDefined();
    }
    expect(operation("GET", "/api/health")!.responses["503"]).toBeDefined();
  });

  it("sends every error response as the ErrorEnvelope, 429 with Retry-After and 405 with Allow", () => {
    let errors = 0;
    for (const [method, p] of EXPECTED)
      for (const [status, raw] of Object.entries(operation(method, p)!.responses)) {
        if (Number(status) < 400) continue;
        const res = deref<{ content: Record<string, { schema: Json; examples?: Record<string, { value: unknown }> }> }>(raw);
        expect(res.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/ErrorEnvelope" });
        for (const ex of Object.values(res.content["application/json"].examples ?? {})) errorEnvelopeSchema.parse(ex.value);
        errors++;
      }
    expect(errors).toBeGreaterThan(60);
    const responses = doc.components.responses as Record<string, { headers?: Record<string, Json> }>;
    expect(responses.TooManyRequests.headers?.["Retry-After"]).toBeDefined();
    expect(responses.MethodNotAllowed.headers?.Allow).toBeDefined();
    // A database outage is a 503 with Retry-After everywhere: degraded health, and every keyed call.
    expect(responses.ServiceUnavailable.headers?.["Retry-After"]).toBeDefined();
    expect(responses.DatabaseUnavailable.headers?.["Retry-After"]).toBeDefined();
    for (const [method, p] of EXPECTED)
      if (!UNAUTHENTICATED.has(p))
        expect(operation(method, p)!.responses["503"], `${method} ${p}`).toEqual({ $ref: "#/components/responses/DatabaseUnavailable" });
    const err = doc.components.schemas.EnvelopeError as { properties: Json; required: string[] };
    expect(Object.keys(err.properties).sort()).toEqual(["additionalErrors", "code", "message", "technicalError", "validationErrors"]);
    expect(err.required.sort()).toEqual(["code", "message"]);
  });

  it("shows a real validation failure, with validationErrors, for every operation that takes input", () => {
    for (const id of [
      "listApiKeys",
      "createApiKey",
      "searchApiKeys",
      "updateApiKey",
      "createMyToken",
      "verifyApiKey",
      "createWebhookEndpoint",
      "updateWebhookEndpoint",
      "listWebhookDeliveries",
    ]) {
      const op = OPERATIONS.find((o) => o.id === id)!;
      const res = operation(op.method, op.path)!.responses["400"] as {
        content: Record<string, { examples: Record<string, { value: z.infer<typeof errorEnvelopeSchema> }> }>;
      };
      const example = res.content["application/json"].examples.validation_failed.value;
      expect(example.error.code).toBe("validation_failed");
      expect(Object.keys(example.error.validationErrors ?? {}).length, id).toBeGreaterThan(0);
    }
  });

  it("describes request bodies and query parameters with the handlers' own zod schemas", () => {
    const bodies: [string, z.ZodType, string[]][] = [
      ["createApiKey", createApiKeySchema, ["name"]],
      ["updateApiKey", updateApiKeySchema, []],
      ["searchApiKeys", listApiKeysSchema, []],
      ["createMyToken", createTokenSchema, ["name"]],
      ["verifyApiKey", verifyRequestSchema, ["token"]],
      ["topUpQuota", topUpSchema, ["requests"]],
      ["createWebhookEndpoint", createWebhookSchema, ["url", "events"]],
      ["updateWebhookEndpoint", updateWebhookSchema, []],
    ];
    for (const [id, schema, required] of bodies) {
      const op = OPERATIONS.find((o) => o.id === id)!;
      const ref = (operation(op.method, op.path)!.requestBody as unknown as { $ref: string }).$ref;
      const body = resolvePointer(ref) as { required: boolean; content: Record<string, { schema: { properties: Json; required?: string[] } }> };
      expect(Object.keys(body.content).sort()).toEqual(["application/json", "application/x-www-form-urlencoded"]);
      // The credential a body may carry is documented beside the fields, and is not one of them.
      const { API_Key: jsonKey, ...jsonFields } = body.content["application/json"].schema.properties;
      const { key: formKey, ...formFields } = body.content["application/x-www-form-urlencoded"].schema.properties;
      expect(jsonKey).toMatchObject({ type: "string" });
      expect(formKey).toMatchObject({ type: "string" });
      expect(formFields).toEqual(jsonFields);
      const component = { ...body.content["application/json"].schema, properties: jsonFields };
      const direct = z.toJSONSchema(schema, { io: "input" }) as { properties: Json; required?: string[] };
      expect(component.required ?? [], id).toEqual(required);
      expect(direct.required ?? [], id).toEqual(required);
      expect(Object.keys(component.properties).sort(), id).toEqual(Object.keys(direct.properties).sort());
      expect(body.required, id).toBe(required.length > 0);
      expect(inputSchemasOf(id).body).toBe(schema);
      // Each property is the zod output, not a hand-written copy (plus a description from FIELD_NOTES).
      const withoutNotes = Object.fromEntries(
        Object.entries(component.properties as Record<string, Json>).map(([k, { description: _d, ...v }]) => [k, v]),
      );
      expect(withoutNotes, id).toEqual(direct.properties);
      const name = ref.split("/").pop()!;
      for (const k of Object.keys(component.properties)) expect((component.properties[k] as Json).description, `${id}.${k}`).toBe(fieldNote(name, k));
    }
    const list = operation("GET", "/api/data/api-keys")!;
    const query = list.parameters!.map((p) => deref<NonNullable<Operation["parameters"]>[number]>(p)).filter((p) => p.in === "query");
    expect(query.map((p) => p.name).sort()).toEqual(Object.keys(listApiKeysSchema.shape).sort());
    expect(query.every((p) => !p.required)).toBe(true);
    expect(query.find((p) => p.name === "pageSize")!.schema).toMatchObject({ type: "integer", minimum: 1, maximum: 100, default: 20 });
    // Every field note names a field some endpoint really takes.
    const fields = new Set(bodies.flatMap(([, schema]) => Object.keys((z.toJSONSchema(schema, { io: "input" }) as { properties: Json }).properties)));
    for (const k of Object.keys(FIELD_NOTES)) expect(fields.has(k), k).toBe(true);
    const components = doc.components.requestBodies as Record<string, { content: Record<string, { schema: { properties?: Json } }> }>;
    for (const [component, notes] of Object.entries(FIELD_NOTE_OVERRIDES)) {
      // A request body's notes, or the notes of an operation's query (kept under its id).
      const query = OPERATIONS.find((o) => o.id === component && o.scope !== null && o.query);
      const fieldsOf = query && query.scope !== null ? query.query!.shape : components[component]?.content["application/json"].schema.properties;
      for (const k of Object.keys(notes)) expect(fieldsOf?.[k], `${component}.${k}`).toBeDefined();
    }
    const auditQuery = operation("GET", "/api/data/audit")!.parameters!.map((p) => deref<NonNullable<Operation["parameters"]>[number]>(p));
    expect(auditQuery.find((p) => p.name === "pageSize")!.description).toBe(FIELD_NOTE_OVERRIDES.listAuditEvents.pageSize);
    expect(query.find((p) => p.name === "ownerId")!.description).toBe(FIELD_NOTE_OVERRIDES.ListApiKeysRequest.ownerId);
  });

  it("has examples that pass the very schemas they illustrate, and no usable secret", () => {
    for (const op of OPERATIONS) {
      const { body, query } = inputSchemasOf(op.id);
      if (op.examples?.body) expect(body!.safeParse(op.examples?.body).success, op.id).toBe(true);
      if (op.examples?.query) expect(query!.safeParse(op.examples?.query).success, op.id).toBe(true);
      if (op.id === "getOpenApiDocument") continue;
      const example = exampleResponseOf(op.id);
      const parsed = successSchemaOf(op.id).safeParse(example);
      expect(parsed.error?.issues ?? [], op.id).toEqual([]);
      const media = (operation(op.method, op.path)!.responses[String(op.status)] as { content: Record<string, { example: unknown }> }).content;
      expect(media["application/json"].example).toEqual(example);
    }
    for (const id of ["createApiKey", "createMyToken"]) {
      const secret = (exampleResponseOf(id) as { data: { secret: string } }).data.secret;
      expect(isWellFormedSecret(secret)).toBe(false);
    }
  });

  it("declares the five credential channels: three as schemes, the body ones in words", () => {
    const schemes = doc.components.securitySchemes;
    expect(schemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(schemes.apiKeyHeader).toMatchObject({ type: "apiKey", in: "header", name: "X-ApiKey" });
    expect(schemes.apiKeyQuery).toMatchObject({ type: "apiKey", in: "query", name: "key" });
    expect(doc.security).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }, { apiKeyQuery: [] }]);
    expect(doc.info.description).toMatch(/API_Key/);
    expect(doc.info.description).toMatch(/form field `key`/);
  });

  it("lists every error code the verifier and the wrapper can answer with", () => {
    const codes = API_ERROR_CODES.map((c) => c.code);
    for (const code of [
      "missing_key",
      "malformed_key",
      "unknown_key",
      "key_revoked",
      "key_expired",
      "key_disabled",
      "bearer_not_allowed",
      "api_keys_disabled",
      "personal_tokens_disabled",
      "owner_removed",
      "owner_disabled",
      "scope_missing",
      "forbidden",
      "rate_limited",
      "payload_too_large",
      "conflicting_credentials",
      "validation_failed",
      "not_found",
      "method_not_allowed",
      "unsupported_media_type",
    ])
      expect(codes).toContain(code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  // No OpenAPI validator is installed (node_modules has only ajv 6, a draft-07 validator pulled in
  // by ESLint), so the structure the 3.1 specification requires is checked here instead.
  it("is structurally valid OpenAPI 3.1", () => {
    expect(
      Object.keys(doc).every(
        (k) =>
          ["openapi", "info", "jsonSchemaDialect", "servers", "paths", "webhooks", "components", "security", "tags", "externalDocs"].includes(k) ||
          k.startsWith("x-"),
      ),
    ).toBe(true);
    // Every $ref resolves.
    walk(doc, (n, where) => {
      if (typeof n.$ref === "string") expect(resolvePointer(n.$ref), `${where} → ${n.$ref}`).toBeDefined();
    });
    const tagNames = new Set<string>(doc.tags.map((t) => t.name));
    const schemes = new Set(Object.keys(doc.components.securitySchemes));
    for (const req of doc.security) for (const k of Object.keys(req)) expect(schemes.has(k)).toBe(true);
    for (const [p, item] of Object.entries(paths)) {
      expect(p.startsWith("/")).toBe(true);
      const templated = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const pathParams = ((item.parameters ?? []) as { name: string; in: string; required: boolean }[]).filter((x) => x.in === "path");
      expect(pathParams.map((x) => x.name).sort(), p).toEqual(templated.sort());
      expect(pathParams.every((x) => x.required)).toBe(true);
      for (const m of HTTP_METHODS) {
        const op = item[m] as Operation | undefined;
        if (!op) continue;
        expect(op.tags.every((t) => tagNames.has(t))).toBe(true);
        expect(op.summary).toBeTruthy();
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
        for (const [status, raw] of Object.entries(op.responses)) {
          expect(status).toMatch(/^[1-5]\d\d$/);
          const res = deref<{ description: string; content?: Record<string, { schema: Json }> }>(raw);
          expect(typeof res.description).toBe("string");
          for (const media of Object.values(res.content ?? {})) expect(media.schema).toBeDefined();
        }
        for (const raw of op.parameters ?? []) {
          const param = deref<NonNullable<Operation["parameters"]>[number]>(raw);
          expect(["query", "header", "path", "cookie"]).toContain(param.in);
          expect(param.schema).toBeDefined();
        }
      }
    }
    for (const [name, scheme] of Object.entries(doc.components.securitySchemes)) {
      expect(["apiKey", "http", "mutualTLS", "oauth2", "openIdConnect"], name).toContain(scheme.type);
      if (scheme.type === "apiKey") expect(["query", "header", "cookie"]).toContain((scheme as { in: string }).in);
    }
    // Component schemas are plain JSON Schema 2020-12: no per-schema $schema/$id left behind by zod.
    for (const s of Object.values(doc.components.schemas)) {
      expect(s).not.toHaveProperty("$schema");
      expect(s).not.toHaveProperty("$id");
    }
    expect(() => JSON.parse(JSON.stringify(doc))).not.toThrow();
  });
});

describe("curl examples and the origin", () => {
  it("builds curl commands with the origin and a placeholder for the key", () => {
    const create = OPERATIONS.find((o) => o.id === "createApiKey")!;
    const curl = curlExample(create, "https://keys.example.com");
    expect(curl).toContain(`-X POST "https://keys.example.com/api/data/api-keys"`);
    expect(curl).toContain(`-H "X-ApiKey: $LATCHKEY_API_KEY"`);
    expect(curl).toContain(`-d '{"name":"CI deploy"`);
    expect(
      curlExample(
        OPERATIONS.find((o) => o.id === "getHealth")!,
        "http://localhost:3000",
      ),
    ).toBe(`curl -sS "http://localhost:3000/api/health"`);
    for (const op of OPERATIONS) expect(curlExample(op, "http://x")).not.toMatch(/\{id\}/);
  });

  it("reads the origin from the request headers", () => {
    expect(originFrom(new Headers({ host: "localhost:3000" }))).toBe("http://localhost:3000");
    expect(originFrom(new Headers({ host: "keys.example.com" }))).toBe("https://keys.example.com");
    expect(originFrom(new Headers({ host: "10.0.0.5:3000", "x-forwarded-proto": "http" }))).toBe("http://10.0.0.5:3000");
    expect(originFrom(new Headers({ host: "internal:3000", "x-forwarded-host": "keys.example.com", "x-forwarded-proto": "https,http" }))).toBe(
      "https://keys.example.com",
    );
  });
});

describe("GET /api/openapi.json", () => {
  const savedEnv = { public: process.env.LATCHKEY_PUBLIC_URL, auth: process.env.AUTH_URL };
  afterEach(() => {
    for (const [name, value] of [
      ["LATCHKEY_PUBLIC_URL", savedEnv.public],
      ["AUTH_URL", savedEnv.auth],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  /** The document's servers when fetched with these request headers. */
  async function serversFor(headers: Record<string, string>): Promise<unknown> {
    const res = await callApi(new Request("http://localhost:3300/api/openapi.json", { headers }));
    return (await res.json()).servers;
  }

  it("serves the document as public, cacheable JSON", async () => {
    delete process.env.LATCHKEY_PUBLIC_URL;
    delete process.env.AUTH_URL;
    const res = await callApi(new Request("http://localhost:3300/api/openapi.json", { headers: { host: "localhost:3300" } }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("cache-control")).toBe("public, max-age=300");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const body = await res.json();
    expect(body.openapi).toBe("3.1.0");
    expect(body.servers).toEqual([{ url: "/" }]);
    expect(Object.keys(body.paths).sort()).toEqual(Object.keys(paths).sort());
  });

  it("names the configured server, never one a request's Host or X-Forwarded-Host claims (the document is cached publicly)", async () => {
    const forged = { host: "evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" };
    delete process.env.LATCHKEY_PUBLIC_URL;
    delete process.env.AUTH_URL;
    expect(JSON.stringify(await serversFor(forged))).not.toContain("evil");
    expect(await serversFor(forged)).toEqual([{ url: "/" }]);

    process.env.AUTH_URL = "https://keys.example.com/api/auth";
    expect(await serversFor(forged)).toEqual([{ url: "https://keys.example.com" }]);

    process.env.LATCHKEY_PUBLIC_URL = "https://api.example.org/";
    expect(await serversFor(forged)).toEqual([{ url: "https://api.example.org" }]);

    // Not an http(s) URL: the next source, not the text itself.
    process.env.LATCHKEY_PUBLIC_URL = "javascript:alert(1)";
    expect(await serversFor(forged)).toEqual([{ url: "https://keys.example.com" }]);
    process.env.AUTH_URL = "keys.example.com";
    expect(await serversFor(forged)).toEqual([{ url: "/" }]);
  });

  it("answers other methods with a 405 envelope", async () => {
    for (const method of ["POST", "DELETE"]) {
      const res = await callApi(new Request("http://localhost/api/openapi.json", { method }));
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("GET");
      expect(errorEnvelopeSchema.parse(await res.json()).error.code).toBe("method_not_allowed");
    }
  });
});

// The response schemas are only worth documenting if the handlers really answer that way: call
// every route handler against a test database and hold each body to its documented schema.
describe("real responses match the documented schemas", () => {
  let opened: OpenDatabase;
  let secret: string;
  let narrowSecret: string;
  const g = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase> };

  beforeAll(async () => {
    opened = await createTestDatabase();
    await seedFixtures(opened.db);
    await opened.db.update(workspaces).set({ personalTokensAllowed: true }).where(eq(workspaces.slug, "acme"));
    const ctx = await contextFor(opened.db, "admin@acme.test", "acme");
    ({ secret } = await createApiKey(opened.db, ctx, { name: "OpenAPI test key" }));
    ({ secret: narrowSecret } = await createApiKey(opened.db, ctx, { name: "Only me:read", scopes: ["me:read"] }));
    g.__latchkeyDb = Promise.resolve(opened);
  });
  afterAll(async () => {
    g.__latchkeyDb = undefined;
    // The routes queued access-log entries: write them before the database goes away.
    await flushAccessLogs();
    await opened?.close();
  });

  async function call(method: string, p: string, opts: { body?: unknown; key?: string | null; params?: Record<string, string> } = {}) {
    const op = OPERATIONS.find((o) => o.method === method && o.path === p);
    const headers = new Headers({ "x-forwarded-for": "198.51.100.9" });
    if (opts.key !== null) headers.set("x-apikey", opts.key ?? secret);
    if (opts.body !== undefined) headers.set("content-type", "application/json");
    let url = `http://localhost${p}`;
    for (const [k, v] of Object.entries(opts.params ?? {})) url = url.replace(`{${k}}`, v);
    const res = await callApi(new Request(url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) }));
    return { res, body: (await res.json()) as unknown, op };
  }

  async function expectDocumented(method: string, p: string, opts: Parameters<typeof call>[2] = {}) {
    const { res, body, op } = await call(method, p, opts);
    expect(res.status, `${method} ${p}: ${JSON.stringify(body)}`).toBe(op!.status);
    const parsed = successSchemaOf(op!.id).safeParse(body);
    expect(parsed.error?.issues ?? [], `${method} ${p}`).toEqual([]);
    return parsed.data!.data as Record<string, unknown>;
  }

  it("the API key endpoints", async () => {
    await expectDocumented("GET", "/api/data/api-keys");
    await expectDocumented("POST", "/api/data/api-keys/search", { body: { state: "all" } });
    const created = await expectDocumented("POST", "/api/data/api-keys", { body: { name: "Documented", expiresAt: "2027-01-31" } });
    const id = (created.key as { id: string }).id;
    await expectDocumented("GET", "/api/data/api-keys/{id}", { params: { id } });
    await expectDocumented("PATCH", "/api/data/api-keys/{id}", { params: { id }, body: { enabled: false, description: "" } });
    await expectDocumented("POST", "/api/data/api-keys/{id}/rotate", { params: { id }, body: { overlap: "1h" } });
    await expectDocumented("PATCH", "/api/data/api-keys/{id}", { params: { id }, body: { quota: { limit: 100, period: "total" } } });
    await expectDocumented("POST", "/api/data/api-keys/{id}/quota/top-up", { params: { id }, body: { requests: 50 } });
    await expectDocumented("DELETE", "/api/data/api-keys/{id}/revoke", { params: { id } });
  });

  it("the caller, verification and health", async () => {
    await expectDocumented("GET", "/api/data/me");
    const valid = await expectDocumented("POST", "/api/data/verify", { body: { token: secret } });
    expect(valid.valid).toBe(true);
    const unknown = await expectDocumented("POST", "/api/data/verify", { body: { token: "lk_nope" } });
    expect(unknown.valid).toBe(false);
    const { res, body } = await call("GET", "/api/health", { key: null });
    expect(res.status).toBe(200);
    successSchemaOf("getHealth").parse(body);
  });

  it("personal tokens", async () => {
    const created = await expectDocumented("POST", "/api/data/me/tokens", { body: { name: "Documented token" } });
    await expectDocumented("GET", "/api/data/me/tokens");
    await expectDocumented("DELETE", "/api/data/me/tokens/{id}", { params: { id: (created.token as { id: string }).id } });
    await expectDocumented("POST", "/api/data/me/tokens", { body: { name: "Another" } });
    await expectDocumented("DELETE", "/api/data/me/tokens");
  });

  it("answers a 201 with the Location of what it created, as documented", async () => {
    const key = await call("POST", "/api/data/api-keys", { body: { name: "Located key" } });
    expect(key.res.status).toBe(201);
    const keyId = (key.body as { data: { key: { id: string } } }).data.key.id;
    expect(key.res.headers.get("location")).toBe(`/api/data/api-keys/${keyId}`);
    const fetched = await call("GET", "/api/data/api-keys/{id}", { params: { id: keyId } });
    expect(fetched.res.status).toBe(200);
    const token = await call("POST", "/api/data/me/tokens", { body: { name: "Located token" } });
    expect(token.res.headers.get("location")).toBe(`/api/data/me/tokens/${(token.body as { data: { token: { id: string } } }).data.token.id}`);
    for (const id of ["createApiKey", "createMyToken"]) {
      const op = OPERATIONS.find((o) => o.id === id)!;
      expect(operation(op.method, op.path)!.responses["201"], id).toMatchObject({ headers: { Location: { schema: { type: "string" } } } });
    }
    // Nothing else is a 201, and nothing else says Location.
    const listed = await call("GET", "/api/data/api-keys");
    expect(listed.res.headers.get("location")).toBeNull();
  });

  it("errors: 400 validation, 401, 403 scope, 404", async () => {
    const cases: [Promise<{ res: Response; body: unknown }>, number, string][] = [
      [call("POST", "/api/data/api-keys", { body: { name: "" } }), 400, "validation_failed"],
      [call("GET", "/api/data/api-keys", { key: null }), 401, "missing_key"],
      [call("GET", "/api/data/api-keys", { key: narrowSecret }), 403, "scope_missing"],
      [call("GET", "/api/data/api-keys/{id}", { params: { id: "00000000-0000-4000-8000-000000000000" } }), 404, "not_found"],
    ];
    for (const [pending, status, code] of cases) {
      const { res, body } = await pending;
      expect(res.status).toBe(status);
      const parsed = errorEnvelopeSchema.parse(body);
      expect(parsed.error.code).toBe(code);
      if (code === "validation_failed") expect(parsed.error.validationErrors?.name).toBeDefined();
    }
  });

  it("revoke-all, last", async () => {
    const data = await expectDocumented("DELETE", "/api/data/api-keys/revoke-all");
    expect(data.revoked).toBeGreaterThan(0);
  });
});
