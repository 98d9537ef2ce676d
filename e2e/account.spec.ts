import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { createKey, openApiTab, signIn } from "./helpers";
import { createUserInDialog, recordSecret, unique } from "./users-helpers";

// Your account. Tests that change a password or end sessions do it to a user of their own,
// made through Admin > Users, so the demo cast other specs sign in as is never touched.

/** A new Acme member who has already replaced their one-time password; signed in on `page`. */
async function freshUser(browser: Browser, page: Page): Promise<{ email: string; password: string }> {
  const admin = await browser.newContext();
  const adminPage = await admin.newPage();
  await signIn(adminPage, "global@latchkey.test");
  const email = `${unique("acct")}@example.test`;
  const otp = await createUserInDialog(adminPage, { name: "Account Person", email, workspace: "Acme Inc.", role: "Member" });
  await admin.close();

  const password = `first-${unique("pw")}`;
  recordSecret(password);
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(otp);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/account\/password$/);
  await page.getByLabel("One-time password").fill(otp);
  await page.getByLabel("New password", { exact: true }).fill(password);
  await page.getByLabel("Confirm new password").fill(password);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page).not.toHaveURL(/\/account\/password|\/login/);
  return { email, password };
}

async function openAccount(page: Page) {
  await page.getByRole("button", { name: /^Account menu for/ }).click();
  await page.getByRole("menuitem", { name: "Your account" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("heading", { name: "Your account", level: 1 })).toBeVisible();
}

test.describe("Your account", () => {
  test("change password: this session carries on, every other one ends, the old password stops working", async ({ page, browser }) => {
    // Many sign-ins, each a deliberate half-second of scrypt (N=2^17) on a shared machine.
    test.slow();
    const { email, password } = await freshUser(browser, page);
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    await signIn(otherPage, email, password);

    await openAccount(page);
    const form = page.getByRole("region", { name: "Password" });
    // Field errors first: nothing changes.
    await form.getByLabel("Current password").fill(password);
    await form.getByLabel("New password", { exact: true }).fill("short");
    await form.getByLabel("Confirm new password").fill("different");
    await form.getByRole("button", { name: "Change password" }).click();
    await expect(form.getByText("Use at least 12 characters.")).toBeVisible();
    await expect(form.getByLabel("New password", { exact: true })).toHaveAttribute("aria-invalid", "true");

    const next = `second-${unique("pw")}`;
    recordSecret(next);
    await form.getByLabel("Current password").fill("certainly-not-my-password");
    await form.getByLabel("New password", { exact: true }).fill(next);
    await form.getByLabel("Confirm new password").fill(next);
    await form.getByRole("button", { name: "Change password" }).click();
    await expect(form.getByText("That is not your current password.", { exact: true })).toBeVisible();

    await form.getByLabel("Current password").fill(password);
    await form.getByRole("button", { name: "Change password" }).click();
    await expect(page.getByText("Password changed. Every other session has been signed out.")).toBeVisible();
    await page.reload();
    await expect(page.getByRole("heading", { name: "Your account", level: 1 })).toBeVisible();

    await otherPage.goto("/w/acme/account/api");
    await expect(otherPage).toHaveURL(/\/login\?reason=session_ended$/);
    await expect(otherPage.getByText("Your session ended. Sign in again.")).toBeVisible();
    await otherPage.getByLabel("Email").fill(email);
    await otherPage.getByLabel("Password").fill(password);
    await otherPage.getByRole("button", { name: "Sign in" }).click();
    await expect(otherPage.getByText("Wrong email or password.")).toBeVisible();
    await signIn(otherPage, email, next);
    await other.close();
  });

  test("sign out everywhere ends this session and every other one", async ({ page, browser }) => {
    // Many sign-ins, each a deliberate half-second of scrypt (N=2^17) on a shared machine.
    test.slow();
    const { email, password } = await freshUser(browser, page);
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    await signIn(otherPage, email, password);

    await page.goto("/account");
    await page.getByRole("button", { name: "Sign out everywhere" }).click();
    await page.getByRole("alertdialog", { name: "Sign out everywhere?" }).getByRole("button", { name: "Sign out everywhere" }).click();
    await expect(page).toHaveURL(/\/login\?reason=signed_out_everywhere$/);
    await expect(page.getByText("You were signed out on every device. Sign in again.")).toBeVisible();
    await page.goto("/account");
    await expect(page).toHaveURL(/\/login/);

    await otherPage.goto("/account");
    await expect(otherPage).toHaveURL(/\/login\?reason=session_ended$/);
    // Signing in again works and starts a session that counts.
    await signIn(otherPage, email, password);
    await otherPage.goto("/account");
    await expect(otherPage.getByRole("heading", { name: "Your account", level: 1 })).toBeVisible();
    await other.close();
  });

  test("revoke a key that acts as you, from whichever workspace it is in", async ({ page, request }) => {
    await signIn(page, "admin@acme.test");
    await openApiTab(page);
    const name = unique("Acts as me");
    const secret = await createKey(page, name);
    const before = await request.get("/api/data/me", { headers: { "X-ApiKey": secret } });
    expect(before.status()).toBe(200);

    await page.goto("/account");
    const table = page.getByRole("table", { name: "Keys that act as you" });
    const row = table.getByRole("row").filter({ hasText: name });
    await expect(row).toContainText("Acme Inc.");
    await expect(row).toContainText("You");
    await expect(row).toContainText("Active");
    await row.getByRole("button", { name: `Revoke ${name} (Acme Inc.)` }).click();
    const confirm = page.getByRole("alertdialog", { name: `Revoke ${name}?` });
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await expect(row).toBeVisible();
    await row.getByRole("button", { name: `Revoke ${name} (Acme Inc.)` }).click();
    await confirm.getByRole("button", { name: "Revoke" }).click();
    await expect(page.getByText(`Revoked ${name}.`)).toBeVisible();
    await expect(row).toHaveCount(0);

    const after = await request.get("/api/data/me", { headers: { "X-ApiKey": secret } });
    expect(after.status()).toBe(401);
  });

  test("passes axe, and looks right on a desktop and a phone", async ({ page }, testInfo) => {
    await signIn(page, "manager@acme.test");
    for (const target of ["/account", "/account/password"]) {
      await page.goto(target);
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
      const results = await new AxeBuilder({ page }).analyze();
      expect(results.violations.map((v) => `${target}: ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
      const file = target.replaceAll("/", "-").slice(1);
      await page.screenshot({ path: testInfo.outputPath(`${file}.png`), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: testInfo.outputPath(`${file}-390.png`), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 720 });
    }
    await page.goto("/login?reason=session_ended");
    await expect(page).not.toHaveURL(/\/login/);
  });
});
