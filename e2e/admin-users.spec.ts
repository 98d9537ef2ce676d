import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { expect, screensOf, signedIn, test } from "./fixtures";
import { recordSecret, unique } from "./helpers";

// Admin > Users as a Global Admin, and what it does to the people it acts on. Every test makes
// its own users, so the demo cast (which other specs sign in as) is never changed.

/** Signs in with a one-time password and replaces it; returns the new password. */
async function firstSignIn(page: Page, email: string, otp: string): Promise<string> {
  const { loginPage, passwordPage } = screensOf(page);
  await loginPage.attempt(email, otp);
  await expect(page).toHaveURL(/\/account\/password$/);
  await expect(passwordPage.title).toBeVisible();
  return passwordPage.chooseOwn(otp);
}

test.describe("Admin > Users", () => {
  test("create a user → one-time password → they sign in and must choose their own first", async ({
    page,
    browser,
    loginPage,
    adminUsersPage: users,
  }) => {
    // Many sign-ins, each a deliberate half-second of scrypt (N=2^17) on a shared machine.
    test.slow();
    await loginPage.signIn("global@latchkey.test");
    await users.adminLink("Users").click();
    await expect(page).toHaveURL(/\/admin\/users$/);
    const email = `${unique("grace")}@example.test`;
    const otp = await users.createUser({ name: "Grace Hopper", email, workspace: "Acme Inc.", role: "Manager" });

    await users.search(email);
    const row = users.row(email);
    await expect(row).toContainText("Acme Inc. · Manager");
    await expect(row).toContainText("Invited");

    const them = await browser.newContext();
    const theirPage = await them.newPage();
    const their = screensOf(theirPage);
    await their.loginPage.attempt(email, otp);
    await expect(theirPage).toHaveURL(/\/account\/password$/);
    // Every other console page sends them back until they choose.
    for (const target of ["/", "/w/acme/account/api", "/account"]) {
      await theirPage.goto(target);
      await expect(theirPage).toHaveURL(/\/account\/password$/);
    }
    // A wrong one-time password changes nothing and says why.
    await their.passwordPage.change("not-the-one-time-password", "a-perfectly-long-password");
    await expect(theirPage.getByText("That is not your current password.", { exact: true })).toBeVisible();

    const chosen = `chosen-${unique("pw")}`;
    recordSecret(chosen);
    await their.passwordPage.change(otp, chosen);
    await expect(theirPage).toHaveURL(/\/w\/acme\/account\/api$/);
    await them.close();

    // The one-time password no longer works; the chosen one does.
    const again = await browser.newContext();
    const againPage = await again.newPage();
    const { loginPage: againLogin } = screensOf(againPage);
    await againLogin.attempt(email, otp);
    await expect(againPage.getByText("Wrong email or password.")).toBeVisible();
    await againLogin.signIn(email, chosen);
    await expect(againPage).toHaveURL(/\/w\/acme\/account\/api$/);
    await again.close();
  });

  test("disable → their session ends and their sign-in is refused; re-enable lets them back", async ({
    page,
    browser,
    loginPage,
    adminUsersPage: users,
  }) => {
    // Many sign-ins, each a deliberate half-second of scrypt (N=2^17) on a shared machine.
    test.slow();
    await loginPage.signIn("global@latchkey.test");
    const email = `${unique("dis")}@example.test`;
    const otp = await users.createUser({ name: "Disabled Dana", email, workspace: "Acme Inc.", role: "Member" });
    const them = await browser.newContext();
    const theirPage = await them.newPage();
    const their = screensOf(theirPage);
    const chosen = await firstSignIn(theirPage, email, otp);

    await users.search(email);
    const row = users.row(email);
    await users.action(email, "Disable Disabled Dana").click();
    await users.confirm("Disable Disabled Dana?", "Disable user");
    await expect(page.getByText("Disabled Disabled Dana.")).toBeVisible();
    await expect(row).toContainText("Disabled");

    await theirPage.goto("/w/acme/account/api");
    await expect(theirPage).toHaveURL(/\/login\?reason=session_ended$/);
    await expect(theirPage.getByText("Your session ended. Sign in again.")).toBeVisible();
    await their.loginPage.attempt(email, chosen);
    await expect(theirPage).toHaveURL(/\/login/);
    await expect(their.loginPage.title).toBeVisible();

    await users.action(email, "Re-enable Disabled Dana").click();
    await users.confirm("Re-enable Disabled Dana?", "Re-enable user");
    await expect(row).toContainText("Active");
    await their.loginPage.signIn(email, chosen);
    await expect(theirPage).toHaveURL(/\/w\/acme\/account\/api$/);
    await them.close();
  });

  test("a deleted user's live session lands on the login page once, with a message, instead of looping", async ({
    page,
    browser,
    loginPage,
    adminUsersPage: users,
  }) => {
    // Many sign-ins, each a deliberate half-second of scrypt (N=2^17) on a shared machine.
    test.slow();
    await loginPage.signIn("global@latchkey.test");
    const email = `${unique("del")}@example.test`;
    const otp = await users.createUser({ name: "Deleted Dee", email, workspace: "Globex Corp.", role: "Member" });
    const them = await browser.newContext();
    const theirPage = await them.newPage();
    await firstSignIn(theirPage, email, otp);

    await users.search(email);
    await users.action(email, "Delete Deleted Dee").click();
    await users.confirm("Delete Deleted Dee?", "Delete user");
    await expect(page.getByText("Deleted Deleted Dee.")).toBeVisible();
    await expect(users.row(email)).toHaveCount(0);

    const redirects: string[] = [];
    theirPage.on("response", (r) => {
      if (r.status() >= 300 && r.status() < 400) redirects.push(r.url());
    });
    await theirPage.goto("/");
    await expect(theirPage).toHaveURL(/\/login\?reason=session_ended$/);
    await expect(theirPage.getByText("Your session ended. Sign in again.")).toBeVisible();
    // The login page itself stays put with the stale cookie.
    await theirPage.reload();
    await expect(screensOf(theirPage).loginPage.title).toBeVisible();
    expect(redirects.length).toBeLessThanOrEqual(2);
    await them.close();
  });

  test("the admin can neither disable nor delete themselves", async ({ loginPage, adminUsersPage: users }) => {
    await loginPage.signIn("global@latchkey.test");
    await users.goto("q=global%40latchkey.test");
    const row = users.row("global@latchkey.test");
    await expect(row).toContainText("You");
    await expect(users.buttonsIn(row)).toHaveCount(0);
  });

  test("is a 404 for everyone but a Global Admin", async ({ page, loginPage }) => {
    await loginPage.signIn("admin@acme.test");
    const response = await page.goto("/admin/users");
    expect(response?.status()).toBe(404);
  });

  test("passes axe, and looks right on a desktop and a phone", async ({ page, browser, loginPage, adminUsersPage: users }, testInfo) => {
    await loginPage.signIn("global@latchkey.test");
    await users.goto();
    await expect(users.table).toBeVisible();
    const results = await new AxeBuilder({ page }).analyze();
    expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
    await page.screenshot({ path: testInfo.outputPath("admin-users.png"), fullPage: true });

    await users.createButton.click();
    await users.createInDialogButton.click();
    await expect(users.createDialog.getByText("Enter a name.")).toBeVisible();
    const dialogAxe = await new AxeBuilder({ page }).include('[role="dialog"]').analyze();
    expect(dialogAxe.violations.map((v) => v.id)).toEqual([]);
    await page.screenshot({ path: testInfo.outputPath("admin-users-create.png") });

    const phone = await signedIn(browser, "global@latchkey.test");
    await phone.page.setViewportSize({ width: 390, height: 844 });
    await phone.adminUsersPage.goto();
    await expect(phone.adminUsersPage.table).toBeVisible();
    await phone.page.screenshot({ path: testInfo.outputPath("admin-users-390.png"), fullPage: true });
    await phone.context.close();
  });
});
