import { expect, test, type Request } from "@playwright/test";
import { keyRow, openApiTab, signIn } from "./helpers";

test("a Member sees why the API tab is closed, and no controls", async ({ page }) => {
  await signIn(page, "member@acme.test");
  await openApiTab(page);
  await expect(page.getByRole("heading", { name: "You can't manage API keys in Acme Inc." })).toBeVisible();
  await expect(page.getByText(/Only workspace Admins, and members with the Manage API Keys grant/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Create API key" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Revoke all" })).toHaveCount(0);
  await expect(page.getByRole("table", { name: "API keys" })).toHaveCount(0);
});

test("a Guest and a Manager without the grant are told why", async ({ page }) => {
  await signIn(page, "guest@acme.test");
  await openApiTab(page);
  await expect(page.getByText(/Guests cannot view or manage API keys/)).toBeVisible();
  await page.context().clearCookies();
  await signIn(page, "manager@acme.test");
  await openApiTab(page);
  await expect(page.getByText(/only with the Manage API Keys grant/)).toBeVisible();
});

test("another workspace is not found", async ({ page }) => {
  await signIn(page, "admin@acme.test");
  const response = await page.goto("/w/globex/account/api");
  expect(response?.status()).toBe(404);
});

test("wrong password gets one generic message", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill("admin@acme.test");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("Wrong email or password.")).toBeVisible();
  await page.getByLabel("Email").fill("nobody@acme.test");
  await page.getByLabel("Password").fill("latchkey-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("Wrong email or password.")).toBeVisible();
  await expect(page).toHaveURL(/\/login/);
});

test("a Member's forged server-action call to create a key is refused and writes nothing", async ({ browser }) => {
  // Record the exact request the Admin's browser sends for "Generate key"…
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, "admin@acme.test");
  await openApiTab(admin);
  await admin.getByRole("button", { name: "Create API key" }).click();
  await admin.getByRole("dialog", { name: "Create API key" }).getByLabel("Name").fill("Forged by member");
  const [request] = await Promise.all([
    admin.waitForRequest((r: Request) => r.method() === "POST" && !!r.headers()["next-action"]),
    admin.getByRole("button", { name: "Generate key" }).click(),
  ]);
  await expect(admin.getByRole("dialog", { name: "API key created" })).toBeVisible();
  await admin.getByRole("button", { name: "Done" }).click();
  await admin.getByRole("row").filter({ hasText: "Forged by member" }).getByRole("button", { name: "Revoke" }).click();
  await admin.getByRole("button", { name: "Yes, revoke" }).click();
  await expect(keyRow(admin, "Forged by member")).toHaveCount(0);

  // …and replay it with the Member's session cookie.
  const memberContext = await browser.newContext();
  const member = await memberContext.newPage();
  await signIn(member, "member@acme.test");
  const headers = request.headers();
  const response = await member.request.post(request.url(), {
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

  await admin.reload();
  await expect(keyRow(admin, "Forged by member")).toHaveCount(0);
  await adminContext.close();
  await memberContext.close();
});
