import { signedIn } from "../fixtures";
import {
  api,
  createApiKey,
  expect,
  expectError,
  expectOk,
  expectValidation,
  SECRET_RE,
  test,
  uniqueName,
  type KeyPage,
  type MeView,
} from "./api-helpers";

// Personal tokens (TeamGantt): each user's own keys, acting as that user, only where the
// workspace allows them (off by default; the switch "Allow personal tokens" on the settings page).

interface TokenView {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

const TOKENS = "/api/data/me/tokens";
const SOME_UUID = "00000000-0000-4000-8000-000000000000";

test("while the workspace disallows personal tokens, every token endpoint is forbidden", async ({
  request,
  acme,
  loginPage,
  settingsPage: settings,
}) => {
  // Off is the default; make sure of it whatever ran before.
  await loginPage.signIn("admin@acme.test");
  await settings.open();
  await settings.setSwitch("Allow personal tokens", false);
  const calls = [
    api(request, "GET", TOKENS, { key: acme.admin.secret }),
    api(request, "POST", TOKENS, { key: acme.admin.secret, body: { name: "CLI" } }),
    api(request, "DELETE", TOKENS, { key: acme.admin.secret }),
    api(request, "DELETE", `${TOKENS}/${SOME_UUID}`, { key: acme.admin.secret }),
  ];
  for (const res of await Promise.all(calls)) {
    const error = expectError(res, 403, "forbidden");
    expect(error.message).toMatch(/Personal tokens are turned off/);
  }
  expectError(await api(request, "PUT", TOKENS, { key: acme.admin.secret }), 405, "method_not_allowed");
});

test("personal tokens, once allowed: validation, create, list, use, delete one, delete all", async ({
  browser,
  request,
  acme,
  loginPage,
  settingsPage: settings,
}) => {
  test.slow();
  const admin = acme.admin.secret;
  // Made by Ada *for* Mia: it must not let Ada reach Mia's own tokens.
  const keyForMia = await createApiKey(request, admin, {
    name: uniqueName("Ada's key for Mia"),
    ownerId: acme.memberIds["member@acme.test"],
    scopes: ["tokens:write", "me:read"],
  });
  const service = await createApiKey(request, admin, { name: uniqueName("Service, no tokens"), ownerId: null });

  await loginPage.signIn("admin@acme.test");
  await settings.open();
  try {
    await settings.setSwitch("Allow personal tokens", true);

    // Validation, in TeamGantt's words.
    const create = (body: unknown, key = admin) => api<{ token: TokenView; secret: string }>(request, "POST", TOKENS, { key, body });
    expect(expectValidation(await create({})).name).toEqual(["Token name is required."]);
    expect(expectValidation(await create({ name: null })).name).toEqual(["Token name is required."]);
    expect(expectValidation(await create({ name: "   " })).name).toEqual(["Token name is required."]);
    expect(expectValidation(await create({ name: 42 })).name).toEqual(["Token name must be a string."]);
    expect(expectValidation(await create({ name: ["CLI"] })).name).toEqual(["Token name must be a string."]);
    expect(expectValidation(await create({ name: "x".repeat(101) })).name).toEqual(["Token name must be at most 100 characters."]);
    expect(expectOk(await api<{ items: TokenView[] }>(request, "GET", TOKENS, { key: admin })).items).toEqual([]);

    // Create (JSON and form bodies), list.
    const cli = expectOk(await create({ name: "  Ada's CLI  " }), 201);
    expect(cli.secret).toMatch(SECRET_RE);
    expect(cli.token).toMatchObject({ name: "Ada's CLI", prefix: `${cli.secret.slice(0, 11)}…`, lastUsedAt: null });
    expect(expectValidation(await create({ name: "Ada's CLI" })).name[0]).toMatch(/already have a token named/);
    const laptop = expectOk(
      await api<{ token: TokenView; secret: string }>(request, "POST", TOKENS, { key: admin, via: "form", form: { name: "Ada's laptop" } }),
      201,
    );
    const listed = await api<{ items: TokenView[] }>(request, "GET", TOKENS, { key: admin });
    expect(
      expectOk(listed)
        .items.map((t) => t.name)
        .sort(),
    ).toEqual(["Ada's CLI", "Ada's laptop"]);
    expect(listed.text).not.toContain(cli.secret);
    expect(listed.text).not.toContain(laptop.secret);

    // A token acts as its user; it is not one of the workspace's keys.
    expect(expectOk(await api<MeView>(request, "GET", "/api/data/me", { key: cli.secret, via: "bearer" }))).toMatchObject({
      user: { email: "admin@acme.test" },
      key: { id: cli.token.id, kind: "personal", serviceKey: false },
    });
    const workspaceKeys = expectOk(await api<KeyPage>(request, "GET", "/api/data/api-keys", { key: admin, query: { pageSize: "100" } }));
    expect(workspaceKeys.items.map((k) => k.id)).not.toContain(cli.token.id);
    expectError(await api(request, "GET", `/api/data/api-keys/${cli.token.id}`, { key: admin }), 404, "not_found");

    // A key someone else made for Mia cannot list, mint or delete her tokens.
    for (const [method, body] of [
      ["GET", undefined],
      ["POST", { name: "Ada's plant" }],
      ["DELETE", undefined],
    ] as const) {
      const error = expectError(await api(request, method, TOKENS, { key: keyForMia.secret, body }), 403, "forbidden");
      expect(error.message).toBe("This key was made for its owner by someone else, so it cannot manage the owner's personal tokens.");
    }

    // Mia's own token, made in the console, can; each user sees and deletes only their own.
    const mia = await signedIn(browser, "member@acme.test");
    await mia.tokensPage.open();
    const miaSeed = await mia.tokensPage.createToken(uniqueName("Mia's console token"));
    await mia.context.close();
    const miaKey = { secret: miaSeed };
    const miaToken = expectOk(await create({ name: "Mia's script" }, miaKey.secret), 201);
    const miaListed = expectOk(await api<{ items: TokenView[] }>(request, "GET", TOKENS, { key: miaKey.secret })).items;
    expect(miaListed.map((t) => t.id)).toContain(miaToken.token.id);
    expect(miaListed).toHaveLength(2);
    expectError(await api(request, "DELETE", `${TOKENS}/${miaToken.token.id}`, { key: admin }), 404, "not_found");
    expectError(await api(request, "DELETE", `${TOKENS}/${cli.token.id}`, { key: miaKey.secret }), 404, "not_found");
    expect(expectOk(await api<MeView>(request, "GET", "/api/data/me", { key: miaToken.secret })).role).toBe("member");

    // Delete one: the token stops working at once.
    const deleted = expectOk(await api<{ token: TokenView }>(request, "DELETE", `${TOKENS}/${cli.token.id}`, { key: admin }));
    expect(deleted.token).toMatchObject({ id: cli.token.id, name: "Ada's CLI" });
    expectError(await api(request, "GET", "/api/data/me", { key: cli.secret }), 401, "key_revoked");
    expectError(await api(request, "DELETE", `${TOKENS}/${cli.token.id}`, { key: admin }), 404, "not_found");
    expectError(await api(request, "DELETE", `${TOKENS}/not-a-uuid`, { key: admin }), 404, "not_found");
    // A workspace key is not a personal token, even the caller's own.
    expectError(await api(request, "DELETE", `${TOKENS}/${acme.admin.keyId}`, { key: admin }), 404, "not_found");

    // Delete all: only the caller's.
    expectOk(await create({ name: "Ada's CI" }), 201);
    expect(expectOk(await api<{ deleted: number }>(request, "DELETE", TOKENS, { key: admin }))).toEqual({ deleted: 2 });
    expect(expectOk(await api<{ items: TokenView[] }>(request, "GET", TOKENS, { key: admin })).items).toEqual([]);
    expectError(await api(request, "GET", "/api/data/me", { key: laptop.secret }), 401, "key_revoked");
    expectOk(await api(request, "GET", "/api/data/me", { key: miaToken.secret }));
    // Mia's delete-all takes the token it is called with too.
    expect(expectOk(await api<{ deleted: number }>(request, "DELETE", TOKENS, { key: miaKey.secret }))).toEqual({ deleted: 2 });

    // A service key has no user to own tokens.
    expect(expectError(await create({ name: "Service's" }, service.secret), 403, "forbidden").message).toMatch(/service key/);
    expectError(await api(request, "GET", TOKENS, { key: service.secret }), 403, "forbidden");
  } finally {
    await settings.setSwitch("Allow personal tokens", false);
  }
});

test("a personal token is refused with personal_tokens_disabled once the workspace disallows tokens", async ({
  request,
  acme,
  loginPage,
  settingsPage: settings,
}) => {
  await loginPage.signIn("admin@acme.test");
  await settings.open();
  try {
    await settings.setSwitch("Allow personal tokens", true);
    const token = expectOk(
      await api<{ token: TokenView; secret: string }>(request, "POST", TOKENS, {
        key: acme.admin.secret,
        body: { name: uniqueName("Soon refused") },
      }),
      201,
    );
    expectOk(await api(request, "GET", "/api/data/me", { key: token.secret }));

    await settings.setSwitch("Allow personal tokens", false);
    const error = expectError(await api(request, "GET", "/api/data/me", { key: token.secret }), 403, "personal_tokens_disabled");
    expect(error.message).toMatch(/Personal tokens are turned off/);
    // Workspace keys are not affected.
    expectOk(await api(request, "GET", "/api/data/me", { key: acme.admin.secret }));
  } finally {
    // Leave no token behind: allow, delete all, disallow.
    await settings.setSwitch("Allow personal tokens", true);
    expectOk(await api(request, "DELETE", TOKENS, { key: acme.admin.secret }));
    await settings.setSwitch("Allow personal tokens", false);
  }
});
