import fs from "node:fs";
import path from "node:path";
import { expect, type Page } from "@playwright/test";

// Shared by the account and Admin > Users specs: they make users of their own through the
// Create user dialog, so the demo cast other specs sign in as is never changed.

const OTP_RE = /^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/;

/** Passwords the tests handle go to the secret scan (e2e/global-teardown.ts) with the keys. */
export function recordSecret(secret: string) {
  const dir = path.join(__dirname, "..", ".e2e");
  fs.mkdirSync(dir, { recursive: true });
  fs.appendFileSync(path.join(dir, "secrets.txt"), `${secret}\n`);
}

export function usersTable(page: Page) {
  return page.getByRole("table", { name: "Users" });
}

/** Creates a user through the dialog as the Global Admin on `page`; returns the one-time password. */
export async function createUserInDialog(page: Page, opts: { name: string; email: string; workspace?: string; role?: string }): Promise<string> {
  await page.goto("/admin/users");
  await page.getByRole("button", { name: "Create user" }).click();
  const dialog = page.getByRole("dialog", { name: "Create user" });
  await dialog.getByLabel("Name").fill(opts.name);
  await dialog.getByLabel("Email").fill(opts.email);
  if (opts.workspace) {
    await dialog.getByLabel("Workspace").selectOption({ label: opts.workspace });
    if (opts.role) await dialog.getByLabel("Role").selectOption({ label: opts.role });
  }
  await dialog.getByRole("button", { name: "Create user" }).click();
  const shown = page.getByRole("dialog", { name: "User created" });
  await expect(shown).toBeVisible();
  const otp = await shown.getByLabel("One-time password").inputValue();
  expect(otp).toMatch(OTP_RE);
  recordSecret(otp);
  await shown.getByRole("button", { name: "Done" }).click();
  await expect(shown).toBeHidden();
  return otp;
}

let seq = 0;
export const unique = (label: string) => `${label}-${Date.now().toString(36)}-${++seq}`;
