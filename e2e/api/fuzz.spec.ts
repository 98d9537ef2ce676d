import fc from "fast-check";
import { api, createApiKey, expect, randomAddress, STATUS_NAMES, test, uniqueName, wellFormedUnknownSecret, type Method } from "./api-helpers";

// Property: whatever method, headers, query and body reach any route, the answer is the JSON
// envelope and a 4xx — never a 5xx, and never a 2xx unless a valid key was sent. The valid key
// used here is read-only (no write scopes), so the random requests cannot change anything.

const SEED = Number(process.env.FC_SEED ?? 20_261_122);
const RUNS = Number(process.env.FC_RUNS ?? 150);

const METHODS: Method[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/** Every route, with the methods it supports. */
const ROUTES: Record<string, Method[]> = {
  "/api/data/api-keys": ["GET", "POST"],
  "/api/data/api-keys/search": ["POST"],
  "/api/data/api-keys/{id}": ["GET", "PATCH"],
  "/api/data/api-keys/{id}/revoke": ["DELETE"],
  "/api/data/api-keys/revoke-all": ["DELETE"],
  "/api/data/me": ["GET"],
  "/api/data/me/tokens": ["GET", "POST", "DELETE"],
  "/api/data/me/tokens/{id}": ["DELETE"],
  "/api/data/verify": ["POST"],
  "/api/data/{id}": METHODS, // the catch-all
  "/api/health": ["GET"],
  // No key: any token at all gets the same 200 (RFC 7009), and the valid key here is read-only,
  // so it would be revoked only if the fuzzer sent it as a token field.
  "/api/revoke": ["POST"],
};
const CONTENT_TYPES = [
  undefined,
  "application/json",
  "application/json; charset=utf-8",
  "application/x-www-form-urlencoded",
  "text/plain",
  "application/xml",
  "multipart/form-data; boundary=zz",
  "application/vnd.api+json",
  "application/octet-stream",
  "",
];

const ascii = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });

/** The valid key is a placeholder until the test has created it. */
const VALID = "<valid key>";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const random32 = fc.string({ unit: fc.constantFrom(...BASE62), minLength: 32, maxLength: 32 });
const SOME_UUID = "00000000-0000-4000-8000-000000000000";

const credential = fc.oneof(
  fc.constant(VALID),
  ascii(40),
  ascii(38).map((s) => `lk_${s}`),
  random32.map((r) => wellFormedUnknownSecret(r)),
  random32.map((r) => flipLast(wellFormedUnknownSecret(r))),
  fc.constant(""),
);

/** The same key with its last checksum character changed: malformed. */
function flipLast(secret: string): string {
  return secret.slice(0, -1) + (secret.endsWith("0") ? "1" : "0");
}

const id = fc.oneof(
  fc.uuid(),
  // (Not "." or "..": the URL parser would resolve them before the request is sent.)
  fc.string({ maxLength: 20 }).map((s) => (s === "" || s === "." || s === ".." ? "x" : encodeURIComponent(s))),
  fc.constantFrom("revoke", "search", "0", "null", "%00", "%2F"),
);

const field = fc.constantFrom(
  "key",
  "API_Key",
  "name",
  "page",
  "pageSize",
  "sort",
  "dir",
  "state",
  "ownerId",
  "scopes",
  "token",
  "via",
  "enabled",
  "expiresAt",
);
const value = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom("1", "0", "-1", "1e300", "9007199254740991", "99999999999", "true", "null", "[]", "asc", "created", "active", "bearer", SOME_UUID),
  fc.constant(VALID),
);

const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.dictionary(field, fc.oneof(value, fc.jsonValue({ maxDepth: 2 })), { maxKeys: 5 }).map((o) => JSON.stringify(o)),
  fc.array(fc.tuple(field, value), { maxLength: 5 }).map((pairs) => new URLSearchParams(pairs).toString()),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
);

const routeAndMethod = fc.constantFrom(...Object.keys(ROUTES)).chain((route) =>
  fc.record({
    route: fc.constant(route),
    // Mostly a method the route supports, so that most requests get past the routing.
    method: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...ROUTES[route]) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) }),
  }),
);

const requestCase = fc.record({
  target: routeAndMethod,
  id,
  authorization: fc.option(
    fc.oneof(
      credential.map((c) => `Bearer ${c}`),
      ascii(40),
      fc.constant("Basic dXNlcjpwdw=="),
    ),
    { nil: undefined },
  ),
  apiKey: fc.option(credential, { nil: undefined }),
  integration: fc.option(ascii(30), { nil: undefined }),
  query: fc.array(fc.tuple(fc.oneof(field, fc.string({ maxLength: 8 })), value), { maxLength: 4 }),
  body,
  contentType: fc.constantFrom(...CONTENT_TYPES),
});

test("any request to any route gets a 4xx envelope, never a 5xx, and a 2xx only with a valid key", async ({ request, acme }) => {
  test.setTimeout(120_000);
  const { secret } = await createApiKey(request, acme.admin.secret, {
    name: uniqueName("Fuzz reader"),
    scopes: ["me:read", "api_keys:read", "verify"],
  });
  const fill = (s: string) => s.split(VALID).join(secret);

  const seen = new Map<number, number>();
  let validKeyRequests = 0;
  const property = fc.asyncProperty(requestCase, async (c) => {
    const { route, method } = c.target;
    const path = route.replace("{id}", c.id);
    const headers: Record<string, string> = {};
    if (c.authorization !== undefined) headers.authorization = fill(c.authorization);
    if (c.apiKey !== undefined) headers["x-apikey"] = fill(c.apiKey);
    if (c.integration !== undefined) headers["x-integration-name"] = c.integration;
    if (c.contentType !== undefined) headers["content-type"] = c.contentType;
    const raw = typeof c.body === "string" ? fill(c.body) : c.body;
    const query = new URLSearchParams(c.query.map(([k, v]) => [k, fill(v)]));
    const sentValidKey =
      [headers.authorization, headers["x-apikey"], query.toString(), typeof raw === "string" ? raw : ""].some((s) => s?.includes(secret)) ||
      (Buffer.isBuffer(raw) && raw.includes(secret));

    // A fresh address per request: the rate limiter must not turn the whole run into 429s.
    const res = await api(request, method, query.size ? `${path}?${query}` : path, { headers, raw, xff: randomAddress() });
    seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
    if (sentValidKey) validKeyRequests += 1;
    const where = `${method} ${path} → ${res.status} ${res.text.slice(0, 300)}`;

    expect(res.status, where).toBeLessThan(500);
    expect(res.headers["content-type"], where).toMatch(/^application\/json/);
    expect(res.json, where).not.toBeNull();
    const healthGet = route === "/api/health" && method === "GET";
    const revokePost = route === "/api/revoke" && method === "POST";
    // An answer never echoes the key that was sent.
    expect(res.text.includes(secret), where).toBe(false);
    if (res.status < 300) {
      expect(sentValidKey || healthGet || revokePost, `2xx without a valid key: ${where}`).toBe(true);
      expect(res.json, where).toMatchObject({ success: true, hasError: false, statusCode: STATUS_NAMES[res.status] });
      return;
    }
    expect(res.status, where).toBeGreaterThanOrEqual(400);
    expect(res.json, where).toMatchObject({
      success: false,
      hasError: true,
      statusCode: expect.any(String),
      error: { message: expect.any(String), code: expect.any(String) },
    });
    expect(res.json!.statusCode, where).toBe(STATUS_NAMES[res.status]);
    expect(res.json!.error!.message.length, where).toBeGreaterThan(0);
    expect(res.json, where).not.toHaveProperty("data");
  });

  test.info().annotations.push({ type: "fast-check", description: `seed ${SEED}, ${RUNS} runs (FC_SEED / FC_RUNS to change)` });
  try {
    await fc.assert(property, { seed: SEED, numRuns: RUNS });
  } catch (err) {
    const cause = (err as Error).cause as Error | undefined;
    throw new Error(`Property failed with fast-check seed ${SEED} (rerun with FC_SEED=${SEED}).\n${(err as Error).message}\n${cause?.message ?? ""}`);
  }
  // The run was not vacuous: it reached the key checks, the routing and the valid key.
  const statuses = [...seen.keys()].sort();
  test.info().annotations.push({ type: "statuses", description: statuses.map((s) => `${s}×${seen.get(s)}`).join(" ") });
  expect(statuses).toEqual(expect.arrayContaining([401, 405]));
  expect(statuses.filter((s) => s >= 400).length).toBeGreaterThanOrEqual(4);
  expect(validKeyRequests).toBeGreaterThan(0);
});
