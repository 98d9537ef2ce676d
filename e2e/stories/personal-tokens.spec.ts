import { expect, test, type Page } from "@playwright/test";
import { api, expectError, expectOk, openSettings, recordSecret, setSettingsSwitch, uniqueName, type MeView } from "../api/api-helpers";
import { signIn } from "../helpers";
import { axeViolations, createToken, openTokens, signedIn, TOKEN_COLUMNS, tokenRow, tokensTable } from "./story-helpers";

// Account > Personal tokens, as Mia Member: once the workspace allows them she creates, copies,
// uses and deletes her own tokens. Every test leaves "Allow personal tokens" off (the default)
// and Mia without tokens.

/** The workspace Admin's settings page, in a browser of its own. */
async function adminSettings(browser: Parameters<typeof signedIn>[0]) {
  const admin = await signedIn(browser, "admin@acme.test");
  await openSettings(admin.page);
  return admin;
}

/** Deletes whatever tokens the page still lists (clean-up after a failure part-way). */
async function deleteAnyTokens(page: Page) {
  await openTokens(page);
  const deleteAll = page.getByRole("button", { name: "Delete all tokens" });
  if ((await deleteAll.count()) === 0 || (await deleteAll.isDisabled())) return;
  await deleteAll.click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Delete all tokens" }).click();
  await expect(page.getByText("No personal tokens")).toBeVisible();
}

test("a Member creates, copies, uses and deletes personal tokens once the workspace allows them", async ({ browser, page, context, request }) => {
  test.slow();
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const admin = await adminSettings(browser);
  await signIn(page, "member@acme.test");
  try {
    await setSettingsSwitch(admin.page, "Allow personal tokens", true);

    // Mia finds the page in the workspace navigation; it starts empty and says what to do.
    await page.goto("/w/acme/account/api");
    await page.getByRole("navigation", { name: "Workspace" }).getByRole("link", { name: "Personal tokens" }).click();
    await expect(page).toHaveURL(/\/w\/acme\/account\/tokens$/);
    await expect(page.getByRole("heading", { name: "Personal tokens" })).toBeVisible();
    await expect(page.getByText("No personal tokens")).toBeVisible();
    await expect(page.getByText("Create a token to call the API as yourself")).toBeVisible();
    await expect(page.getByRole("button", { name: "Delete all tokens" })).toBeDisabled();

    // An empty name is refused in the dialog, and nothing is created.
    await page.getByRole("button", { name: "Create token" }).click();
    const dialog = page.getByRole("dialog", { name: "Create personal token" });
    await expect(dialog.getByLabel("Name")).toBeFocused();
    await dialog.getByRole("button", { name: "Create token" }).click();
    await expect(dialog.getByText("Token name is required.")).toBeVisible();
    await expect(dialog.getByLabel("Name")).toHaveAttribute("aria-invalid", "true");
    await page.keyboard.press("Escape");
    await expect(dialog).toBeHidden();
    await page.reload();
    await expect(page.getByText("No personal tokens")).toBeVisible();

    // Create one, copy it: the clipboard holds exactly the secret.
    const name = uniqueName("Mia's laptop");
    await page.getByRole("button", { name: "Create token" }).click();
    await dialog.getByLabel("Name").fill(name);
    await dialog.getByRole("button", { name: "Create token" }).click();
    const created = page.getByRole("dialog", { name: "Personal token created" });
    await expect(created).toBeVisible();
    await expect(created).toContainText(name);
    const secret = await created.getByLabel("Secret").inputValue();
    expect(secret).toMatch(/^lk_[0-9A-Za-z]{38}$/);
    recordSecret(secret);
    await created.getByRole("button", { name: "Copy to clipboard" }).click();
    await expect(created.getByRole("button", { name: "Copied" })).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await created.getByRole("button", { name: "Done" }).click();
    await expect(created).toBeHidden();
    await expect(page.getByRole("button", { name: "Create token" })).toBeFocused();

    // Listed with its name, prefix, creation time and "Never" used; the secret is gone from the page.
    const row = tokenRow(page, name);
    const cells = row.getByRole("cell");
    await expect(row).toHaveCount(1);
    await expect(cells.nth(TOKEN_COLUMNS.token)).toHaveText(`${secret.slice(0, 11)}…`);
    await expect(cells.nth(TOKEN_COLUMNS.created)).toHaveText("just now");
    await expect(cells.nth(TOKEN_COLUMNS.expires)).toHaveText(/^in \d+ (years?|days?|months?)$/);
    await expect(cells.nth(TOKEN_COLUMNS.lastUsed)).toHaveText("Never");
    expect(await page.content()).not.toContain(secret);
    expect(await axeViolations(page)).toEqual([]);

    // The token calls the API as Mia…
    const me = expectOk(await api<MeView>(request, "GET", "/api/data/me", { key: secret }));
    expect(me).toMatchObject({ user: { email: "member@acme.test" }, role: "member", key: { name, kind: "personal" } });
    // …and the page shows it was used (last-used is written in the background).
    await expect(async () => {
      await page.reload();
      await expect(cells.nth(TOKEN_COLUMNS.lastUsed)).toHaveText("just now", { timeout: 1_000 });
    }).toPass({ timeout: 15_000 });

    // Delete it, after a confirmation that names it; it is refused from the next request.
    await row.getByRole("button", { name: `Delete ${name}` }).click();
    const confirmOne = page.getByRole("alertdialog", { name: `Delete “${name}”?` });
    await expect(confirmOne).toBeVisible();
    await confirmOne.getByRole("button", { name: "Yes, delete" }).click();
    await expect(page.getByText(`Deleted “${name}”.`)).toBeVisible();
    await expect(row).toHaveCount(0);
    expectError(await api(request, "GET", "/api/data/me", { key: secret }), 401, "key_revoked");

    // Two more, then delete all: the confirmation counts them.
    const more = [uniqueName("Mia's CI"), uniqueName("Mia's scripts")];
    const secrets: string[] = [];
    for (const n of more) secrets.push(await createToken(page, n));
    for (const n of more) await expect(tokenRow(page, n)).toHaveCount(1);
    await expect(tokensTable(page).getByRole("row")).toHaveCount(3); // the header and two tokens
    await page.getByRole("button", { name: "Delete all tokens" }).click();
    const confirmAll = page.getByRole("alertdialog", { name: "Delete all 2 tokens?" });
    await expect(confirmAll).toBeVisible();
    await confirmAll.getByRole("button", { name: "Delete all tokens" }).click();
    await expect(page.getByText("Deleted 2 tokens.")).toBeVisible();
    await expect(page.getByText("No personal tokens")).toBeVisible();
    await expect(page.getByRole("button", { name: "Delete all tokens" })).toBeDisabled();
    for (const s of secrets) expectError(await api(request, "GET", "/api/data/me", { key: s }), 401, "key_revoked");
  } finally {
    await deleteAnyTokens(page);
    await setSettingsSwitch(admin.page, "Allow personal tokens", false);
    await admin.context.close();
  }
});

test("while the workspace disallows personal tokens, the page says why and offers no Create button", async ({ browser, page }) => {
  const admin = await adminSettings(browser);
  try {
    // Off is the default; make sure of it whatever ran before.
    await setSettingsSwitch(admin.page, "Allow personal tokens", false);
    await signIn(page, "member@acme.test");
    await openTokens(page);
    await expect(page.getByRole("heading", { name: "Personal tokens are not available" })).toBeVisible();
    const why = page.getByRole("region", { name: "Personal tokens are not available" });
    await expect(why).toContainText("Personal tokens are turned off in this workspace. An Admin can allow them in the workspace settings.");
    await expect(why).toContainText("An Admin can allow them in the workspace settings.");
    await expect(page.getByRole("button", { name: "Create token" })).toHaveCount(0);
    await expect(page.getByRole("table", { name: "Personal tokens" })).toHaveCount(0);

    // The Admin is pointed at the switch.
    await admin.page.goto("/w/acme/account/tokens");
    const adminWhy = admin.page.getByRole("region", { name: "Personal tokens are not available" });
    await expect(adminWhy).toContainText("Personal tokens are turned off in this workspace. You can allow them in Settings.");
    await expect(adminWhy).toContainText("You can allow them in Settings.");
    await expect(admin.page.getByRole("button", { name: "Create token" })).toHaveCount(0);
  } finally {
    await admin.context.close();
  }
});

test("a Guest is told guests cannot create personal tokens, even where they are allowed", async ({ browser, page }) => {
  const admin = await adminSettings(browser);
  try {
    await setSettingsSwitch(admin.page, "Allow personal tokens", true);
    await signIn(page, "guest@acme.test");
    await page.goto("/w/acme/account/api");
    await expect(page.getByRole("navigation", { name: "Workspace" }).getByRole("link", { name: "Personal tokens" })).toHaveCount(0);
    await openTokens(page);
    await expect(page.getByRole("heading", { name: "Personal tokens are not available" })).toBeVisible();
    await expect(page.getByRole("region", { name: "Personal tokens are not available" })).toContainText("Guests cannot create personal tokens.");
    await expect(page.getByRole("button", { name: "Create token" })).toHaveCount(0);
  } finally {
    await setSettingsSwitch(admin.page, "Allow personal tokens", false);
    await admin.context.close();
  }
});
