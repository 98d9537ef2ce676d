import { randomInt } from "node:crypto";
import type { Page } from "@playwright/test";
import { expect, screensOf, signedIn, test } from "./fixtures";
import { DEMO_PASSWORD, unique } from "./helpers";

// The e2e server trusts one proxy hop, so each test names its own client address and no
// earlier spec's failures (or this one's) spill into another's budget.
const address = () => `198.18.${randomInt(256)}.${1 + randomInt(254)}`;

async function tryPassword(page: Page, email: string, password: string) {
  const { loginPage } = screensOf(page);
  await loginPage.attempt(email, password);
  await expect(loginPage.signInButton).toBeEnabled();
}

const THROTTLED = /Too many attempts; try again in \d+ minutes?\./;

test("six wrong passwords for an account: the sixth says to wait, even with the right password and from elsewhere", async ({ page, browser }) => {
  // Many sign-ins, each a deliberate half-second of scrypt (N=2^17) on a shared machine.
  test.slow();
  // An account of this test's own (made in Admin > Users), so blocking it for an hour disturbs
  // no other spec; its one-time password is the right password.
  const admin = await signedIn(browser, "global@latchkey.test", { extraHTTPHeaders: { "x-forwarded-for": address() } });
  const email = `${unique("throttled")}@example.test`;
  const rightPassword = await admin.adminUsersPage.createUser({ name: "Theo Throttled", email });
  await admin.context.close();
  await page.setExtraHTTPHeaders({ "x-forwarded-for": address() });
  for (let i = 1; i <= 5; i++) {
    await tryPassword(page, email, `wrong-${i}`);
    await expect(page.getByText("Wrong email or password.")).toBeVisible();
  }
  await tryPassword(page, email, "wrong-6");
  await expect(page.getByText(THROTTLED)).toBeVisible();

  // The right password is refused too while the account is blocked…
  await tryPassword(page, email, rightPassword);
  await expect(page.getByText(THROTTLED)).toBeVisible();
  await expect(page).toHaveURL(/\/login/);

  // …and from another address: it is the account that is attacked, so its block holds everywhere.
  const elsewhere = await browser.newContext({ extraHTTPHeaders: { "x-forwarded-for": address() } });
  const other = await elsewhere.newPage();
  await tryPassword(other, email, rightPassword);
  await expect(other.getByText(THROTTLED)).toBeVisible();
  // Another account from that address signs in normally.
  await screensOf(other).loginPage.signIn("member@acme.test", DEMO_PASSWORD);
  await elsewhere.close();
});

test("unknown emails are throttled the same way, and straight at Auth.js's callback too", async ({ page, request }) => {
  // Many sign-ins, each a deliberate half-second of scrypt (N=2^17) on a shared machine.
  test.slow();
  await page.setExtraHTTPHeaders({ "x-forwarded-for": address() });
  for (let i = 1; i <= 5; i++) {
    await tryPassword(page, "nobody@nowhere.test", `guess-${i}`);
    await expect(page.getByText("Wrong email or password.")).toBeVisible();
  }
  await tryPassword(page, "nobody@nowhere.test", "guess-6");
  await expect(page.getByText(THROTTLED)).toBeVisible();

  // The Credentials callback without the form: the throttle is in authorize, so it answers the same.
  const csrf = (await (await request.get("/api/auth/csrf")).json()) as { csrfToken: string };
  const res = await request.post("/api/auth/callback/credentials", {
    form: { email: "nobody@nowhere.test", password: "guess-7", csrfToken: csrf.csrfToken },
    headers: { "x-forwarded-for": address() },
    maxRedirects: 0,
  });
  expect(res.status()).toBe(302);
  expect(res.headers()["location"]).toContain("code=throttled");
});
