import {
  ALL_SCOPES,
  api,
  createApiKey,
  expect,
  expectError,
  expectOk,
  expectValidation,
  getApiKey,
  test,
  uniqueName,
  type ApiResponse,
  type KeyPage,
  type KeyView,
  type MeView,
} from "./api-helpers";

// What a key may do: its scopes, and never more than its owner may do now nor more than its
// maker could when it was made; a service key acts as an Admin; another workspace's keys do not exist.

const me = (request: Parameters<typeof api>[0], secret: string) => api<MeView>(request, "GET", "/api/data/me", { key: secret });

/** Every key endpoint, called with `secret` against the key `targetId`. */
function keyEndpoints(request: Parameters<typeof api>[0], secret: string, targetId: string): Record<string, () => Promise<ApiResponse>> {
  return {
    list: () => api(request, "GET", "/api/data/api-keys", { key: secret }),
    search: () => api(request, "POST", "/api/data/api-keys/search", { key: secret, via: "json", body: {} }),
    read: () => api(request, "GET", `/api/data/api-keys/${targetId}`, { key: secret }),
    create: () => api(request, "POST", "/api/data/api-keys", { key: secret, body: { name: uniqueName("Should not exist") } }),
    edit: () => api(request, "PATCH", `/api/data/api-keys/${targetId}`, { key: secret, body: { enabled: false } }),
    revoke: () => api(request, "DELETE", `/api/data/api-keys/${targetId}/revoke`, { key: secret }),
    revokeAll: () => api(request, "DELETE", "/api/data/api-keys/revoke-all", { key: secret }),
  };
}

test("a key with only me:read gets 403 scope_missing everywhere else", async ({ request, acme }) => {
  const { secret } = await createApiKey(request, acme.admin.secret, { name: uniqueName("Me only"), scopes: ["me:read"] });
  const target = await createApiKey(request, acme.admin.secret, { name: uniqueName("Untouched") });
  expect(expectOk(await me(request, secret)).key.scopes).toEqual(["me:read"]);

  const calls = {
    ...keyEndpoints(request, secret, target.key.id),
    verify: () => api(request, "POST", "/api/data/verify", { key: secret, body: { token: target.secret } }),
    tokens: () => api(request, "GET", "/api/data/me/tokens", { key: secret }),
    createToken: () => api(request, "POST", "/api/data/me/tokens", { key: secret, body: { name: "x" } }),
  };
  for (const [name, call] of Object.entries(calls)) {
    const error = expectError(await call(), 403, "scope_missing");
    expect(error.message, name).toMatch(/lacks the (api_keys:read|api_keys:write|verify|tokens:write) scope/);
    expect(error.technicalError, name).toBe("The key's scopes are: me:read.");
  }
  expect(await getApiKey(request, acme.admin.secret, target.key.id)).toMatchObject({ enabled: true, state: "active" });

  // api_keys:read alone reads but does not write.
  const reader = await createApiKey(request, acme.admin.secret, { name: uniqueName("Reader"), scopes: ["api_keys:read"] });
  expectOk(await api(request, "GET", "/api/data/api-keys", { key: reader.secret }));
  expectOk(await api(request, "GET", `/api/data/api-keys/${target.key.id}`, { key: reader.secret }));
  expectError(
    await api(request, "PATCH", `/api/data/api-keys/${target.key.id}`, { key: reader.secret, body: { enabled: false } }),
    403,
    "scope_missing",
  );
  expectError(await me(request, reader.secret), 403, "scope_missing");
});

test("a scope never widens: a Member's key with every scope is still forbidden to manage keys", async ({ request, acme }) => {
  const mia = acme.memberIds["member@acme.test"];
  const { key, secret } = await createApiKey(request, acme.admin.secret, { name: uniqueName("Mia's key"), ownerId: mia });
  expect(key).toMatchObject({ ownerId: mia, ownerName: "Mia Member", scopes: [...ALL_SCOPES] });
  const who = expectOk(await me(request, secret));
  expect(who).toMatchObject({ user: { email: "member@acme.test" }, role: "member" });
  expect(who.permissions).not.toContain("api_keys.manage");

  const target = await createApiKey(request, acme.admin.secret, { name: uniqueName("Not Mia's to touch") });
  const count = async () =>
    expectOk(await api<KeyPage>(request, "GET", "/api/data/api-keys", { key: acme.admin.secret, query: { pageSize: "1" } })).total;
  const before = await count();
  for (const [name, call] of Object.entries(keyEndpoints(request, secret, target.key.id))) {
    const error = expectError(await call(), 403, "forbidden");
    expect(error.message, name).toMatch(/permission/);
  }
  expect(await count()).toBe(before);
  expect(await getApiKey(request, acme.admin.secret, target.key.id)).toMatchObject({ enabled: true, state: "active" });
  expectOk(await me(request, acme.admin.secret));
});

test("a service key (no owner) acts as a workspace Admin", async ({ request, acme }) => {
  const { key, secret } = await createApiKey(request, acme.admin.secret, { name: uniqueName("Service"), ownerId: null });
  expect(key).toMatchObject({ ownerId: null, ownerName: null });
  const who = expectOk(await me(request, secret));
  expect(who).toMatchObject({ user: null, role: "admin", workspace: { slug: "acme" }, key: { id: key.id, serviceKey: true } });
  expect(who.permissions).toEqual(expect.arrayContaining(["api_keys.read", "api_keys.manage", "api_keys.service"]));

  // It creates (a service key by default, or one for a member), edits and revokes.
  const made = await createApiKey(request, secret, { name: uniqueName("Made by a service key") });
  expect(made.key.ownerId).toBeNull();
  const forMia = await createApiKey(request, secret, { name: uniqueName("Made for Mia"), ownerId: acme.memberIds["member@acme.test"] });
  expect(forMia.key.ownerName).toBe("Mia Member");
  expect(
    expectOk(await api<{ key: KeyView }>(request, "PATCH", `/api/data/api-keys/${made.key.id}`, { key: secret, body: { enabled: false } })).key.state,
  ).toBe("disabled");
  for (const id of [made.key.id, forMia.key.id]) expectOk(await api(request, "DELETE", `/api/data/api-keys/${id}/revoke`, { key: secret }));
  expectOk(await api(request, "GET", "/api/data/api-keys", { key: secret }));

  // It has no user, so no personal tokens.
  for (const method of ["GET", "POST", "DELETE"] as const) {
    const error = expectError(
      await api(request, method, "/api/data/me/tokens", { key: secret, body: method === "POST" ? { name: "t" } : undefined }),
      403,
      "forbidden",
    );
    expect(error.message).toMatch(/service key/);
  }
});

test("another workspace's keys are not found, and verify reveals nothing of them", async ({ request, acme, globex }) => {
  const globexKey = await createApiKey(request, globex.admin.secret, { name: uniqueName("Globex secret project"), description: "Hammock district" });
  const globexDisabled = await createApiKey(request, globex.admin.secret, { name: uniqueName("Globex disabled"), enabled: false });
  const acmeKey = acme.admin.secret;

  for (const id of [globexKey.key.id, globex.admin.keyId]) {
    expectError(await api(request, "GET", `/api/data/api-keys/${id}`, { key: acmeKey }), 404, "not_found");
    expectError(
      await api(request, "PATCH", `/api/data/api-keys/${id}`, { key: acmeKey, body: { name: "Hijacked", enabled: false } }),
      404,
      "not_found",
    );
    expectError(await api(request, "DELETE", `/api/data/api-keys/${id}/revoke`, { key: acmeKey }), 404, "not_found");
  }
  expect(await getApiKey(request, globex.admin.secret, globexKey.key.id)).toMatchObject({ name: globexKey.key.name, enabled: true, state: "active" });

  const hank = globex.memberIds["admin@globex.test"];
  const filtered = expectOk(await api<KeyPage>(request, "GET", "/api/data/api-keys", { key: acmeKey, query: { ownerId: hank } }));
  expect(filtered).toMatchObject({ items: [], total: 0 });
  expect(
    expectValidation(await api(request, "POST", "/api/data/api-keys", { key: acmeKey, body: { name: uniqueName("For Hank"), ownerId: hank } }))
      .ownerId,
  ).toEqual(["The owner must be an active member of this workspace."]);

  for (const token of [globexKey.secret, globexDisabled.secret, globex.admin.secret]) {
    for (const via of ["x-apikey", "bearer"] as const) {
      const res = await api(request, "POST", "/api/data/verify", { key: acmeKey, body: { token, via } });
      expect(expectOk(res)).toEqual({ valid: false, reason: "unknown_key", message: "The API key is not recognised." });
      for (const leak of ["globex", "Globex", "Hank", "Scorpio", "Hammock", globexKey.key.id, globex.admin.keyId, token.slice(0, 11)])
        expect(res.text).not.toContain(leak);
    }
  }
  // The same key verified in its own workspace is described.
  expect(expectOk(await api(request, "POST", "/api/data/verify", { key: globex.admin.secret, body: { token: globexKey.secret } }))).toMatchObject({
    valid: true,
    workspace: { slug: "globex" },
    key: { id: globexKey.key.id },
  });
  expect(
    expectOk(await api(request, "POST", "/api/data/verify", { key: globex.admin.secret, body: { token: globexDisabled.secret } })),
  ).toMatchObject({
    valid: false,
    reason: "key_disabled",
  });
});

// ── Through the settings page (/w/acme/settings) ─────────────────────────────────────────────

test("demoting a key's owner takes effect on the very next request; promoting them adds nothing the key was not made with", async ({
  request,
  acme,
  loginPage,
  settingsPage: settings,
}) => {
  const max = acme.memberIds["manager@acme.test"];
  const targets = [
    await createApiKey(request, acme.admin.secret, { name: uniqueName("Revoked by Max") }),
    await createApiKey(request, acme.admin.secret, { name: uniqueName("Kept from Max") }),
  ];
  await loginPage.signIn("admin@acme.test");
  await settings.open();
  try {
    // Made while Max holds the grant: the key may manage keys, no more.
    await settings.setManageGrant("Max Manager", true);
    const maxKey = await createApiKey(request, acme.admin.secret, { name: uniqueName("Max's key"), ownerId: max });
    const revoke = (id: string) => api(request, "DELETE", `/api/data/api-keys/${id}/revoke`, { key: maxKey.secret });
    expectOk(await revoke(targets[0].key.id));

    await settings.setMemberRole("Max Manager", "Guest");
    expectError(await revoke(targets[1].key.id), 403, "forbidden");
    expect(expectOk(await me(request, maxKey.secret)).role).toBe("guest");
    expect((await getApiKey(request, acme.admin.secret, targets[1].key.id)).state).toBe("active");

    // Promoted to Admin later: the key still acts within what it was made with.
    await settings.setMemberRole("Max Manager", "Admin");
    const me2 = expectOk(await me(request, maxKey.secret));
    expect(me2.role).toBe("admin");
    expect(me2.permissions).not.toContain("audit.read");
    expect(me2.permissions).not.toContain("api_keys.service");
    expect(
      expectValidation(
        await api(request, "POST", "/api/data/api-keys", { key: maxKey.secret, body: { name: uniqueName("Service via promotion"), ownerId: null } }),
      ).ownerId[0],
    ).toMatch(/Only Admins can create workspace service keys/);
  } finally {
    await settings.setMemberRole("Max Manager", "Manager");
    await settings.setManageGrant("Max Manager", false);
  }
});

test("a key acts within its owner's permissions when it was made: a grant given later adds nothing; owners are compared as permission sets", async ({
  request,
  acme,
  loginPage,
  settingsPage: settings,
}) => {
  const before = await createApiKey(request, acme.admin.secret, {
    name: uniqueName("Max's key before the grant"),
    ownerId: acme.memberIds["manager@acme.test"],
  });
  const list = (secret: string) => api(request, "GET", "/api/data/api-keys", { key: secret });
  expectError(await list(before.secret), 403, "forbidden");

  await loginPage.signIn("admin@acme.test");
  await settings.open();
  try {
    await settings.setManageGrant("Max Manager", true);
    expectError(await list(before.secret), 403, "forbidden");
    const maxKey = await createApiKey(request, acme.admin.secret, {
      name: uniqueName("Max's grant key"),
      ownerId: acme.memberIds["manager@acme.test"],
    });
    expectOk(await list(maxKey.secret));
    // Minted through Max's key, it acts as Max, and its maker on record is the person who made
    // Max's key (Ada), with the key it came through.
    const mine = await createApiKey(request, maxKey.secret, { name: uniqueName("Made by Max") });
    expect(mine.key).toMatchObject({ ownerName: "Max Manager", createdById: acme.admin.userId, createdViaKeyId: maxKey.key.id });
    expect(
      expectValidation(
        await api(request, "POST", "/api/data/api-keys", { key: maxKey.secret, body: { name: uniqueName("Service by Max"), ownerId: null } }),
      ).ownerId[0],
    ).toMatch(/Only Admins can create workspace service keys/);
    expect(
      expectValidation(
        await api(request, "POST", "/api/data/api-keys", { key: maxKey.secret, body: { name: uniqueName("For Ada"), ownerId: acme.admin.userId } }),
      ).ownerId[0],
    ).toMatch(/^The owner may do things you may not \(.*workspace\.settings.*\), so you cannot create a key for them\.$/);

    await settings.setManageGrant("Max Manager", false);
    expectError(await list(maxKey.secret), 403, "forbidden");
  } finally {
    await settings.setManageGrant("Max Manager", false);
  }
});

test("turning API key authentication off refuses the workspace's keys at once", async ({
  request,
  acme,
  globex,
  loginPage,
  settingsPage: settings,
}) => {
  const service = await createApiKey(request, acme.admin.secret, { name: uniqueName("Service when off"), ownerId: null });
  await loginPage.signIn("admin@acme.test");
  await settings.open();
  try {
    await settings.setSwitch("API key authentication", false);
    for (const secret of [acme.admin.secret, service.secret])
      for (const via of ["bearer", "x-apikey", "query"] as const)
        expectError(await api(request, "GET", "/api/data/me", { key: secret, via }), 403, "api_keys_disabled");
    expectError(
      await api(request, "POST", "/api/data/verify", { key: acme.admin.secret, body: { token: service.secret } }),
      403,
      "api_keys_disabled",
    );
    // Other workspaces are not affected.
    expectOk(await me(request, globex.admin.secret));
  } finally {
    await settings.setSwitch("API key authentication", true);
  }
  expectOk(await me(request, acme.admin.secret));
  expectOk(await me(request, service.secret));
});

// The member is added back through the console at the end, so other specs still find them.
const REMOVABLE = { name: "Gus Guest", email: "guest@acme.test" };

test("removing a key's owner from the workspace refuses the key with owner_removed", async ({ request, acme, loginPage, settingsPage: settings }) => {
  const owner = acme.memberIds[REMOVABLE.email];
  const { key, secret } = await createApiKey(request, acme.admin.secret, { name: uniqueName("Owner leaves"), ownerId: owner, scopes: ["me:read"] });
  expect(expectOk(await me(request, secret)).user?.email).toBe(REMOVABLE.email);

  await loginPage.signIn("admin@acme.test");
  await settings.open();
  await settings.removeMember(REMOVABLE.name);
  try {
    const error = expectError(await me(request, secret), 403, "owner_removed");
    expect(error.message).toMatch(/no longer a member/);
    expect(expectOk(await api(request, "POST", "/api/data/verify", { key: acme.admin.secret, body: { token: secret } }))).toMatchObject({
      valid: false,
      reason: "owner_removed",
      key: { id: key.id },
    });
    // The workspace's own keys still work.
    expectOk(await me(request, acme.admin.secret));
  } finally {
    await settings.addMember(REMOVABLE.email, "Guest", REMOVABLE.name);
  }
  // Back in the workspace, the key acts as its owner again.
  expect(expectOk(await me(request, secret)).user?.email).toBe(REMOVABLE.email);
});
