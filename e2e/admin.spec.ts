import fs from "node:fs";
import AxeBuilder from "@axe-core/playwright";
import type { Browser } from "@playwright/test";
import { expect, signedIn, test } from "./fixtures";

const KEYS_HEADER = "workspace,name,kind,owner email,prefix,state,created,expires,last used";

/** Creates keys in acme as its Admin, in a browser context of their own. */
async function createAcmeKeys(browser: Browser, names: string[]) {
  const admin = await signedIn(browser, "admin@acme.test");
  await admin.apiKeysPage.open();
  for (const name of names) await admin.apiKeysPage.createKey(name);
  await admin.context.close();
}

test.describe("Admin > Keys as a Global Admin", () => {
  test.beforeEach(async ({ loginPage }) => {
    await loginPage.signIn("global@latchkey.test");
  });

  test("lists every workspace's keys, filters in the URL, and exports the filter as CSV", async ({ page, adminKeysPage: keys }) => {
    await keys.adminLink("Keys").click();
    await expect(page).toHaveURL(/\/admin\/keys$/);
    await expect(keys.rows("Volcano telemetry")).toContainText("Globex Corp.");
    await expect(keys.rows("Billing sync")).toContainText("Acme Inc.");

    await keys.expiringWithin.fill("30");
    await keys.applyFiltersButton.click();
    await expect(page).toHaveURL(/[?&]expiringWithin=30(&|$)/);
    const reporting = keys.rows("Reporting dashboard");
    await expect(reporting).toContainText("manager@acme.test");
    await expect(reporting).toContainText("Active");
    await expect(keys.rows("Billing sync")).toHaveCount(0);
    const shown = (await keys.rows().count()) - 1;

    await expect(keys.exportLink).toHaveAttribute("href", "/admin/keys/export?expiringWithin=30");
    const [download] = await Promise.all([page.waitForEvent("download"), keys.exportLink.click()]);
    expect(download.suggestedFilename()).toMatch(/^latchkey-keys-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = fs.readFileSync((await download.path())!, "utf8");
    const [header, ...records] = csv.split("\r\n").filter((line) => line !== "");
    expect(header).toBe(KEYS_HEADER);
    expect(records).toHaveLength(shown);
    const line = records.find((r) => r.includes(",Reporting dashboard,"));
    expect(line).toMatch(
      /^Acme Inc\.,Reporting dashboard,workspace,manager@acme\.test,lk_[0-9A-Za-z]{8}…,active,\d{4}-\d{2}-\d{2}T[\d:.]+Z,\d{4}-\d{2}-\d{2}T[\d:.]+Z,$/,
    );
    const expires = Date.parse(line!.split(",")[7]);
    expect(expires - Date.now()).toBeLessThan(30 * 86_400_000);
    expect(csv).not.toContain("Billing sync");

    // Reset clears the filter and the URL.
    await keys.resetButton.click();
    await expect(page).toHaveURL(/\/admin\/keys$/);
    await expect(keys.rows("Billing sync")).toBeVisible();
    await expect(keys.expiringWithin).toHaveValue("");
  });

  test("sorts on the server by name", async ({ page, adminKeysPage: keys }) => {
    await keys.goto();
    await keys.nameSortButton.click();
    await expect(page).toHaveURL(/sort=name&dir=asc/);
    await expect(keys.nameHeader).toHaveAttribute("aria-sort", "ascending");
    const names = await keys.nameCells.allInnerTexts();
    expect(names.length).toBeGreaterThan(1);
    // First letters only: how spaces and punctuation sort depends on the database's collation.
    const initials = names.map((n) => n.charAt(0).toLowerCase());
    expect(initials).toEqual([...initials].sort());
    await keys.nameSortButton.click();
    await expect(page).toHaveURL(/sort=name&dir=desc/);
    await expect(keys.nameCells.first()).toHaveText(names[names.length - 1]);
  });

  test("bulk-revokes selected keys after a confirmation that counts them; the audit log shows who, what and when", async ({
    page,
    browser,
    adminKeysPage: keys,
    auditPage: audit,
  }) => {
    await createAcmeKeys(browser, ["Bulk revoke one", "Bulk revoke two"]);
    await keys.goto("q=bulk%20revoke");
    await expect(keys.rows()).toHaveCount(3);
    await keys.select("Bulk revoke one", "Acme Inc.").click();
    await keys.select("Bulk revoke two", "Acme Inc.").click();
    await expect(page.getByText("2 keys selected")).toBeVisible();

    await keys.revokeSelectedButton.click();
    const confirm = keys.confirm("Revoke 2 keys?");
    await expect(confirm).toBeVisible();
    await expect(confirm).toContainText("Bulk revoke one");
    await expect(confirm).toContainText("Bulk revoke two");
    const before = Date.now();
    await keys.chooseRevocationReason("Compromised");
    await keys.confirmButton("Revoke 2 keys?", "Revoke 2 keys").click();
    await expect(confirm).toBeHidden();
    await expect(page.getByText("Revoked 2 keys.")).toBeVisible();
    await expect(keys.rows("Bulk revoke")).toHaveCount(0);

    // Still there when revoked keys are asked for.
    await keys.goto("q=bulk%20revoke&state=revoked");
    await expect(keys.rows("Bulk revoke one")).toContainText("Revoked");
    await expect(keys.select("Bulk revoke one", "Acme Inc.")).toBeDisabled();

    await audit.adminLink("Audit").click();
    await expect(page).toHaveURL(/\/admin\/audit$/);
    await audit.filterByAction("Key revoked");
    await audit.keyFilter.fill("Bulk revoke");
    await audit.applyFiltersButton.click();
    await expect(page).toHaveURL(/action=api_key\.revoked/);
    const rows = audit.rows("Bulk revoke");
    await expect(rows).toHaveCount(2);
    for (const name of ["Bulk revoke one", "Bulk revoke two"]) {
      const row = rows.filter({ hasText: name });
      await expect(row).toContainText("Grace Global");
      await expect(row).toContainText("Key revoked");
      await expect(row).toContainText("Acme Inc.");
      await expect(row).toContainText(/revokedAt: none → \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
      const when = Date.parse((await audit.eventTime(row).getAttribute("datetime"))!);
      expect(when).toBeGreaterThanOrEqual(before - 5_000);
      expect(when).toBeLessThanOrEqual(Date.now());
    }
  });

  test("bulk-disables selected keys", async ({ page, browser, adminKeysPage: keys }) => {
    await createAcmeKeys(browser, ["Bulk disable me"]);
    await keys.goto("q=bulk%20disable");
    await keys.select("Bulk disable me", "Acme Inc.").click();
    const disable = keys.disableSelectedButton;
    await disable.click();
    const confirm = keys.confirm("Disable 1 key?");
    // Escape closes without changing anything and gives focus back to the button.
    await page.keyboard.press("Escape");
    await expect(confirm).toBeHidden();
    await expect(disable).toBeFocused();
    await disable.press("Enter");
    await keys.confirmButton("Disable 1 key?", "Disable 1 key").click();
    await expect(page.getByText("Disabled 1 key.")).toBeVisible();
    await expect(keys.rows("Bulk disable me")).toContainText("Disabled");
  });

  test("both admin pages pass axe", async ({ page, adminKeysPage }) => {
    for (const path of ["/admin/keys", "/admin/audit"]) {
      await page.goto(path);
      await expect(adminKeysPage.tables).toBeVisible();
      const results = await new AxeBuilder({ page }).analyze();
      expect(results.violations.map((v) => `${path}: ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
    }
  });
});

test.describe("the admin area is hidden from everyone else", () => {
  test("a workspace Admin gets 404 for the admin pages and their exports", async ({ page, loginPage }) => {
    await loginPage.signIn("admin@acme.test");
    await expect(loginPage.adminNav).toHaveCount(0);
    for (const path of ["/admin/keys", "/admin/audit"]) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(404);
      await expect(loginPage.tables).toHaveCount(0);
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
  test("a workspace Admin sees only their workspace's events, on the page and in the export", async ({ page, loginPage, auditPage: audit }) => {
    await loginPage.signIn("admin@acme.test");
    await page.goto("/w/acme/account/api");
    await audit.workspaceLink("Audit").click();
    await expect(page).toHaveURL(/\/w\/acme\/audit$/);
    await expect(audit.rows("Billing sync").filter({ hasText: "Key created" }).first()).toBeVisible();
    await expect(audit.workspaceColumn).toHaveCount(0);
    await expect(audit.table).not.toContainText("Volcano telemetry");
    await expect(audit.table).not.toContainText("Hank Scorpio");

    const response = await page.request.get("/w/acme/audit/export");
    expect(response.status()).toBe(200);
    expect(response.headers()["content-disposition"]).toMatch(/^attachment; filename="latchkey-audit-acme-\d{4}-\d{2}-\d{2}\.csv"$/);
    const [header, ...records] = (await response.text()).split("\r\n").filter((line) => line !== "");
    expect(header).toBe("time,workspace,actor,actor email,action,target,reason,changes,ip");
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) expect(record.split(",")[1]).toBe("Acme Inc.");

    expect((await page.goto("/w/globex/audit"))?.status()).toBe(404);
    expect((await page.request.get("/w/globex/audit/export")).status()).toBe(404);
  });

  test("a Member is told why and sees no audit data", async ({ page, loginPage, auditPage: audit }) => {
    await loginPage.signIn("member@acme.test");
    await page.goto("/w/acme/audit");
    await expect(audit.heading("You can't see the audit log of Acme Inc.")).toBeVisible();
    await expect(audit.tables).toHaveCount(0);
    await expect(page.getByText("Key created")).toHaveCount(0);
    await expect(audit.workspaceLink("Audit")).toHaveCount(0);
    expect((await page.request.get("/w/acme/audit/export")).status()).toBe(404);
  });
});
