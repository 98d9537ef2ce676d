import {
  api,
  createApiKey,
  expect,
  expectError,
  expectOk,
  expectValidation,
  randomAddress,
  test,
  uniqueName,
  type ApiResponse,
  type KeyView,
} from "../api/api-helpers";
import { axeViolations } from "./story-helpers";

// A key's detail page as the workspace Admin: logging switches, the access log with its filters
// and redacted bodies, the usage chart, and the key's effective permissions.

const INTEGRATION = "story-test";

test("an Admin turns on logging for a key and reads its access log, bodies redacted, filtered and charted", async ({
  page,
  request,
  loginPage,
  apiKeysPage: keys,
  keyDetailPage: detail,
}) => {
  test.slow();
  await loginPage.signIn("admin@acme.test");
  await keys.open();
  const name = uniqueName("Access log story");
  const secret = await keys.createKey(name);
  let keyId: string | undefined;
  try {
    // Bearer is refused for this key, so one of the calls below is a refusal.
    const row = keys.row(name);
    await row.bearer.click();
    await expect(page.getByText(`Bearer token no longer accepted for “${name}”.`)).toBeVisible();

    // The key's name in the grid leads to its page.
    await row.link(name).click();
    await expect(page).toHaveURL(/\/w\/acme\/account\/api\/[0-9a-f-]{36}$/);
    keyId = page.url().split("/").at(-1)!;
    await expect(detail.title(name)).toBeVisible();
    await expect(page.getByText(`${secret.slice(0, 11)}…`)).toBeVisible();
    await expect(page.getByText("Refused (X-ApiKey and the other forms only)")).toBeVisible();
    // With logging off the log lists refusals only, and says so.
    await expect(page.getByText("No refusals match.")).toBeVisible();
    await expect(page.getByText("Refusals only: successful requests are counted in the chart above")).toBeVisible();
    await expect(detail.usageChart).toHaveAttribute("aria-label", "Requests per hour over 7 days: 0 in all, 0 refused.");

    // Logging is off by default; turn both on, and they stay on.
    for (const label of ["Request logging", "Response logging"] as const) {
      const control = detail.loggingSwitch(label);
      await expect(control).toHaveAttribute("aria-checked", "false");
      await control.click();
      await expect(page.getByText(`${label} on.`)).toBeVisible();
    }
    await page.reload();
    for (const label of ["Request logging", "Response logging"] as const)
      await expect(detail.loggingSwitch(label)).toHaveAttribute("aria-checked", "true");

    // An integration calls the API with the key: four successes and two refusals.
    const from = randomAddress();
    const call = (method: Parameters<typeof api>[1], path: string, opts: Parameters<typeof api>[3] = {}): Promise<ApiResponse> =>
      api(request, method, path, { key: secret, xff: from, headers: { "x-integration-name": INTEGRATION }, ...opts });
    expectOk(await call("GET", "/api/data/me"));
    expectOk(await call("GET", "/api/data/me", { via: "query" }));
    expect(expectOk(await call("POST", "/api/data/verify", { body: { token: secret } }))).toMatchObject({ valid: true });
    const made = expectOk(await call("POST", "/api/data/api-keys", { body: { name: uniqueName("Made by the logged key") } }), 201) as {
      key: KeyView;
      secret: string;
    };
    expect(expectValidation(await call("PATCH", `/api/data/api-keys/${keyId}`, { body: { name: "" } })).name).toBeDefined();
    expectError(await call("GET", "/api/data/me", { via: "bearer" }), 401, "bearer_not_allowed");

    await detail.waitForLogRows(6);
    const rows = detail.logRows;
    for (const r of await rows.all()) {
      await expect(r).toContainText(INTEGRATION);
      await expect(r).toContainText(from);
      await expect(r).not.toContainText("Not logged");
    }
    await expect(page.getByText("6 requests · page 1 of 1")).toBeVisible();
    const patch = rows.filter({ hasText: `PATCH /api/data/api-keys/${keyId}` });
    await expect(patch).toHaveCount(1);
    await expect(patch).toContainText("400");
    await expect(patch).toContainText("validation_failed");
    const bearer = rows.filter({ hasText: "bearer_not_allowed" });
    await expect(bearer).toHaveCount(1);
    await expect(bearer).toContainText("GET /api/data/me");
    await expect(bearer).toContainText("401");
    await expect(rows.filter({ hasText: "POST /api/data/api-keys" })).toContainText("201");
    // The key given in the query string is not kept in the logged path.
    const byQuery = rows.filter({ hasText: "/api/data/me?key=" });
    await expect(byQuery).toHaveCount(1);
    await expect(byQuery).toContainText("?key=[REDACTED]");

    expect(await axeViolations(page)).toEqual([]);

    // Bodies: every secret replaced by [REDACTED], never shown.
    const verifyBodies = await detail.shownBodies(rows.filter({ hasText: "POST /api/data/verify" }));
    expect(verifyBodies).toContain(`"x-apikey":"[REDACTED]"`);
    expect(verifyBodies).toContain(`"x-integration-name":"${INTEGRATION}"`);
    expect(verifyBodies).toContain(`"token":"[REDACTED]"`);
    expect(verifyBodies).toContain(`"valid":true`);
    const createBodies = await detail.shownBodies(rows.filter({ hasText: "POST /api/data/api-keys" }));
    expect(createBodies).toContain(`"secret":"[REDACTED]"`);
    expect(createBodies).toContain(`"name":"${made.key.name}"`);
    // The created key's description survives redaction; only its secret is blanked.
    expect(createBodies).toContain(`"id":"${made.key.id}"`);
    // With the bodies open, the page still passes axe (the scrollable bodies are focusable).
    expect(await axeViolations(page)).toEqual([]);
    const bearerBodies = await detail.shownBodies(bearer);
    expect(bearerBodies).toContain(`"authorization":"Bearer [REDACTED]"`);
    expect(bearerBodies).toContain("bearer_not_allowed");
    const html = await page.content();
    for (const s of [secret, made.secret]) expect(html).not.toContain(s);

    // The status filters live in the URL.
    await detail.statusFilter("Refused").click();
    await expect(page).toHaveURL(/[?&]status=refused(&|$)/);
    await expect(rows).toHaveCount(2);
    await expect(rows.filter({ hasText: "400" })).toHaveCount(1);
    await expect(rows.filter({ hasText: "401" })).toHaveCount(1);
    await expect(detail.statusFilter("Refused")).toHaveAttribute("aria-current", "true");
    await detail.statusFilter("Succeeded").click();
    await expect(page).toHaveURL(/[?&]status=success(&|$)/);
    await expect(rows).toHaveCount(4);
    await expect(rows.filter({ hasText: /validation_failed|bearer_not_allowed/ })).toHaveCount(0);
    await detail.timeFilter("24 hours").click();
    await expect(page).toHaveURL(/[?&]range=24h(&|$)/);
    await expect(page).toHaveURL(/[?&]status=success(&|$)/);
    await expect(rows).toHaveCount(4);
    await detail.statusFilter("All").click();
    await expect(rows).toHaveCount(6);

    // The chart and its total agree with the log.
    await expect(detail.usageChart).toHaveAttribute("aria-label", "Requests per hour over 7 days: 6 in all, 2 refused.");
    await expect(page.getByText("6 requests", { exact: true })).toBeVisible();
    // Last used names the integration and its address.
    await expect(page.getByText(`from ${from}`)).toBeVisible();
    await expect(page.getByText(`by ${INTEGRATION}`)).toBeVisible();
  } finally {
    if (keyId) await api(request, "DELETE", `/api/data/api-keys/${keyId}/revoke`, { key: secret, xff: randomAddress() });
  }
});

test("the detail page lists a key's effective permissions: its scopes, limited by its owner's role", async ({
  page,
  request,
  acme,
  loginPage,
  keyDetailPage: detail,
}) => {
  const mine = await createApiKey(request, acme.admin.secret, { name: uniqueName("Me only, Ada's"), scopes: ["me:read"] });
  const mias = await createApiKey(request, acme.admin.secret, {
    name: uniqueName("Mia's reader"),
    ownerId: acme.memberIds["member@acme.test"],
    scopes: ["me:read", "api_keys:read"],
  });
  await loginPage.signIn("admin@acme.test");
  const permission = (scope: string) => detail.permission(scope);

  await detail.goto(mine.key.id);
  await expect(detail.title(mine.key.name)).toBeVisible();
  await expect(page.getByText("Ada Admin · admin@acme.test · Admin")).toBeVisible();
  await expect(detail.permissionItems).toHaveCount(7);
  await expect(permission("me:read")).toContainText(": allowed.");
  await expect(permission("me:read")).toContainText("In scope.");
  for (const scope of ["api_keys:read", "api_keys:write", "tokens:write", "audit:read", "verify", "webhooks:write"]) {
    await expect(permission(scope), scope).toContainText(": not allowed.");
    await expect(permission(scope), scope).toContainText("Not in the key's scopes.");
  }

  // Mia's key has api_keys:read in scope, but a Member may not read keys.
  await detail.goto(mias.key.id);
  await expect(page.getByText("Mia Member · member@acme.test · Member")).toBeVisible();
  await expect(permission("me:read")).toContainText(": allowed.");
  await expect(permission("api_keys:read")).toContainText(": not allowed.");
  await expect(permission("api_keys:read")).toContainText("In scope, but the owner's role does not allow it.");
  await expect(permission("api_keys:write")).toContainText("Not in the key's scopes.");
  // The API agrees.
  expectError(await api(request, "GET", "/api/data/api-keys", { key: mias.secret }), 403, "forbidden");
  expectOk(await api(request, "GET", "/api/data/me", { key: mias.secret }));
  expectError(await api(request, "GET", "/api/data/api-keys", { key: mine.secret }), 403, "scope_missing");
});
