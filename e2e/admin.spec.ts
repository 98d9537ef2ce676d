import fs from "node:fs";
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { createKey, openApiTab, signIn } from "./helpers";

const KEYS_HEADER = "workspace,name,kind,owner email,prefix,state,created,expires,last used";

function keysTable(page: Page) {
  return page.getByRole("table", { name: "All API keys" });
}

function auditTable(page: Page) {
  return page.getByRole("table", { name: "Audit events" });
}

/** Creates keys in acme as its Admin, in a browser context of their own. */
async function createAcmeKeys(browser: Browser, names: string[]) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, "admin@acme.test");
  await openApiTab(page);
  for (const name of names) await createKey(page, name);
  await context.close();
}

test.describe("Admin > Keys as a Global Admin", () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, "global@latchkey.test");
  });

  test("lists every workspace's keys, filters in the URL, and exports the filter as CSV", async ({ page }) => {
    await page.getByRole("navigation", { name: "Admin", exact: true }).getByRole("link", { name: "Keys" }).click();
    await expect(page).toHaveURL(/\/admin\/keys$/);
    const table = keysTable(page);
    await expect(table.getByRole("row").filter({ hasText: "Volcano telemetry" })).toContainText("Globex Corp.");
    await expect(table.getByRole("row").filter({ hasText: "Billing sync" })).toContainText("Acme Inc.");

    await page.getByLabel("Expiring within (days)").fill("30");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await expect(page).toHaveURL(/[?&]expiringWithin=30(&|$)/);
    const reporting = table.getByRole("row").filter({ hasText: "Reporting dashboard" });
    await expect(reporting).toContainText("manager@acme.test");
    await expect(reporting).toContainText("Active");
    await expect(table.getByRole("row").filter({ hasText: "Billing sync" })).toHaveCount(0);
    const shown = (await table.getByRole("row").count()) - 1;

    const exportLink = page.getByRole("link", { name: "Export CSV" });
    await expect(exportLink).toHaveAttribute("href", "/admin/keys/export?expiringWithin=30");
    const [download] = await Promise.all([page.waitForEvent("download"), exportLink.click()]);
    expect(download.suggestedFilename()).toMatch(/^latchkey-keys-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = fs.readFileSync((await download.path())!, "utf8");
    const [header, ...records] = csv.split("\r\n").filter((line) => line !== "");
    expect(header).toBe(KEYS_HEADER);
    expect(records).toHaveLength(shown);
    const line = records.find((r) => r.includes(",Reporting dashboard,"));
    expect(line).toMatch(/^Acme Inc\.,Reporting dashboard,workspace,manager@acme\.test,lk_[0-9A-Za-z]{8}…,active,\d{4}-\d{2}-\d{2}T[\d:.]+Z,\d{4}-\d{2}-\d{2}T[\d:.]+Z,$/);
    const expires = Date.parse(line!.split(",")[7]);
    expect(expires - Date.now()).toBeLessThan(30 * 86_400_000);
    expect(csv).not.toContain("Billing sync");

    // Reset clears the filter and the URL.
    await page.getByRole("button", { name: "Reset" }).click();
    await expect(page).toHaveURL(/\/admin\/keys$/);
    await expect(table.getByRole("row").filter({ hasText: "Billing sync" })).toBeVisible();
    await expect(page.getByLabel("Expiring within (days)")).toHaveValue("");
  });

  test("sorts on the server by name", async ({ page }) => {
    await page.goto("/admin/keys");
    await keysTable(page).getByRole("button", { name: "Name" }).click();
    await expect(page).toHaveURL(/sort=name&dir=asc/);
    await expect(keysTable(page).getByRole("columnheader", { name: "Name" })).toHaveAttribute("aria-sort", "ascending");
    const names = await keysTable(page).locator("tbody tr td:nth-child(2)").allInnerTexts();
    expect(names.length).toBeGreaterThan(1);
    // First letters only: how spaces and punctuation sort depends on the database's collation.
    const initials = names.map((n) => n.charAt(0).toLowerCase());
    expect(initials).toEqual([...initials].sort());
    await keysTable(page).getByRole("button", { name: "Name" }).click();
    await expect(page).toHaveURL(/sort=name&dir=desc/);
    await expect(keysTable(page).locator("tbody tr td:nth-child(2)").first()).toHaveText(names[names.length - 1]);
  });

  test("bulk-revokes selected keys after a confirmation that counts them; the audit log shows who, what and when", async ({ page, browser }) => {
    await createAcmeKeys(browser, ["Bulk revoke one", "Bulk revoke two"]);
    await page.goto("/admin/keys?q=bulk%20revoke");
    const table = keysTable(page);
    await expect(table.getByRole("row")).toHaveCount(3);
    await page.getByRole("checkbox", { name: "Select Bulk revoke one (Acme Inc.)" }).click();
    await page.getByRole("checkbox", { name: "Select Bulk revoke two (Acme Inc.)" }).click();
    await expect(page.getByText("2 keys selected")).toBeVisible();

    await page.getByRole("button", { name: "Revoke selected" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Revoke 2 keys?" });
    await expect(confirm).toBeVisible();
    await expect(confirm).toContainText("Bulk revoke one");
    await expect(confirm).toContainText("Bulk revoke two");
    const before = Date.now();
    await confirm.getByRole("button", { name: "Revoke 2 keys" }).click();
    await expect(confirm).toBeHidden();
    await expect(page.getByText("Revoked 2 keys.")).toBeVisible();
    await expect(table.getByRole("row").filter({ hasText: "Bulk revoke" })).toHaveCount(0);

    // Still there when revoked keys are asked for.
    await page.goto("/admin/keys?q=bulk%20revoke&state=revoked");
    await expect(table.getByRole("row").filter({ hasText: "Bulk revoke one" })).toContainText("Revoked");
    await expect(page.getByRole("checkbox", { name: "Select Bulk revoke one (Acme Inc.)" })).toBeDisabled();

    await page.getByRole("navigation", { name: "Admin", exact: true }).getByRole("link", { name: "Audit" }).click();
    await expect(page).toHaveURL(/\/admin\/audit$/);
    await page.getByRole("combobox", { name: "Action" }).click();
    await page.getByRole("option", { name: "Key revoked", exact: true }).click();
    await page.getByLabel("Key name, prefix or id").fill("Bulk revoke");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await expect(page).toHaveURL(/action=api_key\.revoked/);
    const rows = auditTable(page).getByRole("row").filter({ hasText: "Bulk revoke" });
    await expect(rows).toHaveCount(2);
    for (const name of ["Bulk revoke one", "Bulk revoke two"]) {
      const row = rows.filter({ hasText: name });
      await expect(row).toContainText("Grace Global");
      await expect(row).toContainText("Key revoked");
      await expect(row).toContainText("Acme Inc.");
      await expect(row).toContainText(/revokedAt: none → \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
      const when = Date.parse((await row.locator("time").getAttribute("datetime"))!);
      expect(when).toBeGreaterThanOrEqual(before - 5_000);
      expect(when).toBeLessThanOrEqual(Date.now());
    }
  });

  test("bulk-disables selected keys", async ({ page, browser }) => {
    await createAcmeKeys(browser, ["Bulk disable me"]);
    await page.goto("/admin/keys?q=bulk%20disable");
    await page.getByRole("checkbox", { name: "Select Bulk disable me (Acme Inc.)" }).click();
    const disable = page.getByRole("button", { name: "Disable selected" });
    await disable.click();
    const confirm = page.getByRole("alertdialog", { name: "Disable 1 key?" });
    // Escape closes without changing anything and gives focus back to the button.
    await page.keyboard.press("Escape");
    await expect(confirm).toBeHidden();
    await expect(disable).toBeFocused();
    await disable.press("Enter");
    await confirm.getByRole("button", { name: "Disable 1 key" }).click();
    await expect(page.getByText("Disabled 1 key.")).toBeVisible();
    await expect(keysTable(page).getByRole("row").filter({ hasText: "Bulk disable me" })).toContainText("Disabled");
  });

  test("both admin pages pass axe", async ({ page }) => {
    for (const path of ["/admin/keys", "/admin/audit"]) {
      await page.goto(path);
      await expect(page.getByRole("table")).toBeVisible();
      const results = await new AxeBuilder({ page }).analyze();
      expect(results.violations.map((v) => `${path}: ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
    }
  });
});

test.describe("the admin area is hidden from everyone else", () => {
  test("a workspace Admin gets 404 for the admin pages and their exports", async ({ page }) => {
    await signIn(page, "admin@acme.test");
    await expect(page.getByRole("navigation", { name: "Admin", exact: true })).toHaveCount(0);
    for (const path of ["/admin/keys", "/admin/audit"]) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(404);
      await expect(page.getByRole("table")).toHaveCount(0);
    }
    for (const path of ["/admin/keys/export", "/admin/keys/export?state=all", "/admin/audit/export"]) {
      const response = await page.request.get(path);
      expect(response.status(), path).toBe(404);
      expect(await response.text()).not.toContain("workspace,");
    }
  });

  test("signed out, the exports are 404 too", async ({ request }) => {
    for (const path of ["/admin/keys/export", "/admin/audit/export", "/w/acme/audit/export"]) {
      expect((await request.get(path)).status(), path).toBe(404);
    }
  });
});

test.describe("the workspace audit log", () => {
  test("a workspace Admin sees only their workspace's events, on the page and in the export", async ({ page }) => {
    await signIn(page, "admin@acme.test");
    await page.goto("/w/acme/account/api");
    await page.getByRole("navigation", { name: "Workspace" }).getByRole("link", { name: "Audit" }).click();
    await expect(page).toHaveURL(/\/w\/acme\/audit$/);
    const table = auditTable(page);
    await expect(table.getByRole("row").filter({ hasText: "Billing sync" }).filter({ hasText: "Key created" }).first()).toBeVisible();
    await expect(table.getByRole("columnheader", { name: "Workspace" })).toHaveCount(0);
    await expect(table).not.toContainText("Volcano telemetry");
    await expect(table).not.toContainText("Hank Scorpio");

    const response = await page.request.get("/w/acme/audit/export");
    expect(response.status()).toBe(200);
    expect(response.headers()["content-disposition"]).toMatch(/^attachment; filename="latchkey-audit-acme-\d{4}-\d{2}-\d{2}\.csv"$/);
    const [header, ...records] = (await response.text()).split("\r\n").filter((line) => line !== "");
    expect(header).toBe("time,workspace,actor,actor email,action,target,changes,ip");
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) expect(record.split(",")[1]).toBe("Acme Inc.");

    expect((await page.goto("/w/globex/audit"))?.status()).toBe(404);
    expect((await page.request.get("/w/globex/audit/export")).status()).toBe(404);
  });

  test("a Member is told why and sees no audit data", async ({ page }) => {
    await signIn(page, "member@acme.test");
    await page.goto("/w/acme/audit");
    await expect(page.getByRole("heading", { name: "You can't see the audit log of Acme Inc." })).toBeVisible();
    await expect(page.getByRole("table")).toHaveCount(0);
    await expect(page.getByText("Key created")).toHaveCount(0);
    await expect(page.getByRole("navigation", { name: "Workspace" }).getByRole("link", { name: "Audit" })).toHaveCount(0);
    expect((await page.request.get("/w/acme/audit/export")).status()).toBe(404);
  });
});
