import AxeBuilder from "@axe-core/playwright";
import { signedIn } from "./fixtures";
import { api, createApiKey, expect, expectError, test, uniqueName } from "./api/api-helpers";

// Revocation reasons in the console: every revoke confirmation asks why (a radio group, by
// keyboard too; "Other" opens a text field), and the key's page, the audit log and its CSV say it.

const serious = async (page: import("@playwright/test").Page) =>
  (await new AxeBuilder({ page }).analyze()).violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);

test("revoke a key with a reason, by keyboard; its page, the audit log and the CSV say why", async ({
  page,
  request,
  acme,
  loginPage,
  apiKeysPage: keys,
  keyDetailPage,
  auditPage,
}, testInfo) => {
  const name = uniqueName("Old deploy key");
  const { key, secret } = await createApiKey(request, acme.admin.secret, { name });
  await loginPage.signIn("admin@acme.test");
  await keys.open();
  await keys.row(name).revokeButton.click();
  await expect(keys.revokeConfirm(name)).toBeVisible();
  await expect(keys.revocationReasons).toBeVisible();
  // Nothing chosen yet: the red button waits.
  await expect(keys.yesRevokeButton).toBeDisabled();

  // By keyboard: the dialog opens on Cancel; the reasons are just before it, the arrows move to
  // "Other", whose text field Tab then reaches.
  await expect(keys.revokeConfirm(name).getByRole("button", { name: "Cancel" })).toBeFocused();
  await page.keyboard.press("Shift+Tab");
  const compromised = keys.revocationReasons.getByRole("radio", { name: "Compromised", exact: true });
  await expect(compromised).toBeFocused();
  await page.keyboard.press("Space");
  await expect(compromised).toBeChecked();
  await expect(keys.yesRevokeButton).toBeEnabled();
  // Radix moves focus a tick after the key goes down and checks the item only while the arrow is
  // still held (as a person's key is); a zero-length press would be let go before that.
  for (const next of ["Superseded", "No longer needed", "Owner left", "Other"]) {
    await page.keyboard.down("ArrowDown");
    await expect(keys.revocationReasons.getByRole("radio", { name: next, exact: true })).toBeChecked();
    await page.keyboard.up("ArrowDown");
  }
  const why = page.getByRole("textbox", { name: "Why" });
  await expect(keys.yesRevokeButton).toBeDisabled();
  await page.keyboard.press("Tab");
  await expect(why).toBeFocused();
  await page.keyboard.type("Moved to the secrets vault");
  await expect(keys.yesRevokeButton).toBeEnabled();
  expect(await serious(page)).toEqual([]);
  await keys.revokeConfirm(name).screenshot({ path: testInfo.outputPath("revoke-dialog.png") });
  await keys.yesRevokeButton.click();
  await expect(page.getByText(`Revoked “${name}”.`)).toBeVisible();
  expectError(await api(request, "GET", "/api/data/me", { key: secret }), 401, "key_revoked");

  // The revoked key's page: when, by whom, from where, and why.
  await keyDetailPage.goto(key.id);
  await expect(keyDetailPage.title(name)).toBeVisible();
  const details = page.getByRole("region", { name: "Details" });
  await expect(details.getByText("Reason", { exact: true })).toBeVisible();
  await expect(details).toContainText("Other: Moved to the secrets vault");
  await expect(details).toContainText("by Ada Admin");
  await expect(page.getByRole("button", { name: "Revoke" })).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath("revoked-key-page.png"), fullPage: true });

  // The workspace's audit log, and its CSV export.
  await page.goto(`/w/acme/audit?key=${encodeURIComponent(name)}&action=api_key.revoked`);
  await expect(auditPage.rows(name)).toHaveCount(1);
  await expect(auditPage.rows(name)).toContainText("Other: Moved to the secrets vault");
  const csv = await (await page.request.get(`/w/acme/audit/export?key=${encodeURIComponent(name)}&action=api_key.revoked`)).text();
  const [header, row] = csv.trim().split(/\r?\n/);
  expect(header).toBe("time,workspace,actor,actor email,action,target,reason,changes,ip");
  expect(row).toContain("Other: Moved to the secrets vault");
});

test("the key's own page revokes too, and a key revoked by presenting it says so", async ({
  page,
  request,
  acme,
  loginPage,
  keyDetailPage,
  auditPage,
}, testInfo) => {
  const here = await createApiKey(request, acme.admin.secret, { name: uniqueName("Revoked from its page") });
  const found = await createApiKey(request, acme.admin.secret, { name: uniqueName("Found on a pastebin") });
  await loginPage.signIn("admin@acme.test");

  await keyDetailPage.goto(here.key.id);
  await page.getByRole("button", { name: "Revoke" }).click();
  const dialog = page.getByRole("alertdialog", { name: `Revoke “${here.key.name}”?` });
  await keyDetailPage.chooseRevocationReason("Superseded");
  await dialog.getByRole("button", { name: "Yes, revoke" }).click();
  // The page now shows the key as revoked, with the reason.
  await expect(page.getByRole("region", { name: "Details" })).toContainText("Superseded");
  await expect(page.getByText("revoked", { exact: true })).toBeVisible();

  expect((await api(request, "POST", "/api/revoke", { form: { token: found.secret }, xff: "198.18.9.9" })).status).toBe(200);
  await keyDetailPage.goto(found.key.id);
  const details = page.getByRole("region", { name: "Details" });
  await expect(details).toContainText("by the key itself");
  await expect(details).toContainText("from 198.18.9.9");
  await expect(details).toContainText("Compromised");
  await page.screenshot({ path: testInfo.outputPath("self-revoked-key-page.png"), fullPage: true });

  await page.goto(`/w/acme/audit?key=${encodeURIComponent(found.key.name)}&action=api_key.revoked`);
  await expect(auditPage.rows(found.key.name)).toContainText("revoked by the key itself");
  await expect(auditPage.rows(found.key.name)).toContainText("Compromised");
  await page.screenshot({ path: testInfo.outputPath("audit-self-revoked.png"), fullPage: true });
});

test("Admin > Keys bulk revoke, revoke all and the account page ask why too", async ({
  browser,
  page,
  request,
  acme,
  loginPage,
  apiKeysPage: keys,
}, testInfo) => {
  // Revoke all: the typed name alone is not enough.
  await loginPage.signIn("admin@acme.test");
  await keys.open();
  await keys.revokeAllButton.click();
  await keys.revokeAllConfirmField("acme").fill("acme");
  await expect(keys.revokeAllKeysButton).toBeDisabled();
  await keys.chooseRevocationReason("Other");
  await expect(page.getByRole("textbox", { name: "Why" })).toBeVisible();
  await keys.revokeAllDialog.screenshot({ path: testInfo.outputPath("revoke-all-dialog.png") });
  await page.keyboard.press("Escape");
  await expect(keys.revokeAllDialog).toHaveCount(0);

  // The keys that act as you.
  const mine = await createApiKey(request, acme.admin.secret, { name: uniqueName("Acts as Ada") });
  await page.goto("/account");
  await page.getByRole("button", { name: `Revoke ${mine.key.name} (Acme Inc.)` }).click();
  await expect(keys.revocationReasons).toBeVisible();
  await keys.chooseRevocationReason("No longer needed");
  await page.getByRole("alertdialog").getByRole("button", { name: "Revoke", exact: true }).click();
  await expect(page.getByText(`Revoked ${mine.key.name}.`)).toBeVisible();
  expectError(await api(request, "GET", "/api/data/me", { key: mine.secret }), 401, "key_revoked");

  // Admin > Keys, as the Global Admin.
  const bulk = await createApiKey(request, acme.admin.secret, { name: uniqueName("Bulk revoked") });
  const grace = await signedIn(browser, "global@latchkey.test");
  try {
    const admin = grace.adminKeysPage;
    await admin.goto(`q=${encodeURIComponent(bulk.key.name)}`);
    await admin.select(bulk.key.name, "Acme Inc.").click();
    await admin.revokeSelectedButton.click();
    await expect(admin.confirmButton("Revoke 1 key?", "Revoke 1 key")).toBeDisabled();
    await admin.chooseRevocationReason("Owner left");
    await admin.confirm("Revoke 1 key?").screenshot({ path: testInfo.outputPath("bulk-revoke-dialog.png") });
    await admin.confirmButton("Revoke 1 key?", "Revoke 1 key").click();
    await expect(grace.page.getByText("Revoked 1 key.")).toBeVisible();
  } finally {
    await grace.context.close();
  }
  const verdict = await api<{ revokedReason?: string }>(request, "POST", "/api/data/verify", {
    key: acme.admin.secret,
    body: { token: bulk.secret },
  });
  expect(verdict.json?.data).toMatchObject({ reason: "key_revoked", revokedReason: "owner_left" });
});
