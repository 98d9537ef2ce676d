import { test as base, expect, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { AccountPage } from "./pages/account-page";
import { AdminKeysPage } from "./pages/admin-keys-page";
import { AdminUsersPage } from "./pages/admin-users-page";
import { ApiKeysPage } from "./pages/api-keys-page";
import { AuditPage } from "./pages/audit-page";
import { KeyDetailPage } from "./pages/key-detail-page";
import { LoginPage } from "./pages/login-page";
import { PasswordPage } from "./pages/password-page";
import { SettingsPage } from "./pages/settings-page";
import { TokensPage } from "./pages/tokens-page";

// Every spec takes its screens from here: one page object per screen (e2e/pages), each bound to
// the test's `page`, so a selector is written once. Someone else's browser gets the same set
// from `screensOf` or `signedIn`.

export { expect };

/** The page objects for one browser page. */
export function screensOf(page: Page) {
  return {
    loginPage: new LoginPage(page),
    apiKeysPage: new ApiKeysPage(page),
    keyDetailPage: new KeyDetailPage(page),
    tokensPage: new TokensPage(page),
    settingsPage: new SettingsPage(page),
    adminKeysPage: new AdminKeysPage(page),
    auditPage: new AuditPage(page),
    adminUsersPage: new AdminUsersPage(page),
    accountPage: new AccountPage(page),
    passwordPage: new PasswordPage(page),
  };
}

export type Screens = ReturnType<typeof screensOf>;

/** Another person, signed in in a browser context of their own (their own cookies), with their screens. */
export type Person = Screens & { context: BrowserContext; page: Page };

export async function signedIn(
  browser: Browser,
  email: string,
  options: Parameters<Browser["newContext"]>[0] = {},
  password?: string,
): Promise<Person> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const screens = screensOf(page);
  await screens.loginPage.signIn(email, password);
  return { context, page, ...screens };
}

const screen =
  <K extends keyof Screens>(key: K) =>
  async ({ page }: { page: Page }, use: (value: Screens[K]) => Promise<void>) =>
    use(screensOf(page)[key]);

export const test = base.extend<Screens>({
  loginPage: screen("loginPage"),
  apiKeysPage: screen("apiKeysPage"),
  keyDetailPage: screen("keyDetailPage"),
  tokensPage: screen("tokensPage"),
  settingsPage: screen("settingsPage"),
  adminKeysPage: screen("adminKeysPage"),
  auditPage: screen("auditPage"),
  adminUsersPage: screen("adminUsersPage"),
  accountPage: screen("accountPage"),
  passwordPage: screen("passwordPage"),
});
