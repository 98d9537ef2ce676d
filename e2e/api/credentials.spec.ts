import {
  api,
  badChecksumSecret,
  createApiKey,
  expect,
  expectError,
  expectOk,
  getApiKey,
  test,
  uniqueName,
  wellFormedUnknownSecret,
  type KeyPage,
  type MeView,
  type Via,
} from "./api-helpers";

// How a key is presented: the five channels, one key per request,
// and every reason a key is refused, each with its status and the envelope.

const SEARCH = "/api/data/api-keys/search";

test("every channel presents the key: Bearer, X-ApiKey, ?key=, form field key, JSON API_Key", async ({ request, acme }) => {
  const me = (via: Via) => api<MeView>(request, "GET", "/api/data/me", { key: acme.admin.secret, via });
  for (const via of ["bearer", "x-apikey", "query"] as const) expect(expectOk(await me(via)).key.id, via).toBe(acme.admin.keyId);
  // A GET carries no body through Next, so the body channels are shown on POST search.
  for (const via of ["form", "json", "bearer", "x-apikey", "query"] as const) {
    const page = expectOk(
      await api<KeyPage>(request, "POST", SEARCH, {
        key: acme.admin.secret,
        via,
        ...(via === "form" ? { form: { pageSize: "3" } } : { body: { pageSize: 3 } }),
      }),
    );
    expect(page.pageSize, via).toBe(3);
    expect(page.items.length, via).toBeGreaterThan(0);
  }
  // The scheme is case-insensitive and surrounding blanks are ignored.
  expectOk(await api(request, "GET", "/api/data/me", { headers: { authorization: `bearer   ${acme.admin.secret}  ` } }));
  expectOk(await api(request, "GET", "/api/data/me", { headers: { "X-ApiKey": ` ${acme.admin.secret} ` } }));
  // The credential is not taken for a filter.
  expect(expectOk(await api<KeyPage>(request, "GET", "/api/data/api-keys", { key: acme.admin.secret, via: "query" })).total).toBeGreaterThan(0);
});

test("the same key twice is fine; two different keys are a 400", async ({ request, acme, globex }) => {
  const other = await createApiKey(request, acme.admin.secret, { name: uniqueName("Second credential") });
  const a = acme.admin.secret;
  const b = other.secret;

  expectOk(await api(request, "GET", "/api/data/me", { headers: { authorization: `Bearer ${a}`, "x-apikey": a }, query: { key: a } }));
  expectOk(await api(request, "POST", SEARCH, { key: a, via: "json", query: { key: a } }));

  const cases = [
    api(request, "GET", "/api/data/me", { headers: { authorization: `Bearer ${a}`, "x-apikey": b } }),
    api(request, "GET", "/api/data/me", { headers: { "x-apikey": a }, query: { key: b } }),
    api(request, "GET", "/api/data/me", { query: { key: [a, b] } }),
    api(request, "POST", SEARCH, { key: a, via: "form", query: { key: b } }),
    api(request, "POST", SEARCH, { key: a, via: "json", headers: { "x-apikey": b } }),
    api(request, "POST", SEARCH, { key: a, via: "json", headers: { authorization: `Bearer ${globex.admin.secret}` } }),
    // Even a valid key next to garbage.
    api(request, "GET", "/api/data/me", { headers: { "x-apikey": a, authorization: "Bearer lk_nonsense" } }),
  ];
  for (const res of await Promise.all(cases)) {
    const error = expectError(res, 400, "conflicting_credentials");
    expect(error.message).toMatch(/more than one API key/);
    expect(res.text).not.toContain(a);
    expect(res.text).not.toContain(b);
  }
});

test("refusals say why: missing, malformed and unknown keys", async ({ request }) => {
  const xff = "198.51.100.10";
  const me = (opts: Parameters<typeof api>[3]) => api(request, "GET", "/api/data/me", { xff, ...opts });

  const missing = expectError(await me({}), 401, "missing_key");
  expect(missing.technicalError).toMatch(/X-ApiKey/);
  expectError(await me({ headers: { authorization: "Basic dXNlcjpwYXNz" } }), 401, "missing_key");
  expectError(await api(request, "POST", SEARCH, { xff, body: { pageSize: 1 } }), 401, "missing_key");

  for (const bad of ["garbage", "lk_", "lk_short", badChecksumSecret(), `${wellFormedUnknownSecret()}x`, "x".repeat(31)]) {
    const error = expectError(await me({ key: bad }), 401, "malformed_key");
    expect(error.technicalError).toMatch(/lk_ followed by 38 letters and digits/);
  }
  expectError(await me({ headers: { "x-apikey": "" } }), 401, "malformed_key");
  expectError(await me({ headers: { authorization: "Bearer" } }), 401, "malformed_key");
  expectError(await api(request, "POST", SEARCH, { xff, body: { API_Key: 12345 } }), 400, "malformed_key");
  expectError(await api(request, "POST", SEARCH, { xff, body: { API_Key: null } }), 400, "malformed_key");

  // (A second address: this test's failures stay under the rate limit.)
  for (const unknown of [wellFormedUnknownSecret(), "imported-secret-from-another-system-0123456789"])
    for (const via of ["bearer", "x-apikey", "query"] as const)
      expectError(await me({ key: unknown, via, xff: "198.51.100.11" }), 401, "unknown_key");
  expectError(await api(request, "POST", SEARCH, { xff: "198.51.100.11", key: wellFormedUnknownSecret(), via: "form" }), 401, "unknown_key");
  expectError(await api(request, "POST", SEARCH, { xff: "198.51.100.11", key: wellFormedUnknownSecret(), via: "json" }), 401, "unknown_key");
});

test("the bearer flag: off refuses Authorization: Bearer while X-ApiKey works", async ({ request, acme }) => {
  const { key, secret } = await createApiKey(request, acme.admin.secret, { name: uniqueName("Bearer flag") });
  const me = (via: Via) => api<MeView>(request, "GET", "/api/data/me", { key: secret, via, xff: "198.51.100.20" });
  expectOk(await me("bearer"));

  expectOk(await api(request, "PATCH", `/api/data/api-keys/${key.id}`, { key: acme.admin.secret, body: { bearerAllowed: false } }));
  const refused = expectError(await me("bearer"), 401, "bearer_not_allowed");
  expect(refused.technicalError).toMatch(/X-ApiKey/);
  expect(expectOk(await me("x-apikey")).key).toMatchObject({ id: key.id, bearerAllowed: false });
  expectOk(await me("query"));
  expectOk(await api(request, "POST", SEARCH, { key: secret, via: "json", xff: "198.51.100.20" }));

  expectOk(await api(request, "PATCH", `/api/data/api-keys/${key.id}`, { key: acme.admin.secret, body: { bearerAllowed: true } }));
  expectOk(await me("bearer"));

  // A key created without bearer (as the demo's CI deploy bot) is refused as a bearer from the start.
  const noBearer = await createApiKey(request, acme.admin.secret, { name: uniqueName("No bearer"), bearerAllowed: false });
  expectError(await api(request, "GET", "/api/data/me", { key: noBearer.secret, via: "bearer", xff: "198.51.100.20" }), 401, "bearer_not_allowed");
  expectOk(await api(request, "GET", "/api/data/me", { key: noBearer.secret, xff: "198.51.100.20" }));
});

test("a disabled key is refused on the very next request, and works again once enabled", async ({ request, acme }) => {
  const { key, secret } = await createApiKey(request, acme.admin.secret, { name: uniqueName("Disabled"), enabled: false });
  const me = (via: Via = "x-apikey") => api(request, "GET", "/api/data/me", { key: secret, via, xff: "198.51.100.30" });
  for (const via of ["bearer", "x-apikey", "query"] as const) {
    const error = expectError(await me(via), 401, "key_disabled");
    expect(error.technicalError).toMatch(/re-enable/);
  }
  expect((await getApiKey(request, acme.admin.secret, key.id)).state).toBe("disabled");

  expectOk(await api(request, "PATCH", `/api/data/api-keys/${key.id}`, { key: acme.admin.secret, body: { enabled: true } }));
  expectOk(await me());
  expectOk(await api(request, "PATCH", `/api/data/api-keys/${key.id}`, { key: acme.admin.secret, body: { enabled: false } }));
  expectError(await me(), 401, "key_disabled");
});

test("a key stops working when it expires", async ({ request, acme }) => {
  const expiresAt = new Date(Date.now() + 4_000).toISOString();
  const { key, secret } = await createApiKey(request, acme.admin.secret, { name: uniqueName("Short-lived"), expiresAt });
  expect(key.expiresAt).toBe(expiresAt);
  const me = () => api(request, "GET", "/api/data/me", { key: secret, xff: "198.51.100.40" });
  expectOk(await me());
  await expect.poll(async () => (await me()).json?.error?.code, { timeout: 15_000, intervals: [500] }).toBe("key_expired");
  const error = expectError(await me(), 401, "key_expired");
  expect(error.message).toContain(`expired on ${expiresAt.slice(0, 10)}`);
  expect((await getApiKey(request, acme.admin.secret, key.id)).state).toBe("expired");
  const expired = expectOk(
    await api<KeyPage>(request, "GET", "/api/data/api-keys", { key: acme.admin.secret, query: { state: "expired", pageSize: "100" } }),
  );
  expect(expired.items.map((k) => k.id)).toContain(key.id);
});

test("a revoked key is refused on every channel", async ({ request, acme }) => {
  const { key, secret } = await createApiKey(request, acme.admin.secret, { name: uniqueName("Revoked") });
  expectOk(await api(request, "DELETE", `/api/data/api-keys/${key.id}/revoke`, { key: acme.admin.secret }));
  for (const via of ["bearer", "x-apikey", "query"] as const)
    expectError(await api(request, "GET", "/api/data/me", { key: secret, via, xff: "198.51.100.50" }), 401, "key_revoked");
  for (const via of ["form", "json"] as const)
    expectError(await api(request, "POST", SEARCH, { key: secret, via, xff: "198.51.100.50" }), 401, "key_revoked");
});

test("a body over 64 KiB is a 413, another content type a 415, broken JSON a 400", async ({ request, acme }) => {
  const big = { API_Key: acme.admin.secret, padding: "x".repeat(64 * 1024) };
  expectError(await api(request, "POST", SEARCH, { body: big }), 413, "payload_too_large");
  expectError(
    await api(request, "POST", SEARCH, { key: acme.admin.secret, raw: "y".repeat(64 * 1024 + 1), headers: { "content-type": "application/json" } }),
    413,
    "payload_too_large",
  );
  expectError(
    await api(request, "POST", "/api/data/api-keys", { key: acme.admin.secret, form: { name: "z".repeat(70_000) } }),
    413,
    "payload_too_large",
  );
  // Exactly 64 KiB is still read.
  const exact = JSON.stringify({ pageSize: 1, padding: "" });
  expectOk(
    await api(request, "POST", SEARCH, {
      key: acme.admin.secret,
      raw: exact.replace('""', `"${"p".repeat(64 * 1024 - exact.length)}"`),
      headers: { "content-type": "application/json" },
    }),
  );

  for (const type of ["text/plain", "application/xml", "multipart/form-data; boundary=x"]) {
    const error = expectError(
      await api(request, "POST", SEARCH, { key: acme.admin.secret, raw: "pageSize=1", headers: { "content-type": type } }),
      415,
      "unsupported_media_type",
    );
    expect(error.message).toContain(type.split(";")[0]);
  }
  // JSON by another name is JSON.
  expectOk(
    await api(request, "POST", SEARCH, { key: acme.admin.secret, raw: '{"pageSize":2}', headers: { "content-type": "application/vnd.api+json" } }),
  );

  expectError(
    await api(request, "POST", SEARCH, { key: acme.admin.secret, raw: "{not json", headers: { "content-type": "application/json" } }),
    400,
    "invalid_json",
  );
});

test("use is recorded: last used at, from which address and integration", async ({ request, acme }) => {
  const { key, secret } = await createApiKey(request, acme.admin.secret, { name: uniqueName("Last used") });
  expect(key).toMatchObject({ lastUsedAt: null, lastUsedIp: null, lastUsedIntegration: null });
  const before = Date.now();
  expectOk(
    await api(request, "GET", "/api/data/me", { key: secret, xff: "10.0.0.1, 198.51.100.60", headers: { "x-integration-name": "e2e-suite/1.0" } }),
  );
  await expect.poll(async () => (await getApiKey(request, acme.admin.secret, key.id)).lastUsedAt, { timeout: 10_000 }).not.toBeNull();
  const used = await getApiKey(request, acme.admin.secret, key.id);
  expect(used).toMatchObject({ lastUsedIp: "198.51.100.60", lastUsedIntegration: "e2e-suite/1.0" });
  expect(Date.parse(used.lastUsedAt!)).toBeGreaterThanOrEqual(before - 1_000);
  expect(Date.parse(used.lastUsedAt!)).toBeLessThanOrEqual(Date.now() + 1_000);
});
