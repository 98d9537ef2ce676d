import type { Request } from "@playwright/test";
import { expect, signedIn, test } from "./fixtures";

test("a Member sees why the API tab is closed, and no controls", async ({ page, loginPage, apiKeysPage: keys }) => {
  await loginPage.signIn("member@acme.test");
  await keys.open();
  await expect(keys.heading("You can't manage API keys in Acme Inc.")).toBeVisible();
  await expect(page.getByText(/Only workspace Admins, and members with the Manage API Keys grant/)).toBeVisible();
  await expect(keys.createButton).toHaveCount(0);
  await expect(keys.revokeAllButton).toHaveCount(0);
  await expect(keys.table).toHaveCount(0);
});

test("a Guest and a Manager without the grant are told why", async ({ page, loginPage, apiKeysPage: keys }) => {
  await loginPage.signIn("guest@acme.test");
  await keys.open();
  await expect(page.getByText(/Guests cannot view or manage API keys/)).toBeVisible();
  await page.context().clearCookies();
  await loginPage.signIn("manager@acme.test");
  await keys.open();
  await expect(page.getByText(/only with the Manage API Keys grant/)).toBeVisible();
});

test("another workspace is not found", async ({ page, loginPage }) => {
  await loginPage.signIn("admin@acme.test");
  const response = await page.goto("/w/globex/account/api");
  expect(response?.status()).toBe(404);
});

test("wrong password gets one generic message", async ({ page, loginPage }) => {
  await loginPage.attempt("admin@acme.test", "not-the-password");
  await expect(page.getByText("Wrong email or password.")).toBeVisible();
  await loginPage.submit("nobody@acme.test", "latchkey-demo");
  await expect(page.getByText("Wrong email or password.")).toBeVisible();
  await expect(page).toHaveURL(/\/login/);
});

test("a Member's forged server-action call to create a key is refused and writes nothing", async ({ browser }) => {
  // Record the exact request the Admin's browser sends for "Generate key"…
  const admin = await signedIn(browser, "admin@acme.test");
  const keys = admin.apiKeysPage;
  await keys.open();
  await keys.createButton.click();
  await keys.nameField.fill("Forged by member");
  const [request] = await Promise.all([
    admin.page.waitForRequest((r: Request) => r.method() === "POST" && !!r.headers()["next-action"]),
    keys.generateButton.click(),
  ]);
  await expect(keys.secretDialog).toBeVisible();
  await keys.shown.doneButton.click();
  await keys.row("Forged by member").revokeButton.click();
  await keys.chooseRevocationReason();
  await keys.yesRevokeButton.click();
  await expect(keys.row("Forged by member").root).toHaveCount(0);

  // …and replay it with the Member's session cookie.
  const member = await signedIn(browser, "member@acme.test");
  const headers = request.headers();
  const response = await member.page.request.post(request.url(), {
    headers: {
      "next-action": headers["next-action"],
      "content-type": headers["content-type"],
      accept: headers["accept"] ?? "text/x-component",
      "next-router-state-tree": headers["next-router-state-tree"] ?? "",
    },
    data: request.postDataBuffer() ?? "",
  });
  const body = await response.text();
  expect(body).toContain("You don't have permission to manage API keys in this workspace.");
  expect(body).not.toMatch(/lk_[0-9A-Za-z]{38}/);

  await admin.page.reload();
  await expect(keys.row("Forged by member").root).toHaveCount(0);
  await admin.context.close();
  await member.context.close();
});
