import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { createKey, keyRow, openApiTab, SECRET_RE, signIn } from "./helpers";

test.describe("Account > API tab as a workspace Admin", () => {
  test.beforeEach(async ({ page, context }) => {
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await signIn(page, "admin@acme.test");
  });

  test("home leads to the API tab through the workspace switcher", async ({ page }) => {
    await page.goto("/");
    await expect(page).toHaveURL(/\/w\/acme\/account\/api$/);
    await page.getByRole("button", { name: /Switch workspace/ }).click();
    await expect(page.getByRole("menuitem", { name: /Acme Inc\./ })).toBeVisible();
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: /Account menu/ }).click();
    await expect(page.getByRole("menuitem", { name: "Sign out" })).toBeVisible();
  });

  test("create a key, copy the secret, confirm before closing, see it in the grid", async ({ page }) => {
    await openApiTab(page);
    await page.getByRole("button", { name: "Create API key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create API key" });
    await expect(dialog.getByLabel("Bearer token")).toBeChecked();
    // Default expiry: today + the workspace's 2-year maximum.
    const expires = await dialog.getByLabel("Expires").inputValue();
    const days = (Date.parse(expires) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(728);
    expect(days).toBeLessThan(731);
    await dialog.getByLabel("Name").fill("Warehouse sync");
    await dialog.getByLabel("Description (optional)").fill("Pushes stock levels every hour.");
    await dialog.getByRole("button", { name: "Generate key" }).click();

    const created = page.getByRole("dialog", { name: "API key created" });
    await expect(created).toBeVisible();
    await expect(created).toContainText("cannot show it again");
    const secret = await created.getByLabel("Secret").inputValue();
    expect(secret).toMatch(SECRET_RE);

    await created.getByRole("button", { name: "Copy to clipboard" }).click();
    await expect(created.getByRole("button", { name: "Copied" })).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

    // Escape asks first; "Go back" keeps the secret on screen.
    await page.keyboard.press("Escape");
    const confirm = page.getByRole("alertdialog", { name: "Close without saving the secret?" });
    await expect(confirm).toBeVisible();
    await confirm.getByRole("button", { name: "Go back" }).click();
    await expect(confirm).toBeHidden();
    await expect(created.getByLabel("Secret")).toHaveValue(secret);
    // A click outside asks too.
    await page.mouse.click(5, 5);
    await expect(confirm).toBeVisible();
    await confirm.getByRole("button", { name: "Go back" }).click();
    await created.getByRole("button", { name: "Done" }).click();
    await expect(created).toBeHidden();

    const row = keyRow(page, "Warehouse sync");
    await expect(row).toBeVisible();
    await expect(row).toContainText(`${secret.slice(0, 11)}…`);
    await expect(row).toContainText("Ada Admin");
    // The secret itself is nowhere on the page once the dialog is gone.
    expect(await page.content()).not.toContain(secret);
  });

  test("closing the secret dialog anyway discards it", async ({ page }) => {
    await openApiTab(page);
    await page.getByRole("button", { name: "Create API key" }).click();
    await page.getByRole("dialog", { name: "Create API key" }).getByLabel("Name").fill("Discarded secret");
    await page.getByRole("button", { name: "Generate key" }).click();
    await expect(page.getByRole("dialog", { name: "API key created" })).toBeVisible();
    await page.getByRole("dialog", { name: "API key created" }).getByRole("button", { name: "Close" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Close anyway" }).click();
    await expect(page.getByRole("dialog", { name: "API key created" })).toBeHidden();
    await expect(keyRow(page, "Discarded secret")).toBeVisible();
  });

  test("bad input gets field messages and creates nothing", async ({ page }) => {
    await openApiTab(page);
    await page.getByRole("button", { name: "Create API key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create API key" });
    await dialog.getByRole("button", { name: "Generate key" }).click();
    await expect(dialog.getByText("Name is required.")).toBeVisible();
    await expect(dialog.getByLabel("Name")).toHaveAttribute("aria-invalid", "true");
    await dialog.getByLabel("Name").fill("x".repeat(101));
    await dialog.getByRole("button", { name: "Generate key" }).click();
    await expect(dialog.getByText("Name must be at most 100 characters.")).toBeVisible();
    await dialog.getByLabel("Name").fill("Billing sync"); // a demo key's name
    await dialog.getByRole("button", { name: "Generate key" }).click();
    await expect(dialog.getByText(/already exists in this workspace/)).toBeVisible();
    await dialog.getByLabel("Name").fill("Too far out");
    await dialog.getByLabel("Expires").fill("2099-01-01");
    await dialog.getByRole("button", { name: "Generate key" }).click();
    await expect(dialog.getByText(/maximum key lifetime is 730 days/)).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(keyRow(page, "Too far out")).toHaveCount(0);
  });

  test("bearer checkbox, enabled switch and edit persist across reloads", async ({ page }) => {
    await openApiTab(page);
    await createKey(page, "Toggle target");
    const row = keyRow(page, "Toggle target");

    await row.getByRole("checkbox", { name: "Bearer token" }).click();
    await expect(page.getByText(/Bearer token no longer accepted/)).toBeVisible();
    await row.getByRole("switch", { name: "Enabled" }).click();
    await expect(page.getByText(/Disabled “Toggle target”/)).toBeVisible();

    await page.reload();
    await expect(row.getByRole("checkbox", { name: "Bearer token" })).not.toBeChecked();
    await expect(row.getByRole("switch", { name: "Enabled" })).not.toBeChecked();
    await expect(row).toContainText("Disabled");

    await row.getByRole("switch", { name: "Enabled" }).click();
    await expect(page.getByText(/Enabled “Toggle target”/)).toBeVisible();
    await page.reload();
    await expect(row.getByRole("switch", { name: "Enabled" })).toBeChecked();

    await row.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("dialog", { name: "Edit API key" });
    await edit.getByLabel("Name").fill("Toggle target (renamed)");
    await edit.getByLabel("Description (optional)").fill("Renamed in the e2e test.");
    await edit.getByRole("button", { name: "Save changes" }).click();
    await expect(edit).toBeHidden();
    await expect(keyRow(page, "Toggle target (renamed)")).toContainText("Renamed in the e2e test.");
  });

  test("keyboard only: create a key and return focus", async ({ page }) => {
    await openApiTab(page);
    const trigger = page.getByRole("button", { name: "Create API key" });
    await trigger.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Create API key" });
    await expect(dialog.getByLabel("Name")).toBeFocused();
    await page.keyboard.type("Keyboard key");
    await page.keyboard.press("Enter"); // implicit submission
    const created = page.getByRole("dialog", { name: "API key created" });
    await expect(created).toBeVisible();
    // Tab reaches the copy button and Done without a mouse.
    const copy = created.getByRole("button", { name: "Copy to clipboard" });
    for (let i = 0; i < 5 && !(await copy.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press("Tab");
    await expect(copy).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(created.getByRole("button", { name: "Copied" })).toBeVisible();
    const done = created.getByRole("button", { name: "Done" });
    for (let i = 0; i < 5 && !(await done.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press("Tab");
    await expect(done).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(created).toBeHidden();
    await expect(trigger).toBeFocused();
    await expect(keyRow(page, "Keyboard key")).toBeVisible();
  });

  test("axe finds no serious or critical violations on the API tab and its dialogs", async ({ page }) => {
    await openApiTab(page);
    const serious = async () =>
      (await new AxeBuilder({ page }).analyze()).violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    expect(await serious()).toEqual([]);
    await page.getByRole("button", { name: "Create API key" }).click();
    await expect(page.getByRole("dialog", { name: "Create API key" })).toBeVisible();
    expect(await serious()).toEqual([]);
  });

  test("revoke one key with confirmation, then revoke all", async ({ page }) => {
    await openApiTab(page);
    await createKey(page, "Short-lived key");
    const row = keyRow(page, "Short-lived key");
    await row.getByRole("button", { name: "Revoke" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Revoke “Short-lived key”?" });
    await expect(confirm).toBeVisible();
    await confirm.getByRole("button", { name: "Yes, revoke" }).click();
    await expect(page.getByText("Revoked “Short-lived key”.")).toBeVisible();
    await expect(row).toHaveCount(0);

    const live = await page.getByRole("table", { name: "API keys" }).getByRole("row").count();
    const liveKeys = live - 1; // minus the header row
    expect(liveKeys).toBeGreaterThan(0);
    await page.getByRole("button", { name: "Revoke all" }).click();
    const dialog = page.getByRole("dialog", { name: /Revoke all API keys/ });
    const submit = dialog.getByRole("button", { name: "Revoke all keys" });
    await expect(submit).toBeDisabled();
    await dialog.getByLabel("Type acme to confirm").fill("acm");
    await expect(submit).toBeDisabled();
    await dialog.getByLabel("Type acme to confirm").fill("acme");
    await submit.click();
    await expect(page.getByText(`Revoked ${liveKeys} ${liveKeys === 1 ? "key" : "keys"}.`)).toBeVisible();
    await expect(page.getByText("No API keys yet")).toBeVisible();
    await expect(page.getByRole("button", { name: "Revoke all" })).toBeDisabled();
  });
});
