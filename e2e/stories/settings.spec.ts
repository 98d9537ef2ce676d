import { api, createApiKey, expect, expectError, expectOk, getApiKey, test, uniqueName, type MeView } from "../api/api-helpers";
import { signedIn } from "../fixtures";
import { revokeKeysNamed } from "./story-helpers";

// Workspace settings as its Admin (and, for deleting users, as a Global Admin): each change is
// seen at once by the person it concerns, in the console and over the API. Every test puts the
// workspace back as it found it.

test("the Manage API Keys grant opens the API tab to a Manager, and taking it back closes it", async ({
  browser,
  page,
  request,
  acme,
  loginPage,
  settingsPage: settings,
  apiKeysPage: keys,
}) => {
  test.slow();
  const max = await signedIn(browser, "manager@acme.test");
  const keyName = uniqueName("Max's grant story key");
  await loginPage.signIn("admin@acme.test");
  await settings.open();
  try {
    await settings.setManageGrant("Max Manager", false);
    await max.apiKeysPage.open();
    await expect(max.page.getByText(/only with the Manage API Keys grant/)).toBeVisible();
    await expect(max.apiKeysPage.createButton).toHaveCount(0);

    await settings.setManageGrant("Max Manager", true);
    await expect(page.getByText("Max Manager can now manage API keys.")).toBeVisible();
    await max.page.reload();
    await expect(max.apiKeysPage.table).toBeVisible();
    await max.apiKeysPage.createKey(keyName);
    await expect(max.apiKeysPage.row(keyName).root).toContainText("Max Manager");
    // The key is Max's, and the Admin sees it in the workspace's grid too.
    await keys.open();
    await expect(keys.row(keyName).root).toContainText("Max Manager");
    await settings.open();

    await settings.setManageGrant("Max Manager", false);
    await expect(page.getByText("Max Manager can no longer manage API keys.")).toBeVisible();
    await max.page.reload();
    await expect(max.apiKeysPage.heading("You can't manage API keys in Acme Inc.")).toBeVisible();
    await expect(max.apiKeysPage.table).toHaveCount(0);
    await expect(max.page.getByText(keyName)).toHaveCount(0);
  } finally {
    await settings.setManageGrant("Max Manager", false);
    await revokeKeysNamed(request, acme.admin.secret, keyName);
    await max.context.close();
  }
});

test("demoting an Admin stops his key from revoking on the very next request", async ({ page, request, acme, loginPage, settingsPage: settings }) => {
  const target = (label: string) => createApiKey(request, acme.admin.secret, { name: uniqueName(label) });
  const [first, second] = [await target("Revoked by Admin Max"), await target("Kept from Member Max")];
  await loginPage.signIn("admin@acme.test");
  await settings.open();
  try {
    await settings.setMemberRole("Max Manager", "Admin");
    await expect(page.getByText("Max Manager is now an Admin.")).toBeVisible();
    const maxKey = await createApiKey(request, acme.admin.secret, {
      name: uniqueName("Max's admin key"),
      ownerId: acme.memberIds["manager@acme.test"],
    });
    const revoke = (id: string) => api(request, "DELETE", `/api/data/api-keys/${id}/revoke`, { key: maxKey.secret });
    expectOk(await revoke(first.key.id));
    expect(expectOk(await api(request, "POST", "/api/data/verify", { key: acme.admin.secret, body: { token: first.secret } }))).toMatchObject({
      valid: false,
      reason: "key_revoked",
    });

    await settings.setMemberRole("Max Manager", "Member");
    await expect(page.getByText("Max Manager is now a Member.")).toBeVisible();
    const error = expectError(await revoke(second.key.id), 403, "forbidden");
    expect(error.message).toMatch(/permission/);
    expect((await getApiKey(request, acme.admin.secret, second.key.id)).state).toBe("active");
    expect(expectOk(await api<MeView>(request, "GET", "/api/data/me", { key: maxKey.secret })).role).toBe("member");
  } finally {
    await settings.setMemberRole("Max Manager", "Manager");
  }
  await page.reload();
  await expect(settings.roleOf("Max Manager")).toHaveText("Manager");
});

test("a Global Admin's Delete user dialog counts the user's live keys; Cancel changes nothing", async ({
  page,
  request,
  acme,
  loginPage,
  settingsPage: settings,
}) => {
  await loginPage.signIn("global@latchkey.test");
  await settings.open();
  const dialog = settings.deleteUserDialog("Mia Member");
  const liveKeysCell = settings.liveKeysOf("Mia Member");
  const askDelete = async () => {
    await settings.deleteUserButton("Mia Member").click();
    await expect(dialog).toBeVisible();
    const text = (await dialog.textContent()) ?? "";
    await expect(dialog).toContainText("member@acme.test will no longer be able to sign in");
    const n = /(\d+) live keys? they own/.exec(text);
    return n ? Number(n[1]) : text.includes("They own no live keys.") ? 0 : Number.NaN;
  };
  const cancel = async () => {
    await settings.cancelDeleteUser("Mia Member");
    await expect(dialog).toBeHidden();
    // Focus goes back to the button that opened the dialog.
    await expect(settings.deleteUserButton("Mia Member")).toBeFocused();
  };

  const before = await askDelete();
  expect(before).not.toBeNaN();
  await cancel();
  const shownBefore = Number(await liveKeysCell.textContent());

  const mia = acme.memberIds["member@acme.test"];
  const keys = [
    await createApiKey(request, acme.admin.secret, { name: uniqueName("Mia's first"), ownerId: mia }),
    await createApiKey(request, acme.admin.secret, { name: uniqueName("Mia's second"), ownerId: mia }),
  ];
  await page.reload();
  await expect(liveKeysCell).toHaveText(String(shownBefore + 2));
  expect(await askDelete()).toBe(before + 2);
  await expect(dialog).toContainText(`${before + 2} live keys they own, in every workspace, will be revoked.`);
  await expect(dialog).toContainText("This cannot be undone.");
  await cancel();

  // Nothing happened: Mia is still a member and her keys still work.
  await page.reload();
  await expect(settings.memberRow("Mia Member")).toContainText("member@acme.test");
  for (const { key, secret } of keys) {
    expect(expectOk(await api(request, "POST", "/api/data/verify", { key: acme.admin.secret, body: { token: secret } }))).toMatchObject({
      valid: true,
      key: { id: key.id },
      owner: { email: "member@acme.test" },
    });
    expect(expectOk(await api<MeView>(request, "GET", "/api/data/me", { key: secret })).user?.email).toBe("member@acme.test");
  }

  // Revoke them: the count follows.
  for (const { key } of keys) expectOk(await api(request, "DELETE", `/api/data/api-keys/${key.id}/revoke`, { key: acme.admin.secret }));
  await page.reload();
  await expect(liveKeysCell).toHaveText(String(shownBefore));
  expect(await askDelete()).toBe(before);
  await cancel();
});

test("a workspace Admin is not offered Delete user", async ({ loginPage, settingsPage: settings }) => {
  await loginPage.signIn("admin@acme.test");
  await settings.open();
  await expect(settings.removeButton("Mia Member")).toBeVisible();
  await expect(settings.deleteUserButtons).toHaveCount(0);
});

test("turning API key authentication off warns on the API tab and refuses keys until it is back on", async ({
  page,
  request,
  acme,
  loginPage,
  settingsPage: settings,
  apiKeysPage: keys,
}) => {
  const me = () => api<MeView>(request, "GET", "/api/data/me", { key: acme.admin.secret });
  const warning = page.getByText("API key authentication is turned off for this workspace");
  await loginPage.signIn("admin@acme.test");
  await keys.open();
  await expect(warning).toHaveCount(0);
  expectOk(await me());
  try {
    await settings.open();
    await settings.setSwitch("API key authentication", false);
    await expect(page.getByText("API key authentication is off: every key is refused.")).toBeVisible();
    const error = expectError(await me(), 403, "api_keys_disabled");
    expect(error.message).toBe("API key authentication is turned off for this workspace.");
    await keys.open();
    await expect(warning).toBeVisible();
    await expect(warning).toContainText("every key is refused until an Admin turns it back on");
    await settings.open();
    await expect(settings.switchFor("API key authentication")).toHaveAttribute("aria-checked", "false");
  } finally {
    await settings.open();
    await settings.setSwitch("API key authentication", true);
  }
  expectOk(await me());
  await keys.open();
  await expect(warning).toHaveCount(0);
});

test("an invalid maximum key lifetime is refused with a field error and changes nothing", async ({
  page,
  loginPage,
  settingsPage: settings,
  apiKeysPage: keys,
}) => {
  await loginPage.signIn("admin@acme.test");
  await settings.open();
  const field = settings.lifetimeField;
  const save = settings.saveLifetimeButton;
  const saved = await field.inputValue();
  expect(saved).toMatch(/^\d+$/);

  const cases: [string, string][] = [
    ["0", "Maximum key lifetime must be at least 1 day."],
    ["abc", "Maximum key lifetime must be a number of days."],
    ["1.5", "Maximum key lifetime must be a whole number of days."],
    ["4000", "Maximum key lifetime can be at most 3650 days (10 years)."],
  ];
  for (const [value, message] of cases) {
    await field.fill(value);
    await save.click();
    await expect(settings.lifetimeError, value).toHaveText(message);
    await expect(field).toHaveAttribute("aria-invalid", "true");
    await expect(field).toHaveAttribute("aria-describedby", /setting-lifetime-error/);
  }
  await expect(settings.toasts).toHaveCount(0);

  await page.reload();
  await expect(field).toHaveValue(saved);
  await expect(field).not.toHaveAttribute("aria-invalid", "true");
  // New keys still get the saved maximum as their default expiry.
  await keys.open();
  await keys.createButton.click();
  const expires = (await keys.expiryShown())!;
  const days = (Date.parse(expires) - Date.now()) / 86_400_000;
  expect(Math.abs(days - Number(saved))).toBeLessThan(2);
});
