import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "./fixtures";
import { SECRET_RE } from "./helpers";

test.describe("Account > API tab as a workspace Admin", () => {
  test.beforeEach(async ({ context, loginPage }) => {
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await loginPage.signIn("admin@acme.test");
  });

  test("home leads to the API tab through the workspace switcher", async ({ page, apiKeysPage }) => {
    await page.goto("/");
    await expect(page).toHaveURL(/\/w\/acme\/account\/api$/);
    await apiKeysPage.workspaceSwitcher.click();
    await expect(apiKeysPage.menuItem(/Acme Inc\./)).toBeVisible();
    await page.keyboard.press("Escape");
    await apiKeysPage.accountMenu.click();
    await expect(apiKeysPage.menuItem("Sign out")).toBeVisible();
  });

  test("create a key, copy the secret, confirm before closing, see it in the grid", async ({ page, apiKeysPage: keys }) => {
    await keys.open();
    await keys.createButton.click();
    await expect(keys.bearerField).toBeChecked();
    // Default expiry: today + the workspace's 2-year maximum.
    await expect(keys.expiresField).toHaveText("730 days (the workspace's maximum)");
    const expires = (await keys.expiryShown())!;
    const days = (Date.parse(expires) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(728);
    expect(days).toBeLessThan(731);
    await keys.nameField.fill("Warehouse sync");
    await keys.descriptionField.fill("Pushes stock levels every hour.");
    await keys.generateButton.click();

    await expect(keys.secretDialog).toBeVisible();
    await expect(keys.secretDialog).toContainText("cannot show it again");
    const secret = await keys.shown.secret.inputValue();
    expect(secret).toMatch(SECRET_RE);

    await keys.shown.copyButton.click();
    await expect(keys.shown.copiedButton).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

    // Escape asks first; "Go back" keeps the secret on screen.
    await page.keyboard.press("Escape");
    await expect(keys.discardConfirm).toBeVisible();
    await keys.goBackButton.click();
    await expect(keys.discardConfirm).toBeHidden();
    await expect(keys.shown.secret).toHaveValue(secret);
    // A click outside asks too.
    await page.mouse.click(5, 5);
    await expect(keys.discardConfirm).toBeVisible();
    await keys.goBackButton.click();
    await keys.shown.doneButton.click();
    await expect(keys.secretDialog).toBeHidden();

    const row = keys.row("Warehouse sync").root;
    await expect(row).toBeVisible();
    await expect(row).toContainText(`${secret.slice(0, 11)}…`);
    await expect(row).toContainText("Ada Admin");
    // The secret itself is nowhere on the page once the dialog is gone.
    expect(await page.content()).not.toContain(secret);
  });

  test("closing the secret dialog anyway discards it", async ({ apiKeysPage: keys }) => {
    await keys.open();
    await keys.createButton.click();
    await keys.nameField.fill("Discarded secret");
    await keys.generateButton.click();
    await expect(keys.secretDialog).toBeVisible();
    await keys.closeButton.click();
    await keys.closeAnywayButton.click();
    await expect(keys.secretDialog).toBeHidden();
    await expect(keys.row("Discarded secret").root).toBeVisible();
  });

  test("bad input gets field messages and creates nothing", async ({ page, apiKeysPage: keys }) => {
    await keys.open();
    await keys.createButton.click();
    const dialog = keys.createDialog;
    await keys.generateButton.click();
    await expect(dialog.getByText("Name is required.")).toBeVisible();
    await expect(keys.nameField).toHaveAttribute("aria-invalid", "true");
    await keys.nameField.fill("x".repeat(101));
    await keys.generateButton.click();
    await expect(dialog.getByText("Name must be at most 100 characters.")).toBeVisible();
    await keys.nameField.fill("Billing sync"); // a demo key's name
    await keys.generateButton.click();
    await expect(dialog.getByText(/already exists in this workspace/)).toBeVisible();
    await keys.nameField.fill("Too far out");
    await keys.chooseExpiry("Custom date…");
    await keys.expiryDate.fill("2099-01-01");
    await keys.generateButton.click();
    await expect(dialog.getByText(/maximum key lifetime is 730 days/)).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(keys.row("Too far out").root).toHaveCount(0);
  });

  test("bearer checkbox, enabled switch and edit persist across reloads", async ({ page, apiKeysPage: keys }) => {
    await keys.open();
    await keys.createKey("Toggle target");
    const row = keys.row("Toggle target");

    await row.bearer.click();
    await expect(page.getByText(/Bearer token no longer accepted/)).toBeVisible();
    await row.enabled.click();
    await expect(page.getByText(/Disabled “Toggle target”/)).toBeVisible();

    await page.reload();
    await expect(row.bearer).not.toBeChecked();
    await expect(row.enabled).not.toBeChecked();
    await expect(row.root).toContainText("Disabled");

    await row.enabled.click();
    await expect(page.getByText(/Enabled “Toggle target”/)).toBeVisible();
    await page.reload();
    await expect(row.enabled).toBeChecked();

    await row.editButton.click();
    await keys.editName.fill("Toggle target (renamed)");
    await keys.editDescription.fill("Renamed in the e2e test.");
    await keys.saveChangesButton.click();
    await expect(keys.editDialog).toBeHidden();
    await expect(keys.row("Toggle target (renamed)").root).toContainText("Renamed in the e2e test.");
  });

  test("keyboard only: create a key and return focus", async ({ page, apiKeysPage: keys }) => {
    await keys.open();
    const trigger = keys.createButton;
    await trigger.focus();
    await page.keyboard.press("Enter");
    await expect(keys.nameField).toBeFocused();
    await page.keyboard.type("Keyboard key");
    await page.keyboard.press("Enter"); // implicit submission
    await expect(keys.secretDialog).toBeVisible();
    // Tab reaches the copy button and Done without a mouse.
    const copy = keys.shown.copyButton;
    for (let i = 0; i < 5 && !(await copy.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press("Tab");
    await expect(copy).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(keys.shown.copiedButton).toBeVisible();
    const done = keys.shown.doneButton;
    for (let i = 0; i < 5 && !(await done.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press("Tab");
    await expect(done).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(keys.secretDialog).toBeHidden();
    await expect(trigger).toBeFocused();
    await expect(keys.row("Keyboard key").root).toBeVisible();
  });

  test("axe finds no serious or critical violations on the API tab and its dialogs", async ({ page, apiKeysPage: keys }) => {
    await keys.open();
    const serious = async () =>
      (await new AxeBuilder({ page }).analyze()).violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    expect(await serious()).toEqual([]);
    await keys.createButton.click();
    await expect(keys.createDialog).toBeVisible();
    expect(await serious()).toEqual([]);
  });

  test("revoke one key with confirmation, then revoke all", async ({ page, apiKeysPage: keys }) => {
    await keys.open();
    await keys.createKey("Short-lived key");
    const row = keys.row("Short-lived key");
    await row.revokeButton.click();
    const confirm = keys.revokeConfirm("Short-lived key");
    await expect(confirm).toBeVisible();
    // A reason is required: the button waits for one.
    await expect(keys.yesRevokeButton).toBeDisabled();
    await keys.chooseRevocationReason("Superseded");
    await keys.yesRevokeButton.click();
    await expect(page.getByText("Revoked “Short-lived key”.")).toBeVisible();
    await expect(row.root).toHaveCount(0);

    const live = await keys.rows.count();
    const liveKeys = live - 1; // minus the header row
    expect(liveKeys).toBeGreaterThan(0);
    await keys.revokeAllButton.click();
    const submit = keys.revokeAllKeysButton;
    await expect(submit).toBeDisabled();
    await keys.revokeAllConfirmField("acme").fill("acm");
    await expect(submit).toBeDisabled();
    await keys.revokeAllConfirmField("acme").fill("acme");
    await expect(submit).toBeDisabled();
    await keys.chooseRevocationReason("Compromised");
    await submit.click();
    await expect(page.getByText(`Revoked ${liveKeys} ${liveKeys === 1 ? "key" : "keys"}.`)).toBeVisible();
    await expect(page.getByText("No API keys yet")).toBeVisible();
    await expect(keys.revokeAllButton).toBeDisabled();
  });
});
