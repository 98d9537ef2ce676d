import {
  ALL_SCOPES,
  api,
  createApiKey,
  expect,
  expectError,
  expectOk,
  expectValidation,
  renewAdminKey,
  SECRET_RE,
  test,
  uniqueName,
  type KeyPage,
  type KeyView,
  type MeView,
} from "./api-helpers";

// Every endpoint of the REST API, on its happy path and its obvious refusals.

const ROUTES: Record<string, string[]> = {
  "/api/data/api-keys": ["get", "post"],
  "/api/data/api-keys/search": ["post"],
  "/api/data/api-keys/{id}": ["get", "patch"],
  "/api/data/api-keys/{id}/revoke": ["delete"],
  "/api/data/api-keys/{id}/rotate": ["post"],
  "/api/data/api-keys/revoke-all": ["delete"],
  "/api/data/me": ["get"],
  "/api/data/me/tokens": ["get", "post", "delete"],
  "/api/data/me/tokens/{id}": ["delete"],
  "/api/data/verify": ["post"],
  "/api/health": ["get"],
  "/api/openapi.json": ["get"],
};

test("GET /api/health answers without a key", async ({ request }) => {
  const data = expectOk(await api<{ status: string; database: { reachable: boolean } }>(request, "GET", "/api/health"));
  expect(data).toMatchObject({ status: "ok", database: { reachable: true } });
  const post = await api(request, "POST", "/api/health");
  expectError(post, 405, "method_not_allowed");
  expect(post.headers.allow).toBe("GET");
});

test("GET /api/openapi.json describes every route in OpenAPI 3.1", async ({ request }) => {
  const res = await api(request, "GET", "/api/openapi.json");
  expect(res.status).toBe(200);
  expect(res.headers["content-type"]).toMatch(/json/);
  const doc = JSON.parse(res.text) as { openapi: string; servers?: { url: string }[]; paths: Record<string, Record<string, unknown>> };
  expect(doc.openapi).toBe("3.1.0");
  // Paths may be written in full or relative to the first server's URL.
  const prefix = new URL(doc.servers?.[0]?.url ?? "/", "http://x").pathname.replace(/\/$/, "");
  for (const [route, methods] of Object.entries(ROUTES)) {
    const item = doc.paths[route] ?? (route.startsWith(prefix) ? doc.paths[route.slice(prefix.length)] : undefined);
    expect(item, `${route} is listed`).toBeDefined();
    for (const m of methods) expect(item, `${m.toUpperCase()} ${route} is listed`).toHaveProperty(m);
  }
});

test("GET /api/data/me describes the caller, its workspace and its key", async ({ request, acme }) => {
  const me = expectOk(await api<MeView>(request, "GET", "/api/data/me", { key: acme.admin.secret }));
  expect(me.user).toMatchObject({ id: acme.admin.userId, email: "admin@acme.test", name: "Ada Admin" });
  expect(me.workspace).toMatchObject({ slug: "acme", name: "Acme Inc." });
  expect(me.role).toBe("admin");
  expect(me.permissions).toEqual(expect.arrayContaining(["api_keys.read", "api_keys.manage"]));
  expect(me.key).toMatchObject({
    id: acme.admin.keyId,
    kind: "workspace",
    serviceKey: false,
    bearerAllowed: true,
    prefix: `${acme.admin.secret.slice(0, 11)}…`,
  });
  expect(me.key.scopes).toEqual([...ALL_SCOPES]);
  expect(JSON.stringify(me)).not.toContain(acme.admin.secret);
});

/** Every live key of the workspace, page by page. */
async function listAll(request: Parameters<typeof api>[0], secret: string, query: Record<string, string> = {}): Promise<KeyView[]> {
  const items: KeyView[] = [];
  for (let page = 1; ; page++) {
    const data = expectOk(
      await api<KeyPage>(request, "GET", "/api/data/api-keys", { key: secret, query: { ...query, page: String(page), pageSize: "100" } }),
    );
    items.push(...data.items);
    if (items.length >= data.total || data.items.length === 0) return items;
  }
}

test("GET /api/data/api-keys lists the workspace's live keys, paged, sorted and filtered", async ({ request, acme, globex }) => {
  const label = uniqueName("Listed");
  const [c, a, b] = [
    await createApiKey(request, acme.admin.secret, { name: `${label} c` }),
    await createApiKey(request, acme.admin.secret, { name: `${label} a`, enabled: false }),
    await createApiKey(request, acme.admin.secret, { name: `${label} b` }),
  ];
  const elsewhere = await createApiKey(request, globex.admin.secret, { name: `${label} globex` });

  const all = await listAll(request, acme.admin.secret, { sort: "name", dir: "asc" });
  const ids = all.map((k) => k.id);
  expect(ids).toEqual(expect.arrayContaining([acme.admin.keyId, a.key.id, b.key.id, c.key.id]));
  expect(ids).not.toContain(elsewhere.key.id);
  expect(ids).not.toContain(globex.admin.keyId);
  expect(new Set(ids).size).toBe(ids.length);
  // Sorted by name: mine come out a, b, c.
  expect(ids.filter((id) => [a.key.id, b.key.id, c.key.id].includes(id))).toEqual([a.key.id, b.key.id, c.key.id]);
  for (const k of all) {
    expect(k).not.toHaveProperty("secret");
    expect(k).not.toHaveProperty("secretHash");
    expect(k.prefix).toMatch(/^lk_[0-9A-Za-z]{8}…$/);
    expect(k.revokedAt).toBeNull();
  }

  // A page is the matching slice of the whole list.
  const page = expectOk(
    await api<KeyPage>(request, "GET", "/api/data/api-keys", {
      key: acme.admin.secret,
      query: { pageSize: "2", page: "2", sort: "name", dir: "asc" },
    }),
  );
  expect(page).toMatchObject({ page: 2, pageSize: 2, total: all.length });
  expect(page.items.map((k) => k.id)).toEqual(ids.slice(2, 4));
  const desc = await listAll(request, acme.admin.secret, { sort: "name", dir: "desc" });
  expect(desc.filter((k) => k.name.startsWith(label)).map((k) => k.id)).toEqual([c.key.id, b.key.id, a.key.id]);

  const disabled = await listAll(request, acme.admin.secret, { state: "disabled" });
  expect(disabled.map((k) => k.id)).toContain(a.key.id);
  expect(disabled.map((k) => k.id)).not.toContain(b.key.id);
  expect(disabled.every((k) => k.state === "disabled")).toBe(true);
  const active = await listAll(request, acme.admin.secret, { state: "active" });
  expect(active.map((k) => k.id)).toEqual(expect.arrayContaining([b.key.id, c.key.id]));
  expect(active.every((k) => k.state === "active")).toBe(true);
  const adas = await listAll(request, acme.admin.secret, { ownerId: acme.admin.userId });
  expect(adas.every((k) => k.ownerId === acme.admin.userId)).toBe(true);
  expect(adas.map((k) => k.id)).toContain(c.key.id);

  const wrong = expectValidation(
    await api(request, "GET", "/api/data/api-keys", { key: acme.admin.secret, query: { pageSize: "1000", sort: "colour" } }),
  );
  expect(Object.keys(wrong)).toEqual(expect.arrayContaining(["pageSize", "sort"]));
});

test("POST /api/data/api-keys/search lists with its filters in a JSON or form body", async ({ request, acme }) => {
  const off = await createApiKey(request, acme.admin.secret, { name: uniqueName("Searched, disabled"), enabled: false });
  const json = expectOk(
    await api<KeyPage>(request, "POST", "/api/data/api-keys/search", {
      key: acme.admin.secret,
      via: "json",
      body: { state: "disabled", pageSize: 100 },
    }),
  );
  expect(json.pageSize).toBe(100);
  expect(json.items.map((k) => k.id)).toContain(off.key.id);
  expect(json.items.every((k) => k.state === "disabled")).toBe(true);

  const form = expectOk(
    await api<KeyPage>(request, "POST", "/api/data/api-keys/search", {
      key: acme.admin.secret,
      via: "form",
      form: { state: "disabled", sort: "created", pageSize: "1" },
    }),
  );
  expect(form).toMatchObject({ page: 1, pageSize: 1, total: json.total });
  expect(form.items.map((k) => k.id)).toEqual([off.key.id]); // the newest disabled key

  expectValidation(await api(request, "POST", "/api/data/api-keys/search", { key: acme.admin.secret, body: { state: "lost" } }));
  expectError(await api(request, "GET", "/api/data/api-keys/search", { key: acme.admin.secret }), 405, "method_not_allowed");
});

test("create, read, edit and revoke a key through the API", async ({ request, acme }) => {
  const name = uniqueName("Lifecycle");
  const neighbour = await createApiKey(request, acme.admin.secret, { name: uniqueName("Neighbour") });
  const expiresAt = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  const res = await api<{ key: KeyView; secret: string }>(request, "POST", "/api/data/api-keys", {
    key: acme.admin.secret,
    body: { name: `  ${name}  `, description: "Made by the API tests.", scopes: ["me:read", "api_keys:read"], bearerAllowed: false, expiresAt },
  });
  const created = expectOk(res, 201);
  expect(created.secret).toMatch(SECRET_RE);
  expect(created.key).toMatchObject({
    name,
    description: "Made by the API tests.",
    ownerId: acme.admin.userId,
    ownerEmail: "admin@acme.test",
    prefix: `${created.secret.slice(0, 11)}…`,
    scopes: ["api_keys:read", "me:read"],
    bearerAllowed: false,
    enabled: true,
    state: "active",
    lastUsedAt: null,
    revokedAt: null,
  });
  expect(created.key.expiresAt).toBe(`${expiresAt}T23:59:59.999Z`);
  const id = created.key.id;

  // The secret is never shown again.
  const read = await api<{ key: KeyView }>(request, "GET", `/api/data/api-keys/${id}`, { key: acme.admin.secret });
  expect(expectOk(read).key).toMatchObject({ id, name, prefix: created.key.prefix });
  expect(read.text).not.toContain(created.secret);
  expect(read.json!.data).not.toHaveProperty("key.secretHash");

  // The new key works, as itself.
  const me = expectOk(await api<MeView>(request, "GET", "/api/data/me", { key: created.secret }));
  expect(me.key).toMatchObject({ id, name, bearerAllowed: false });

  const edited = expectOk(
    await api<{ key: KeyView }>(request, "PATCH", `/api/data/api-keys/${id}`, {
      key: acme.admin.secret,
      body: { name: `${name} (renamed)`, description: null, scopes: ["me:read"] },
    }),
  ).key;
  expect(edited).toMatchObject({ id, name: `${name} (renamed)`, description: null, scopes: ["me:read"] });

  // Bad edits say which field and change nothing.
  expect(
    expectValidation(
      await api(request, "PATCH", `/api/data/api-keys/${id}`, { key: acme.admin.secret, body: { name: neighbour.key.name.toUpperCase() } }),
    ).name[0],
  ).toMatch(/already exists in this workspace/);
  expect(
    expectValidation(await api(request, "PATCH", `/api/data/api-keys/${id}`, { key: acme.admin.secret, body: { colour: "red" } })),
  ).toBeDefined();
  expect(
    expectValidation(await api(request, "PATCH", `/api/data/api-keys/${id}`, { key: acme.admin.secret, body: { enabled: "yes" } })).enabled,
  ).toEqual(["Enabled must be true or false."]);
  expect((await api<{ key: KeyView }>(request, "GET", `/api/data/api-keys/${id}`, { key: acme.admin.secret })).json!.data!.key.name).toBe(
    `${name} (renamed)`,
  );

  const revoked = expectOk(await api<{ key: KeyView }>(request, "DELETE", `/api/data/api-keys/${id}/revoke`, { key: acme.admin.secret })).key;
  expect(revoked).toMatchObject({ id, state: "revoked" });
  expect(revoked.revokedAt).not.toBeNull();

  expectError(await api(request, "GET", "/api/data/me", { key: created.secret }), 401, "key_revoked");
  expectError(await api(request, "GET", `/api/data/api-keys/${id}`, { key: acme.admin.secret }), 404, "not_found");
  expectError(await api(request, "PATCH", `/api/data/api-keys/${id}`, { key: acme.admin.secret, body: { enabled: true } }), 404, "not_found");
  expectError(await api(request, "DELETE", `/api/data/api-keys/${id}/revoke`, { key: acme.admin.secret }), 404, "not_found");
  const list = expectOk(await api<KeyPage>(request, "GET", "/api/data/api-keys", { key: acme.admin.secret, query: { pageSize: "100" } }));
  expect(list.items.map((k) => k.id)).not.toContain(id);
});

test("bad input to create gets field messages and creates nothing", async ({ request, acme }) => {
  const count = async () =>
    expectOk(await api<KeyPage>(request, "GET", "/api/data/api-keys", { key: acme.admin.secret, query: { pageSize: "1" } })).total;
  const taken = (await createApiKey(request, acme.admin.secret, { name: uniqueName("Taken") })).key.name;
  const before = await count();
  const create = (body: unknown) => api(request, "POST", "/api/data/api-keys", { key: acme.admin.secret, body });

  expect(expectValidation(await create({})).name).toEqual(["Name is required."]);
  expect(expectValidation(await create({ name: "   " })).name).toEqual(["Name is required."]);
  expect(expectValidation(await create({ name: "x".repeat(101) })).name).toEqual(["Name must be at most 100 characters."]);
  expect(expectValidation(await create({ name: ` ${taken.toLowerCase()} ` })).name[0]).toMatch(/already exists in this workspace/);
  expect(expectValidation(await create({ name: uniqueName("Never"), expiresAt: null })).expiresAt[0]).toMatch(/"Never" is not allowed/);
  expect(expectValidation(await create({ name: uniqueName("Far"), expiresAt: "2099-01-01" })).expiresAt[0]).toMatch(
    /maximum key lifetime is 730 days/,
  );
  expect(expectValidation(await create({ name: uniqueName("Past"), expiresAt: "2020-01-01" })).expiresAt).toEqual(["Expiry must be in the future."]);
  expect(expectValidation(await create({ name: uniqueName("Owner"), ownerId: "not-a-uuid" })).ownerId).toEqual(["Choose an owner from the list."]);
  expect(expectValidation(await create({ name: uniqueName("Stranger"), ownerId: "00000000-0000-4000-8000-000000000000" })).ownerId).toEqual([
    "The owner must be an active member of this workspace.",
  ]);
  expect(expectValidation(await create({ name: uniqueName("Scopes"), scopes: ["everything"] })).scopes).toEqual(['Unknown scope "everything".']);
  expect(expectValidation(await create({ name: uniqueName("Scopes"), scopes: [] })).scopes).toEqual(["Choose at least one scope."]);
  expect(expectValidation(await create({ name: uniqueName("Flag"), bearerAllowed: "no" })).bearerAllowed).toEqual([
    "Bearer token must be true or false.",
  ]);
  expect(expectValidation(await create([1, 2, 3]))).toBeDefined();

  expect(await count()).toBe(before);
});

test("ids that are not keys of this workspace are not found", async ({ request, acme }) => {
  for (const id of ["not-a-uuid", "00000000-0000-4000-8000-000000000000", "123", "%C3%A9t%C3%A9"]) {
    expectError(await api(request, "GET", `/api/data/api-keys/${id}`, { key: acme.admin.secret }), 404, "not_found");
    expectError(await api(request, "PATCH", `/api/data/api-keys/${id}`, { key: acme.admin.secret, body: { enabled: false } }), 404, "not_found");
    expectError(await api(request, "DELETE", `/api/data/api-keys/${id}/revoke`, { key: acme.admin.secret }), 404, "not_found");
  }
});

test("unknown paths and unsupported methods answer in the envelope", async ({ request, acme }) => {
  expectError(await api(request, "GET", "/api/data/nothing-here", { key: acme.admin.secret }), 404, "no_such_endpoint");
  expectError(await api(request, "POST", "/api/data/api-keys/a/b/c"), 404, "no_such_endpoint");
  const put = await api(request, "PUT", "/api/data/api-keys", { key: acme.admin.secret, body: {} });
  expectError(put, 405, "method_not_allowed");
  expect(put.headers.allow).toBe("GET, POST");
  expect((await api(request, "GET", "/api/data/me/tokens/x", { key: acme.admin.secret })).headers.allow).toBe("DELETE");
  expectError(await api(request, "POST", "/api/data/me", { key: acme.admin.secret }), 405, "method_not_allowed");
  expectError(await api(request, "GET", "/api/data/verify", { key: acme.admin.secret }), 405, "method_not_allowed");
  expectError(await api(request, "PATCH", "/api/data/api-keys/revoke-all", { key: acme.admin.secret }), 405, "method_not_allowed");
});

test("POST /api/data/verify tells an integrating service whether a key is good, and why", async ({ request, acme }) => {
  const verify = (token: unknown, via?: string) =>
    api<{
      valid: boolean;
      reason: string | null;
      key?: { id: string };
      workspace?: { slug: string };
      owner?: { email: string } | null;
      role?: string;
    }>(request, "POST", "/api/data/verify", { key: acme.admin.secret, body: { token, ...(via ? { via } : {}) } });
  const subject = await createApiKey(request, acme.admin.secret, { name: uniqueName("Verify subject"), bearerAllowed: false, scopes: ["me:read"] });

  const good = await verify(subject.secret);
  expect(expectOk(good)).toMatchObject({
    valid: true,
    reason: null,
    key: { id: subject.key.id, scopes: ["me:read"] },
    workspace: { slug: "acme" },
    owner: { email: "admin@acme.test" },
    role: "admin",
  });
  expect(good.text).not.toContain(subject.secret);
  expect(expectOk(await verify(subject.secret, "bearer"))).toMatchObject({ valid: false, reason: "bearer_not_allowed", key: { id: subject.key.id } });
  expect(expectOk(await verify("lk_garbage"))).toMatchObject({ valid: false, reason: "malformed_key" });
  expect(expectOk(await verify(`${subject.secret.slice(0, -1)}${subject.secret.endsWith("A") ? "B" : "A"}`))).toMatchObject({
    valid: false,
    reason: "malformed_key",
  });

  expectOk(await api(request, "PATCH", `/api/data/api-keys/${subject.key.id}`, { key: acme.admin.secret, body: { enabled: false } }));
  expect(expectOk(await verify(subject.secret))).toMatchObject({ valid: false, reason: "key_disabled" });
  expectOk(await api(request, "DELETE", `/api/data/api-keys/${subject.key.id}/revoke`, { key: acme.admin.secret }));
  expect(expectOk(await verify(subject.secret))).toMatchObject({ valid: false, reason: "key_revoked" });

  expect(expectValidation(await verify(undefined)).token).toEqual(["token is required: the key to check."]);
  expect(expectValidation(await verify(42)).token).toEqual(["token must be a string."]);
  expect(expectValidation(await verify(subject.secret, "smoke-signal")).via).toEqual(['via must be "bearer" or "x-apikey".']);
});

// Last in this file and in globex, so acme's keys stay usable; the fixture gets a fresh key after.
test("DELETE /api/data/api-keys/revoke-all revokes every live key of the workspace, and only there", async ({
  request,
  acme,
  globex,
  browser,
  playwright,
  baseURL,
}) => {
  const acmeBefore = expectOk(await api<KeyPage>(request, "GET", "/api/data/api-keys", { key: acme.admin.secret, query: { pageSize: "1" } })).total;
  const extra = [
    await createApiKey(request, globex.admin.secret, { name: uniqueName("Doomed one") }),
    await createApiKey(request, globex.admin.secret, { name: uniqueName("Doomed two"), ownerId: null }),
  ];
  const live = expectOk(await api<KeyPage>(request, "GET", "/api/data/api-keys", { key: globex.admin.secret, query: { pageSize: "100" } }));
  expect(live.items.map((k) => k.id)).toEqual(expect.arrayContaining([...extra.map((e) => e.key.id), globex.admin.keyId]));

  expectError(await api(request, "GET", "/api/data/api-keys/revoke-all", { key: globex.admin.secret }), 405, "method_not_allowed");
  const done = expectOk(await api<{ revoked: number }>(request, "DELETE", "/api/data/api-keys/revoke-all", { key: globex.admin.secret }));
  expect(done.revoked).toBe(live.total);

  // The calling key was among them.
  for (const secret of [globex.admin.secret, ...extra.map((e) => e.secret)])
    expectError(await api(request, "GET", "/api/data/me", { key: secret }), 401, "key_revoked");
  // Acme is untouched.
  expect(expectOk(await api<KeyPage>(request, "GET", "/api/data/api-keys", { key: acme.admin.secret, query: { pageSize: "1" } })).total).toBe(
    acmeBefore,
  );

  await renewAdminKey(globex, browser, playwright, baseURL!);
  const after = expectOk(await api<KeyPage>(request, "GET", "/api/data/api-keys", { key: globex.admin.secret, query: { pageSize: "100" } }));
  expect(after.items.map((k) => k.id)).toEqual([globex.admin.keyId]);
});
