import type { Page } from "@playwright/test";
import { createKey, keyRow, openApiTab, signIn } from "../helpers";
import {
  api,
  createApiKey,
  expect,
  expectError,
  expectOk,
  getApiKey,
  openSettings,
  setManageGrant,
  setMemberRole,
  setSettingsSwitch,
  test,
  uniqueName,
  type MeView,
} from "../api/api-helpers";
import { revokeKeysNamed, signedIn } from "./story-helpers";

// Workspace settings as its Admin (and, for deleting users, as a Global Admin): each change is
// seen at once by the person it concerns, in the console and over the API. Every test puts the
// workspace back as it found it.

const members = (page: Page) => page.getByRole("table", { name: "Members" });
const memberRow = (page: Page, name: string) => members(page).getByRole("row").filter({ hasText: name });

test("the Manage API Keys grant opens the API tab to a Manager, and taking it back closes it", async ({ browser, page, request, acme }) => {
  test.slow();
  const max = await signedIn(browser, "manager@acme.test");
  const keyName = uniqueName("Max's grant story key");
  await signIn(page, "admin@acme.test");
  await openSettings(page);
  try {
    await setManageGrant(page, "Max Manager", false);
    await openApiTab(max.page);
    await expect(max.page.getByText(/only with the Manage API Keys grant/)).toBeVisible();
    await expect(max.page.getByRole("button", { name: "Create API key" })).toHaveCount(0);

    await setManageGrant(page, "Max Manager", true);
    await expect(page.getByText("Max Manager can now manage API keys.")).toBeVisible();
    await max.page.reload();
    await expect(max.page.getByRole("table", { name: "API keys" })).toBeVisible();
    await createKey(max.page, keyName);
    await expect(keyRow(max.page, keyName)).toContainText("Max Manager");
    // The key is Max's, and the Admin sees it in the workspace's grid too.
    await openApiTab(page);
    await expect(keyRow(page, keyName)).toContainText("Max Manager");
    await openSettings(page);

    await setManageGrant(page, "Max Manager", false);
    await expect(page.getByText("Max Manager can no longer manage API keys.")).toBeVisible();
    await max.page.reload();
    await expect(max.page.getByRole("heading", { name: "You can't manage API keys in Acme Inc." })).toBeVisible();
    await expect(max.page.getByRole("table", { name: "API keys" })).toHaveCount(0);
    await expect(max.page.getByText(keyName)).toHaveCount(0);
  } finally {
    await setManageGrant(page, "Max Manager", false);
    await revokeKeysNamed(request, acme.admin.secret, keyName);
    await max.context.close();
  }
});

test("demoting an Admin stops his key from revoking on the very next request", async ({ page, request, acme }) => {
  const target = (label: string) => createApiKey(request, acme.admin.secret, { name: uniqueName(label) });
  const [first, second] = [await target("Revoked by Admin Max"), await target("Kept from Member Max")];
  await signIn(page, "admin@acme.test");
  await openSettings(page);
  try {
    await setMemberRole(page, "Max Manager", "Admin");
    await expect(page.getByText("Max Manager is now an Admin.")).toBeVisible();
    const maxKey = await createApiKey(request, acme.admin.secret, { name: uniqueName("Max's admin key"), ownerId: acme.memberIds["manager@acme.test"] });
    const revoke = (id: string) => api(request, "DELETE", `/api/data/api-keys/${id}/revoke`, { key: maxKey.secret });
    expectOk(await revoke(first.key.id));
    expect(expectOk(await api(request, "POST", "/api/data/verify", { key: acme.admin.secret, body: { token: first.secret } }))).toMatchObject({
      valid: false,
      reason: "key_revoked",
    });

    await setMemberRole(page, "Max Manager", "Member");
    await expect(page.getByText("Max Manager is now a Member.")).toBeVisible();
    const error = expectError(await revoke(second.key.id), 403, "forbidden");
    expect(error.message).toMatch(/permission/);
    expect((await getApiKey(request, acme.admin.secret, second.key.id)).state).toBe("active");
    expect(expectOk(await api<MeView>(request, "GET", "/api/data/me", { key: maxKey.secret })).role).toBe("member");
  } finally {
    await setMemberRole(page, "Max Manager", "Manager");
  }
  await page.reload();
  await expect(members(page).getByRole("combobox", { name: "Role for Max Manager" }).locator("option:checked")).toHaveText("Manager");
});

test("a Global Admin's Delete user dialog counts the user's live keys; Cancel changes nothing", async ({ page, request, acme }) => {
  await signIn(page, "global@latchkey.test");
  await openSettings(page);
  const dialog = page.getByRole("alertdialog", { name: "Delete Mia Member?" });
  const liveKeysCell = memberRow(page, "Mia Member").getByRole("cell").nth(3);
  const askDelete = async () => {
    await members(page).getByRole("button", { name: "Delete user Mia Member" }).click();
    await expect(dialog).toBeVisible();
    const text = (await dialog.textContent()) ?? "";
    await expect(dialog).toContainText("member@acme.test will no longer be able to sign in");
    const n = /(\d+) live keys? they own/.exec(text);
    return n ? Number(n[1]) : text.includes("They own no live keys.") ? 0 : Number.NaN;
  };
  const cancel = async () => {
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(dialog).toBeHidden();
    // Focus goes back to the button that opened the dialog.
    await expect(members(page).getByRole("button", { name: "Delete user Mia Member" })).toBeFocused();
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
  await expect(memberRow(page, "Mia Member")).toContainText("member@acme.test");
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

test("a workspace Admin is not offered Delete user", async ({ page }) => {
  await signIn(page, "admin@acme.test");
  await openSettings(page);
  await expect(members(page).getByRole("button", { name: "Remove Mia Member" })).toBeVisible();
  await expect(members(page).getByRole("button", { name: /^Delete user/ })).toHaveCount(0);
});

test("turning API key authentication off warns on the API tab and refuses keys until it is back on", async ({ page, request, acme }) => {
  const me = () => api<MeView>(request, "GET", "/api/data/me", { key: acme.admin.secret });
  const warning = page.getByText("API key authentication is turned off for this workspace");
  await signIn(page, "admin@acme.test");
  await openApiTab(page);
  await expect(warning).toHaveCount(0);
  expectOk(await me());
  try {
    await openSettings(page);
    await setSettingsSwitch(page, "API key authentication", false);
    await expect(page.getByText("API key authentication is off: every key is refused.")).toBeVisible();
    const error = expectError(await me(), 403, "api_keys_disabled");
    expect(error.message).toBe("API key authentication is turned off for this workspace.");
    await openApiTab(page);
    await expect(warning).toBeVisible();
    await expect(warning).toContainText("every key is refused until an Admin turns it back on");
    await openSettings(page);
    await expect(page.getByRole("switch", { name: "API key authentication" })).toHaveAttribute("aria-checked", "false");
  } finally {
    await openSettings(page);
    await setSettingsSwitch(page, "API key authentication", true);
  }
  expectOk(await me());
  await openApiTab(page);
  await expect(warning).toHaveCount(0);
});

test("an invalid maximum key lifetime is refused with a field error and changes nothing", async ({ page }) => {
  await signIn(page, "admin@acme.test");
  await openSettings(page);
  const field = page.getByLabel("Maximum key lifetime (days)");
  const save = page.getByRole("button", { name: "Save lifetime" });
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
    await expect(page.locator("#setting-lifetime-error"), value).toHaveText(message);
    await expect(field).toHaveAttribute("aria-invalid", "true");
    await expect(field).toHaveAttribute("aria-describedby", /setting-lifetime-error/);
  }
  await expect(page.locator("[data-sonner-toast]")).toHaveCount(0);

  await page.reload();
  await expect(field).toHaveValue(saved);
  await expect(field).not.toHaveAttribute("aria-invalid", "true");
  // New keys still get the saved maximum as their default expiry.
  await openApiTab(page);
  await page.getByRole("button", { name: "Create API key" }).click();
  const expires = await page.getByRole("dialog", { name: "Create API key" }).getByLabel("Expires").inputValue();
  const days = (Date.parse(expires) - Date.now()) / 86_400_000;
  expect(Math.abs(days - Number(saved))).toBeLessThan(2);
});
