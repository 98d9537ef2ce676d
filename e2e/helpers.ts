import { expect, type Page } from "@playwright/test";

export const DEMO_PASSWORD = "latchkey-demo";
export const SECRET_RE = /^lk_[0-9A-Za-z]{38}$/;

export async function signIn(page: Page, email: string, password = DEMO_PASSWORD): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
}

export async function openApiTab(page: Page, slug = "acme"): Promise<void> {
  await page.goto(`/w/${slug}/account/api`);
  await expect(page.getByRole("heading", { level: 2 }).first()).toBeVisible();
}

/** The grid row for a key, found by its name. */
export function keyRow(page: Page, name: string) {
  return page.getByRole("table", { name: "API keys" }).getByRole("row").filter({ hasText: name });
}

/** Creates a key through the dialog and returns its secret (read from the show-once dialog). */
export async function createKey(page: Page, name: string): Promise<string> {
  await page.getByRole("button", { name: "Create API key" }).click();
  const dialog = page.getByRole("dialog", { name: "Create API key" });
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByRole("button", { name: "Generate key" }).click();
  const created = page.getByRole("dialog", { name: "API key created" });
  await expect(created).toBeVisible();
  const secret = await created.getByLabel("Secret").inputValue();
  expect(secret).toMatch(SECRET_RE);
  await import("node:fs").then((fs) => fs.appendFileSync(`${__dirname}/../.e2e/secrets.txt`, `${secret}\n`)); // for the secret scan (e2e/global-teardown.ts)
  await created.getByRole("button", { name: "Done" }).click();
  await expect(created).toBeHidden();
  return secret;
}
