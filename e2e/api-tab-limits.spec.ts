import fs from "node:fs";
import { randomBytes } from "node:crypto";
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "./fixtures";
import { chooseOption } from "./pages/select";

// A key's rate limit and quota in the console: set in the create dialog, refused over REST with
// the RateLimit headers, shown on the key's page with what its quota used, and topped up there.
// (Two instances sharing one limit through Redis: e2e/api/limits.spec.ts.)

test.describe("Rate limit and quota as a workspace Admin", () => {
  test.beforeEach(async ({ loginPage }) => {
    await loginPage.signIn("admin@acme.test");
  });

  test("set at creation, enforced with RateLimit headers, shown on the key's page and topped up", async ({
    page,
    apiKeysPage: keys,
    request,
  }, testInfo) => {
    await keys.open();
    const name = `Limited ${randomBytes(3).toString("hex")}`;
    await keys.createButton.click();
    await keys.nameField.fill(name);
    const limits = keys.createDialog.getByRole("group", { name: "Rate limit and quota" });
    await limits.getByLabel("Rate limit (requests)").fill("2");
    // An hour's window, so the test cannot straddle two.
    await chooseOption(limits.getByRole("combobox", { name: "Rate limit window" }), "per hour");
    await limits.getByLabel("Quota (requests)").fill("3");
    await chooseOption(limits.getByRole("combobox", { name: "Quota period" }), "in total");
    const axe = await new AxeBuilder({ page }).include('[role="dialog"]').analyze();
    expect(axe.violations.map((v) => v.id)).toEqual([]);
    await limits.screenshot({ path: testInfo.outputPath("limits-fields.png") });
    await keys.generateButton.click();
    const secret = await keys.shown.take();

    const first = await request.get("/api/data/me", { headers: { "X-ApiKey": secret } });
    expect(first.status()).toBe(200);
    expect(first.headers()["ratelimit-policy"]).toBe('"rate";q=2;w=3600, "quota";q=3');
    expect(first.headers()["ratelimit"]).toMatch(/^"rate";r=1;t=\d+, "quota";r=2$/);
    expect((await request.get("/api/data/me", { headers: { "X-ApiKey": secret } })).status()).toBe(200);
    const over = await request.get("/api/data/me", { headers: { "X-ApiKey": secret } });
    expect(over.status()).toBe(429);
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    expect(Number(over.headers()["retry-after"])).toBeGreaterThan(0);

    // The key's page: the limits, and what the quota used (written within a second).
    await keys.row(name).link(name).click();
    await expect(page.getByText("2 requests per hour")).toBeVisible();
    await expect(async () => {
      await page.reload();
      await expect(page.getByText("2 of 3 used (67 %)")).toBeVisible({ timeout: 500 });
    }).toPass({ timeout: 5_000 });
    await expect(page.getByRole("meter", { name: "Quota used" })).toHaveAttribute("aria-valuenow", "2");

    // Top up by keyboard: the dialog takes focus, bad input is named, Enter adds, focus comes back.
    const topUp = page.getByRole("button", { name: "Top up quota" });
    await topUp.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: `Top up “${name}”` });
    await expect(dialog.getByLabel("Requests to add")).toBeFocused();
    await page.keyboard.type("0");
    await page.keyboard.press("Enter");
    await expect(dialog.getByText("A top-up must be at least 1 request.")).toBeVisible();
    await dialog.getByLabel("Requests to add").fill("10");
    await page.screenshot({ path: testInfo.outputPath("top-up-dialog.png") });
    await page.keyboard.press("Enter");
    await expect(page.getByText(`Topped up “${name}”: 13 requests in total.`)).toBeVisible();
    await expect(dialog).toBeHidden();
    await expect(topUp).toBeFocused();
    await expect(page.getByRole("meter", { name: "Quota used" })).toHaveAttribute("aria-valuemax", "13");
    await expect(page.getByText("2 of 13 used (15 %)")).toBeVisible();
    await page.screenshot({ path: testInfo.outputPath("key-page-limits.png"), fullPage: true });
    if (process.env.LIMITS_SCREENSHOTS_DIR)
      for (const f of ["limits-fields.png", "top-up-dialog.png", "key-page-limits.png"])
        fs.copyFileSync(testInfo.outputPath(f), `${process.env.LIMITS_SCREENSHOTS_DIR}/${f}`);
  });

  test("the workspace's defaults fill in the create dialog, and a bad limit is named in it", async ({
    page,
    apiKeysPage: keys,
    settingsPage,
  }, testInfo) => {
    await settingsPage.open();
    const form = page.getByRole("form", { name: "Default rate limit and quota" });
    await form.getByLabel("Rate limit (requests)").fill("100");
    await chooseOption(form.getByRole("combobox", { name: "Rate limit window" }), "per second");
    await form.getByRole("button", { name: "Save default limits" }).click();
    await expect(page.getByText("New keys get 100 requests per second.")).toBeVisible();
    await form.screenshot({ path: testInfo.outputPath("default-limits.png") });
    if (process.env.LIMITS_SCREENSHOTS_DIR)
      fs.copyFileSync(testInfo.outputPath("default-limits.png"), `${process.env.LIMITS_SCREENSHOTS_DIR}/default-limits.png`);
    try {
      await keys.open();
      await keys.createButton.click();
      const limits = keys.createDialog.getByRole("group", { name: "Rate limit and quota" });
      await expect(limits.getByLabel("Rate limit (requests)")).toHaveValue("100");
      await expect(limits.getByRole("combobox", { name: "Rate limit window" })).toHaveText("per second");
      await expect(limits).toContainText("Filled in with the workspace's defaults.");
      await keys.nameField.fill(`Bad limit ${randomBytes(3).toString("hex")}`);
      await limits.getByLabel("Rate limit (requests)").fill("lots");
      await keys.generateButton.click();
      await expect(limits.getByText("The rate limit must be a whole number of requests.")).toBeVisible();
      await expect(limits.getByLabel("Rate limit (requests)")).toHaveAttribute("aria-invalid", "true");
    } finally {
      await settingsPage.open();
      await form.getByLabel("Rate limit (requests)").fill("");
      await form.getByRole("button", { name: "Save default limits" }).click();
      await expect(page.getByText("New keys get no rate limit or quota.")).toBeVisible();
    }
  });
});
