import { randomBytes } from "node:crypto";
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "./fixtures";
import { ShownSecret } from "./pages/shown-secret";

// Roll key in the console: from the grid row and from the key's page, a mode chosen in a radio
// group (by keyboard too), the new secret shown once, the old secret still accepted with the
// rotation headers, and the key's page telling its traffic and when it stops working.

test.describe("Roll key as a workspace Admin", () => {
  test.beforeEach(async ({ context, loginPage }) => {
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await loginPage.signIn("admin@acme.test");
  });

  test("from the grid: retire when quiet, the new secret once, the old one still accepted and told so", async ({
    page,
    apiKeysPage: keys,
    request,
  }, testInfo) => {
    await keys.open();
    const name = `Roll me ${randomBytes(3).toString("hex")}`;
    const old = await keys.createKey(name);

    const rollButton = keys.row(name).root.getByRole("button", { name: `Roll ${name}` });
    await rollButton.click();
    const dialog = page.getByRole("dialog", { name: `Roll “${name}”?` });
    await expect(dialog).toContainText("that one stops working now");
    await expect(dialog.getByRole("radio", { name: "24 hours" })).toBeChecked();
    // The radio group by keyboard: an arrow moves to the next choice, Space takes it.
    await dialog.getByRole("radio", { name: "24 hours" }).click();
    await page.keyboard.press("ArrowDown");
    await expect(dialog.getByRole("radio", { name: "7 days" })).toBeFocused();
    await page.keyboard.press("Space");
    await expect(dialog.getByRole("radio", { name: "7 days" })).toBeChecked();
    await dialog.getByRole("radio", { name: "Retire when quiet" }).click();
    await expect(dialog.getByLabel("Quiet for (minutes)")).toHaveValue("60");
    await expect(dialog.getByLabel("Deadline (days)")).toHaveValue("7");
    await dialog.getByLabel("Quiet for (minutes)").fill("30");
    const axe = await new AxeBuilder({ page }).include('[role="dialog"]').analyze();
    expect(axe.violations.map((v) => v.id)).toEqual([]);
    await page.screenshot({ path: testInfo.outputPath("roll-dialog.png") });
    await dialog.getByRole("button", { name: "Roll key" }).click();

    const shown = new ShownSecret(page.getByRole("dialog", { name: "API key rolled" }));
    await expect(shown.dialog).toBeVisible();
    await shown.copyButton.click();
    await expect(shown.copiedButton).toBeVisible();
    const fresh = await shown.take();
    expect(fresh).not.toBe(old);
    // Focus returns to the row's button.
    await expect(rollButton).toBeFocused();

    const oldAnswer = await request.get("/api/data/me", { headers: { "X-ApiKey": old } });
    expect(oldAnswer.status()).toBe(200);
    const prefix = await keys.row(name).root.locator("code").first().textContent();
    expect(oldAnswer.headers()["latchkey-key-rotated"]).toBe(prefix!.replace("…", ""));
    const expires = Date.parse(oldAnswer.headers()["latchkey-key-expires"]);
    expect(expires - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(30 * 60_000);
    expect((await request.get("/api/data/me", { headers: { "X-ApiKey": fresh } })).status()).toBe(200);

    // The key's page: the old secret, its traffic (written within a second), when it stops.
    await keys.row(name).link(name).click();
    const history = page.getByRole("region", { name: "Previous secrets" });
    await expect(history).toContainText("Still accepted");
    await expect(history).toContainText("Retire when quiet for 30 minutes");
    await expect(async () => {
      await page.reload();
      await expect(history).toContainText("1 request,", { timeout: 500 });
    }).toPass({ timeout: 5_000 });
    await page.screenshot({ path: testInfo.outputPath("key-page-rotation.png"), fullPage: true });

    // Rolled again from the key's page with "Now": both old secrets stop at once.
    await page.getByRole("button", { name: "Roll key" }).click();
    const again = page.getByRole("dialog", { name: `Roll “${name}”?` });
    await again.getByRole("radio", { name: "Now" }).click();
    await again.getByRole("button", { name: "Roll key" }).click();
    const third = await new ShownSecret(page.getByRole("dialog", { name: "API key rolled" })).take();
    for (const secret of [old, fresh]) {
      const refused = await request.get("/api/data/me", { headers: { "X-ApiKey": secret } });
      expect(refused.status()).toBe(401);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("key_rotated");
    }
    expect((await request.get("/api/data/me", { headers: { "X-ApiKey": third } })).status()).toBe(200);
    await expect(history).toContainText("because the key was rolled again");
    await expect(history).toContainText("because its overlap ended");
  });
});
