import AxeBuilder from "@axe-core/playwright";
import { api, createApiKey, expect, expectError, expectOk, test, uniqueName, type MeView } from "./api-helpers";

// A key's IP rules through the real server, which trusts one proxy hop (playwright.config.ts), so
// each request names its client address in X-Forwarded-For as a reverse proxy would: IPv4, IPv6,
// CIDR ranges, an IPv4-mapped address, deny over allow, and a not-before time. Then the rules
// edited in the console, with a bad entry first, and the key's page listing where it was used from.

test("the rules allow and refuse by IPv4, IPv6 and CIDR, deny over allow; not before refuses until then", async ({ request, acme }) => {
  const { key, secret } = await createApiKey(request, acme.admin.secret, {
    scopes: ["me:read"],
    ipAllow: ["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"],
    ipDeny: ["203.0.113.66"],
  });
  expect(key).toMatchObject({ ipAllow: ["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"], ipDeny: ["203.0.113.66"] });
  const me = (xff: string) => api<MeView>(request, "GET", "/api/data/me", { key: secret, xff });
  for (const from of ["203.0.113.7", "198.51.100.7", "2001:db8:ab::1", "::ffff:203.0.113.9"])
    expect(expectOk(await me(from)).key.id, from).toBe(key.id);
  for (const from of ["203.0.113.66", "198.51.100.8", "2001:db9::1", "192.0.2.1"]) {
    const error = expectError(await me(from), 403, "ip_not_allowed");
    expect(error.message).toBe(`This API key may not be used from ${from}.`);
  }
  // What the client writes in front of the proxy's entry changes nothing.
  expectError(await me("203.0.113.7, 203.0.113.66"), 403, "ip_not_allowed");
  expect(expectOk(await me("203.0.113.66, 203.0.113.7")).key.id).toBe(key.id);

  const at = new Date(Date.now() + 3_600_000).toISOString();
  const later = await createApiKey(request, acme.admin.secret, { scopes: ["me:read"], notBefore: at });
  const early = expectError(await api(request, "GET", "/api/data/me", { key: later.secret }), 401, "key_not_yet_valid");
  expect(early.message).toBe(`This API key is not valid before ${at}.`);
});

test("an Admin restricts a key in the console, a bad entry named first, and its page lists where it was used from", async ({
  page,
  request,
  acme,
  loginPage,
  apiKeysPage: keys,
}, testInfo) => {
  const name = uniqueName("IP story");
  const { key, secret } = await createApiKey(request, acme.admin.secret, { name, scopes: ["me:read"] });
  expectOk(await api(request, "GET", "/api/data/me", { key: secret, xff: "192.0.2.10" }));
  expectOk(await api(request, "GET", "/api/data/me", { key: secret, xff: "2001:db8:ffff:ffff:ffff:ffff:ffff:fffe" }));

  await loginPage.signIn("admin@acme.test");
  await keys.open();
  await page.screenshot({ path: testInfo.outputPath("ip-rules-grid-0.png"), fullPage: true });
  await keys.row(name).editButton.click();
  const dialog = keys.editDialog;
  const allow = dialog.getByLabel("Allowed addresses");
  const deny = dialog.getByLabel("Denied addresses");
  await expect(allow).toHaveValue("");
  await page.screenshot({ path: testInfo.outputPath("ip-rules-edit-0.png") });
  await allow.fill("192.0.2.0/24\n10.0.0.1/8");
  await deny.fill("192.0.2.66");
  await keys.saveChangesButton.click();
  await expect(dialog.getByText('Allowed addresses: "10.0.0.1/8" has host bits set: the range is 10.0.0.0/8')).toBeVisible();
  await expect(allow).toHaveAttribute("aria-invalid", "true");
  // Nothing was saved: the key still works from anywhere.
  expectOk(await api(request, "GET", "/api/data/me", { key: secret, xff: "198.51.100.1" }));
  await allow.fill("192.0.2.0/24\n10.0.0.0/8");
  await keys.saveChangesButton.click();
  await expect(page.getByText(`Saved “${name}”.`)).toBeVisible();
  await expect(dialog).toBeHidden();
  await expect(keys.row(name).root.getByText("IP restricted: allowed from 2 entries, denied from 1 entry")).toBeAttached();

  expectError(await api(request, "GET", "/api/data/me", { key: secret, xff: "198.51.100.1" }), 403, "ip_not_allowed");
  expectError(await api(request, "GET", "/api/data/me", { key: secret, xff: "192.0.2.66" }), 403, "ip_not_allowed");
  expectOk(await api(request, "GET", "/api/data/me", { key: secret, xff: "10.9.8.7" }));

  // The key's page: its rules, and each address it was used from with what the rules say of it now.
  await keys.row(name).link(name).click();
  await expect(page).toHaveURL(new RegExp(`/w/acme/account/api/${key.id}$`));
  const addresses = page.getByRole("table", { name: "Used from, last 7 days" });
  await expect(async () => {
    await page.reload();
    await expect(addresses.getByRole("row")).toHaveCount(6, { timeout: 500 });
  }).toPass({ timeout: 10_000 });
  const row = (ip: string) => addresses.getByRole("row").filter({ has: page.getByRole("cell", { name: ip, exact: true }) });
  await expect(row("192.0.2.10")).toContainText("Allowed");
  await expect(row("2001:db8:ffff:ffff:ffff:ffff:ffff:fffe")).toContainText("Not on the allow list");
  await expect(row("198.51.100.1")).toContainText("Not on the allow list");
  await expect(row("192.0.2.66")).toContainText("Denied");
  await expect(row("10.9.8.7")).toContainText("Allowed");
  await expect(row("192.0.2.66").getByRole("cell").nth(2)).toHaveText("1");
  await expect(page.getByRole("list", { name: "Allowed addresses" })).toContainText("192.0.2.0/24");
  await expect(page.getByRole("list", { name: "Denied addresses" })).toContainText("192.0.2.66");
  expect((await new AxeBuilder({ page }).include("section[aria-labelledby='key-ip-rules']").analyze()).violations).toEqual([]);
  await page.screenshot({ path: testInfo.outputPath("ip-rules-detail.png"), fullPage: true });

  // 50 rules and a long IPv6 range: the dialog and the page still read.
  const fifty = [...Array.from({ length: 49 }, (_, i) => `198.51.100.${i}`), "2001:db8:ffff:ffff:ffff:ffff:ffff:fffe"];
  expectOk(await api(request, "PATCH", `/api/data/api-keys/${key.id}`, { key: acme.admin.secret, body: { ipAllow: fifty } }));
  await page.reload();
  await page.screenshot({ path: testInfo.outputPath("ip-rules-detail-50.png"), fullPage: true });
  await keys.open();
  await keys.row(name).editButton.click();
  await expect(keys.editDialog.getByLabel("Allowed addresses")).toHaveValue(fifty.join("\n"));
  await page.screenshot({ path: testInfo.outputPath("ip-rules-edit-50.png") });
  await page.keyboard.press("Escape");
  await expect(keys.editDialog).toBeHidden();
});

test("a key created in the console with an allow list and a not-before time is refused until then, then only from those addresses", async ({
  page,
  request,
  acme,
  loginPage,
  apiKeysPage: keys,
}) => {
  await loginPage.signIn("admin@acme.test");
  await keys.open();
  const name = uniqueName("Console rules");
  await keys.createButton.click();
  await keys.nameField.fill(name);
  await keys.createDialog.getByLabel("Allowed addresses").fill("2001:db8::/32\n192.0.2.0/24");
  await keys.createDialog.getByLabel("Denied addresses").fill("192.0.2.0/24");
  // In the browser's time zone (UTC here), sent as an ISO time.
  const later = new Date(Date.now() + 2 * 3_600_000);
  const local = `${later.toISOString().slice(0, 16)}`;
  await keys.createDialog.getByLabel("Not before (optional)").fill(local);
  await keys.generateButton.click();
  const secret = await keys.shown.take();
  await expect(keys.row(name).root.getByText("IP restricted: allowed from 2 entries, denied from 1 entry")).toBeAttached();

  const page1 = expectOk(
    await api<{ items: { name: string; id: string; notBefore: string; ipAllow: string[] }[] }>(request, "GET", "/api/data/api-keys", {
      key: acme.admin.secret,
      query: { pageSize: "100" },
    }),
  );
  const made = page1.items.find((k) => k.name === name)!;
  expect(made.ipAllow).toEqual(["2001:db8::/32", "192.0.2.0/24"]);
  const offset = await page.evaluate(() => new Date().getTimezoneOffset());
  expect(Date.parse(made.notBefore)).toBe(Date.parse(`${local}:00Z`) + offset * 60_000);
  expectError(await api(request, "GET", "/api/data/me", { key: secret, xff: "2001:db8::1" }), 401, "key_not_yet_valid");
  expectOk(await api(request, "PATCH", `/api/data/api-keys/${made.id}`, { key: acme.admin.secret, body: { notBefore: null } }));
  expectOk(await api(request, "GET", "/api/data/me", { key: secret, xff: "2001:db8::1" }));
  // Allowed and denied at once: deny wins.
  expectError(await api(request, "GET", "/api/data/me", { key: secret, xff: "192.0.2.5" }), 403, "ip_not_allowed");
  expectOk(await api(request, "DELETE", `/api/data/api-keys/${made.id}/revoke`, { key: acme.admin.secret }));
});
