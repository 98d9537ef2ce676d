import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { signIn } from "./helpers";
import { createUserInDialog, recordSecret, unique, usersTable } from "./users-helpers";

// Admin > Users as a Global Admin, and what it does to the people it acts on. Every test makes
// its own users, so the demo cast (which other specs sign in as) is never changed.

/** Signs in on the login form without expecting to get in. */
async function submitLogin(page: Page, email: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Signs in with a one-time password and replaces it; returns the new password. */
async function firstSignIn(page: Page, email: string, otp: string): Promise<string> {
  await submitLogin(page, email, otp);
  await expect(page).toHaveURL(/\/account\/password$/);
  await expect(page.getByRole("heading", { name: "Choose your own password" })).toBeVisible();
  const chosen = `chosen-${unique("pw")}`;
  recordSecret(chosen);
  await page.getByLabel("One-time password").fill(otp);
  await page.getByLabel("New password", { exact: true }).fill(chosen);
  await page.getByLabel("Confirm new password").fill(chosen);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page).not.toHaveURL(/\/account\/password|\/login/);
  return chosen;
}

async function asGlobalAdmin(browser: Browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, "global@latchkey.test");
  return { context, page };
}

test.describe("Admin > Users", () => {
  test("create a user → one-time password → they sign in and must choose their own first", async ({ page, browser }) => {
    // Many sign-ins, each a deliberate half-second of scrypt (N=2^17) on a shared machine.
    test.slow();
    await signIn(page, "global@latchkey.test");
    await page.getByRole("navigation", { name: "Admin", exact: true }).getByRole("link", { name: "Users" }).click();
    await expect(page).toHaveURL(/\/admin\/users$/);
    const email = `${unique("grace")}@example.test`;
    const otp = await createUserInDialog(page, { name: "Grace Hopper", email, workspace: "Acme Inc.", role: "Manager" });

    await page.getByLabel("Search name or email").fill(email);
    await page.getByRole("button", { name: "Apply filters" }).click();
    const row = usersTable(page).getByRole("row").filter({ hasText: email });
    await expect(row).toContainText("Acme Inc. · Manager");
    await expect(row).toContainText("Invited");

    const them = await browser.newContext();
    const theirPage = await them.newPage();
    await submitLogin(theirPage, email, otp);
    await expect(theirPage).toHaveURL(/\/account\/password$/);
    // Every other console page sends them back until they choose.
    for (const target of ["/", "/w/acme/account/api", "/account"]) {
      await theirPage.goto(target);
      await expect(theirPage).toHaveURL(/\/account\/password$/);
    }
    // A wrong one-time password changes nothing and says why.
    await theirPage.getByLabel("One-time password").fill("not-the-one-time-password");
    await theirPage.getByLabel("New password", { exact: true }).fill("a-perfectly-long-password");
    await theirPage.getByLabel("Confirm new password").fill("a-perfectly-long-password");
    await theirPage.getByRole("button", { name: "Change password" }).click();
    await expect(theirPage.getByText("That is not your current password.", { exact: true })).toBeVisible();

    const chosen = `chosen-${unique("pw")}`;
    recordSecret(chosen);
    await theirPage.getByLabel("One-time password").fill(otp);
    await theirPage.getByLabel("New password", { exact: true }).fill(chosen);
    await theirPage.getByLabel("Confirm new password").fill(chosen);
    await theirPage.getByRole("button", { name: "Change password" }).click();
    await expect(theirPage).toHaveURL(/\/w\/acme\/account\/api$/);
    await them.close();

    // The one-time password no longer works; the chosen one does.
    const again = await browser.newContext();
    const againPage = await again.newPage();
    await submitLogin(againPage, email, otp);
    await expect(againPage.getByText("Wrong email or password.")).toBeVisible();
    await signIn(againPage, email, chosen);
    await expect(againPage).toHaveURL(/\/w\/acme\/account\/api$/);
    await again.close();
  });

  test("disable → their session ends and their sign-in is refused; re-enable lets them back", async ({ page, browser }) => {
    // Many sign-ins, each a deliberate half-second of scrypt (N=2^17) on a shared machine.
    test.slow();
    await signIn(page, "global@latchkey.test");
    const email = `${unique("dis")}@example.test`;
    const otp = await createUserInDialog(page, { name: "Disabled Dana", email, workspace: "Acme Inc.", role: "Member" });
    const them = await browser.newContext();
    const theirPage = await them.newPage();
    const chosen = await firstSignIn(theirPage, email, otp);

    await page.getByLabel("Search name or email").fill(email);
    await page.getByRole("button", { name: "Apply filters" }).click();
    const row = usersTable(page).getByRole("row").filter({ hasText: email });
    await row.getByRole("button", { name: "Disable Disabled Dana" }).click();
    await page.getByRole("alertdialog", { name: "Disable Disabled Dana?" }).getByRole("button", { name: "Disable user" }).click();
    await expect(page.getByText("Disabled Disabled Dana.")).toBeVisible();
    await expect(row).toContainText("Disabled");

    await theirPage.goto("/w/acme/account/api");
    await expect(theirPage).toHaveURL(/\/login\?reason=session_ended$/);
    await expect(theirPage.getByText("Your session ended. Sign in again.")).toBeVisible();
    await submitLogin(theirPage, email, chosen);
    await expect(theirPage).toHaveURL(/\/login/);
    await expect(theirPage.getByRole("heading", { name: "Sign in" })).toBeVisible();

    await row.getByRole("button", { name: "Re-enable Disabled Dana" }).click();
    await page.getByRole("alertdialog", { name: "Re-enable Disabled Dana?" }).getByRole("button", { name: "Re-enable user" }).click();
    await expect(row).toContainText("Active");
    await signIn(theirPage, email, chosen);
    await expect(theirPage).toHaveURL(/\/w\/acme\/account\/api$/);
    await them.close();
  });

  test("a deleted user's live session lands on the login page once, with a message, instead of looping", async ({ page, browser }) => {
    // Many sign-ins, each a deliberate half-second of scrypt (N=2^17) on a shared machine.
    test.slow();
    await signIn(page, "global@latchkey.test");
    const email = `${unique("del")}@example.test`;
    const otp = await createUserInDialog(page, { name: "Deleted Dee", email, workspace: "Globex Corp.", role: "Member" });
    const them = await browser.newContext();
    const theirPage = await them.newPage();
    await firstSignIn(theirPage, email, otp);

    await page.getByLabel("Search name or email").fill(email);
    await page.getByRole("button", { name: "Apply filters" }).click();
    await usersTable(page).getByRole("row").filter({ hasText: email }).getByRole("button", { name: "Delete Deleted Dee" }).click();
    await page.getByRole("alertdialog", { name: "Delete Deleted Dee?" }).getByRole("button", { name: "Delete user" }).click();
    await expect(page.getByText("Deleted Deleted Dee.")).toBeVisible();
    await expect(usersTable(page).getByRole("row").filter({ hasText: email })).toHaveCount(0);

    const redirects: string[] = [];
    theirPage.on("response", (r) => {
      if (r.status() >= 300 && r.status() < 400) redirects.push(r.url());
    });
    await theirPage.goto("/");
    await expect(theirPage).toHaveURL(/\/login\?reason=session_ended$/);
    await expect(theirPage.getByText("Your session ended. Sign in again.")).toBeVisible();
    // The login page itself stays put with the stale cookie.
    await theirPage.reload();
    await expect(theirPage.getByRole("heading", { name: "Sign in" })).toBeVisible();
    expect(redirects.length).toBeLessThanOrEqual(2);
    await them.close();
  });

  test("the admin can neither disable nor delete themselves", async ({ page }) => {
    await signIn(page, "global@latchkey.test");
    await page.goto("/admin/users?q=global%40latchkey.test");
    const row = usersTable(page).getByRole("row").filter({ hasText: "global@latchkey.test" });
    await expect(row).toContainText("You");
    await expect(row.getByRole("button")).toHaveCount(0);
  });

  test("is a 404 for everyone but a Global Admin", async ({ page }) => {
    await signIn(page, "admin@acme.test");
    const response = await page.goto("/admin/users");
    expect(response?.status()).toBe(404);
  });

  test("passes axe, and looks right on a desktop and a phone", async ({ page, browser }, testInfo) => {
    await signIn(page, "global@latchkey.test");
    await page.goto("/admin/users");
    await expect(usersTable(page)).toBeVisible();
    const results = await new AxeBuilder({ page }).analyze();
    expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
    await page.screenshot({ path: testInfo.outputPath("admin-users.png"), fullPage: true });

    await page.getByRole("button", { name: "Create user" }).click();
    const dialog = page.getByRole("dialog", { name: "Create user" });
    await dialog.getByRole("button", { name: "Create user" }).click();
    await expect(dialog.getByText("Enter a name.")).toBeVisible();
    const dialogAxe = await new AxeBuilder({ page }).include('[role="dialog"]').analyze();
    expect(dialogAxe.violations.map((v) => v.id)).toEqual([]);
    await page.screenshot({ path: testInfo.outputPath("admin-users-create.png") });

    const { context, page: phone } = await asGlobalAdmin(browser);
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto("/admin/users");
    await expect(usersTable(phone)).toBeVisible();
    await phone.screenshot({ path: testInfo.outputPath("admin-users-390.png"), fullPage: true });
    await context.close();
  });
});
