import AxeBuilder from "@axe-core/playwright";
import type { Browser, Page } from "@playwright/test";
import { expect, screensOf, signedIn, test } from "./fixtures";
import { recordSecret, unique } from "./helpers";

// Your account. Tests that change a password or end sessions do it to a user of their own,
// made through Admin > Users, so the demo cast other specs sign in as is never touched.

/** A new Acme member who has already replaced their one-time password; signed in on `page`. */
async function freshUser(browser: Browser, page: Page): Promise<{ email: string; password: string }> {
  const me = screensOf(page);
  const admin = await signedIn(browser, "global@latchkey.test");
  const email = `${unique("acct")}@example.test`;
  const otp = await admin.adminUsersPage.createUser({ name: "Account Person", email, workspace: "Acme Inc.", role: "Member" });
  await admin.context.close();

  await me.loginPage.attempt(email, otp);
  await expect(page).toHaveURL(/\/account\/password$/);
  const password = await me.passwordPage.chooseOwn(otp, "first");
  return { email, password };
}

test.describe("Your account", () => {
  test("change password: this session carries on, every other one ends, the old password stops working", async ({
    page,
    browser,
    accountPage: account,
  }) => {
    // Many sign-ins, each a deliberate half-second of scrypt (N=2^17) on a shared machine.
    test.slow();
    const { email, password } = await freshUser(browser, page);
    const other = await signedIn(browser, email, {}, password);

    await account.openFromMenu();
    const form = account.passwordForm;
    // Field errors first: nothing changes.
    await account.currentPassword.fill(password);
    await account.newPassword.fill("short");
    await account.confirmPassword.fill("different");
    await account.changePasswordButton.click();
    await expect(form.getByText("Use at least 12 characters.")).toBeVisible();
    await expect(account.newPassword).toHaveAttribute("aria-invalid", "true");

    const next = `second-${unique("pw")}`;
    recordSecret(next);
    await account.currentPassword.fill("certainly-not-my-password");
    await account.newPassword.fill(next);
    await account.confirmPassword.fill(next);
    await account.changePasswordButton.click();
    await expect(form.getByText("That is not your current password.", { exact: true })).toBeVisible();

    await account.currentPassword.fill(password);
    await account.changePasswordButton.click();
    // The form empties only once the change has been answered. The toast alone proves nothing: the
    // one-time password change in freshUser shows the same words, and sonner keeps a toast while
    // its page is in the background, so reloading on it alone cut this change off mid-request.
    await expect(account.currentPassword).toHaveValue("");
    await expect(page.getByText("Password changed. Every other session has been signed out.")).toBeVisible();
    await page.reload();
    await expect(account.title).toBeVisible();

    await other.page.goto("/w/acme/account/api");
    await expect(other.page).toHaveURL(/\/login\?reason=session_ended$/);
    await expect(other.page.getByText("Your session ended. Sign in again.")).toBeVisible();
    await other.loginPage.submit(email, password);
    await expect(other.page.getByText("Wrong email or password.")).toBeVisible();
    await other.loginPage.signIn(email, next);
    await other.context.close();
  });

  test("sign out everywhere ends this session and every other one", async ({ page, browser, accountPage: account }) => {
    // Many sign-ins, each a deliberate half-second of scrypt (N=2^17) on a shared machine.
    test.slow();
    const { email, password } = await freshUser(browser, page);
    const other = await signedIn(browser, email, {}, password);

    await account.goto();
    await account.signOutEverywhere();
    await expect(page).toHaveURL(/\/login\?reason=signed_out_everywhere$/);
    await expect(page.getByText("You were signed out on every device. Sign in again.")).toBeVisible();
    await account.goto();
    await expect(page).toHaveURL(/\/login/);

    await other.accountPage.goto();
    await expect(other.page).toHaveURL(/\/login\?reason=session_ended$/);
    // Signing in again works and starts a session that counts.
    await other.loginPage.signIn(email, password);
    await other.accountPage.goto();
    await expect(other.accountPage.title).toBeVisible();
    await other.context.close();
  });

  test("revoke a key that acts as you, from whichever workspace it is in", async ({
    page,
    request,
    loginPage,
    apiKeysPage,
    accountPage: account,
  }) => {
    await loginPage.signIn("admin@acme.test");
    await apiKeysPage.open();
    const name = unique("Acts as me");
    const secret = await apiKeysPage.createKey(name);
    const before = await request.get("/api/data/me", { headers: { "X-ApiKey": secret } });
    expect(before.status()).toBe(200);

    await account.goto();
    const row = account.keyRow(name);
    await expect(row).toContainText("Acme Inc.");
    await expect(row).toContainText("You");
    await expect(row).toContainText("Active");
    await account.revokeButton(name, "Acme Inc.").click();
    await account.revokeConfirmButton(name, "Cancel").click();
    await expect(row).toBeVisible();
    await account.revokeButton(name, "Acme Inc.").click();
    await account.chooseRevocationReason("Owner left");
    await account.revokeConfirmButton(name, "Revoke").click();
    await expect(page.getByText(`Revoked ${name}.`)).toBeVisible();
    await expect(row).toHaveCount(0);

    const after = await request.get("/api/data/me", { headers: { "X-ApiKey": secret } });
    expect(after.status()).toBe(401);
  });

  test("passes axe, and looks right on a desktop and a phone", async ({ page, loginPage }, testInfo) => {
    await loginPage.signIn("manager@acme.test");
    for (const target of ["/account", "/account/password"]) {
      await page.goto(target);
      await expect(loginPage.h1).toBeVisible();
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
