import type { Browser } from "@playwright/test";
import { api, expectError, expectOk, recordSecret, uniqueName, type MeView } from "../api/api-helpers";
import { expect, signedIn, test } from "../fixtures";
import { axeViolations } from "./story-helpers";

// Account > Personal tokens, as Mia Member: once the workspace allows them she creates, copies,
// uses and deletes her own tokens. Every test leaves "Allow personal tokens" off (the default)
// and Mia without tokens.

/** The workspace Admin's settings page, in a browser of its own. */
async function adminSettings(browser: Browser) {
  const admin = await signedIn(browser, "admin@acme.test");
  await admin.settingsPage.open();
  return admin;
}

test("a Member creates, copies, uses and deletes personal tokens once the workspace allows them", async ({
  browser,
  page,
  context,
  request,
  loginPage,
  tokensPage: tokens,
}) => {
  test.slow();
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const admin = await adminSettings(browser);
  await loginPage.signIn("member@acme.test");
  try {
    await admin.settingsPage.setSwitch("Allow personal tokens", true);

    // Mia finds the page in the workspace navigation; it starts empty and says what to do.
    await page.goto("/w/acme/account/api");
    await tokens.workspaceLink("Personal tokens").click();
    await expect(page).toHaveURL(/\/w\/acme\/account\/tokens$/);
    await expect(tokens.heading("Personal tokens")).toBeVisible();
    await expect(page.getByText("No personal tokens")).toBeVisible();
    await expect(page.getByText("Create a token to call the API as yourself")).toBeVisible();
    await expect(tokens.deleteAllButton).toBeDisabled();

    // An empty name is refused in the dialog, and nothing is created.
    await tokens.createButton.click();
    const dialog = tokens.createDialog;
    await expect(tokens.nameField).toBeFocused();
    await tokens.createInDialogButton.click();
    await expect(dialog.getByText("Token name is required.")).toBeVisible();
    await expect(tokens.nameField).toHaveAttribute("aria-invalid", "true");
    await page.keyboard.press("Escape");
    await expect(dialog).toBeHidden();
    await page.reload();
    await expect(page.getByText("No personal tokens")).toBeVisible();

    // Create one, copy it: the clipboard holds exactly the secret.
    const name = uniqueName("Mia's laptop");
    await tokens.createButton.click();
    await tokens.nameField.fill(name);
    await tokens.createInDialogButton.click();
    const created = tokens.createdDialog;
    await expect(created).toBeVisible();
    await expect(created).toContainText(name);
    const secret = await tokens.shown.secret.inputValue();
    expect(secret).toMatch(/^lk_[0-9A-Za-z]{38}$/);
    recordSecret(secret);
    await tokens.shown.copyButton.click();
    await expect(tokens.shown.copiedButton).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await tokens.shown.doneButton.click();
    await expect(created).toBeHidden();
    await expect(tokens.createButton).toBeFocused();

    // Listed with its name, prefix, creation time and "Never" used; the secret is gone from the page.
    const row = tokens.row(name);
    await expect(row).toHaveCount(1);
    await expect(tokens.cell(name, "token")).toHaveText(`${secret.slice(0, 11)}…`);
    await expect(tokens.cell(name, "created")).toHaveText("just now");
    await expect(tokens.cell(name, "expires")).toHaveText(/^in \d+ (years?|days?|months?)$/);
    await expect(tokens.cell(name, "lastUsed")).toHaveText("Never");
    expect(await page.content()).not.toContain(secret);
    expect(await axeViolations(page)).toEqual([]);

    // The token calls the API as Mia…
    const me = expectOk(await api<MeView>(request, "GET", "/api/data/me", { key: secret }));
    expect(me).toMatchObject({ user: { email: "member@acme.test" }, role: "member", key: { name, kind: "personal" } });
    // …and the page shows it was used (last-used is written in the background).
    await expect(async () => {
      await page.reload();
      await expect(tokens.cell(name, "lastUsed")).toHaveText("just now", { timeout: 1_000 });
    }).toPass({ timeout: 15_000 });

    // Delete it, after a confirmation that names it; it is refused from the next request.
    await tokens.deleteButton(name).click();
    await expect(tokens.deleteConfirm(name)).toBeVisible();
    await tokens.chooseRevocationReason("No longer needed");
    await tokens.yesDeleteButton.click();
    await expect(page.getByText(`Deleted “${name}”.`)).toBeVisible();
    await expect(row).toHaveCount(0);
    expectError(await api(request, "GET", "/api/data/me", { key: secret }), 401, "key_revoked");

    // Two more, then delete all: the confirmation counts them.
    const more = [uniqueName("Mia's CI"), uniqueName("Mia's scripts")];
    const secrets: string[] = [];
    for (const n of more) secrets.push(await tokens.createToken(n));
    for (const n of more) await expect(tokens.row(n)).toHaveCount(1);
    await expect(tokens.rows).toHaveCount(3); // the header and two tokens
    await tokens.deleteAllButton.click();
    await expect(tokens.deleteAllConfirm(2)).toBeVisible();
    await tokens.chooseRevocationReason("Other", "Rotating every token");
    await tokens.confirmDeleteAllButton.click();
    await expect(page.getByText("Deleted 2 tokens.")).toBeVisible();
    await expect(page.getByText("No personal tokens")).toBeVisible();
    await expect(tokens.deleteAllButton).toBeDisabled();
    for (const s of secrets) expectError(await api(request, "GET", "/api/data/me", { key: s }), 401, "key_revoked");
  } finally {
    await tokens.deleteAnyTokens();
    await admin.settingsPage.setSwitch("Allow personal tokens", false);
    await admin.context.close();
  }
});

test("while the workspace disallows personal tokens, the page says why and offers no Create button", async ({
  browser,
  loginPage,
  tokensPage: tokens,
}) => {
  const admin = await adminSettings(browser);
  try {
    // Off is the default; make sure of it whatever ran before.
    await admin.settingsPage.setSwitch("Allow personal tokens", false);
    await loginPage.signIn("member@acme.test");
    await tokens.open();
    await expect(tokens.unavailableTitle).toBeVisible();
    const why = tokens.unavailable;
    await expect(why).toContainText("Personal tokens are turned off in this workspace. An Admin can allow them in the workspace settings.");
    await expect(why).toContainText("An Admin can allow them in the workspace settings.");
    await expect(tokens.createButton).toHaveCount(0);
    await expect(tokens.table).toHaveCount(0);

    // The Admin is pointed at the switch.
    await admin.page.goto("/w/acme/account/tokens");
    const adminWhy = admin.tokensPage.unavailable;
    await expect(adminWhy).toContainText("Personal tokens are turned off in this workspace. You can allow them in Settings.");
    await expect(adminWhy).toContainText("You can allow them in Settings.");
    await expect(admin.tokensPage.createButton).toHaveCount(0);
  } finally {
    await admin.context.close();
  }
});

test("a Guest is told guests cannot create personal tokens, even where they are allowed", async ({
  browser,
  page,
  loginPage,
  tokensPage: tokens,
}) => {
  const admin = await adminSettings(browser);
  try {
    await admin.settingsPage.setSwitch("Allow personal tokens", true);
    await loginPage.signIn("guest@acme.test");
    await page.goto("/w/acme/account/api");
    await expect(tokens.workspaceLink("Personal tokens")).toHaveCount(0);
    await tokens.open();
    await expect(tokens.unavailableTitle).toBeVisible();
    await expect(tokens.unavailable).toContainText("Guests cannot create personal tokens.");
    await expect(tokens.createButton).toHaveCount(0);
  } finally {
    await admin.settingsPage.setSwitch("Allow personal tokens", false);
    await admin.context.close();
  }
});
