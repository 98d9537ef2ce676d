import type { Page } from "@playwright/test";
import { trustedProxyHops } from "../lib/net/client-address";
import { expect, test } from "./fixtures";
import { LoginPage } from "./pages/login-page";

// The console's security headers, and proof that every page still works under its CSP: a
// violation anywhere (a script without the nonce, an inline style Radix or sonner needs, an eval)
// is recorded by the page itself and fails the test.

const STATIC_HEADERS = {
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "strict-origin-when-cross-origin",
};

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name, values]),
  );
}

/** Records CSP violations and CSP console errors from the first script on every document. */
async function watchViolations(page: Page): Promise<string[]> {
  const seen: string[] = [];
  await page.exposeFunction("__reportCspViolation", (text: string) => void seen.push(text));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      (window as unknown as { __reportCspViolation: (t: string) => void }).__reportCspViolation(
        `${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`,
      );
    });
  });
  page.on("console", (msg) => {
    if (/content security policy/i.test(msg.text())) seen.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => seen.push(`page error: ${err.message}`));
  return seen;
}

test.describe("console security headers", () => {
  test("a page carries the CSP with a fresh nonce, the framing and sniffing guards, and no HSTS over http", async ({ request }) => {
    const first = await request.get("/login");
    const second = await request.get("/login");
    expect(first.status()).toBe(200);
    const headers = first.headers();
    for (const [name, value] of Object.entries(STATIC_HEADERS)) expect(headers[name], name).toBe(value);
    expect(headers["permissions-policy"]).toMatch(/(^|, )camera=\(\)/);
    expect(headers["permissions-policy"]).toMatch(/(^|, )microphone=\(\)/);
    expect(headers["permissions-policy"]).toMatch(/(^|, )geolocation=\(\)/);
    expect(headers["strict-transport-security"]).toBeUndefined();

    const csp = directives(headers["content-security-policy"] ?? "");
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(csp.get("object-src")).toEqual(["'none'"]);
    const scriptSrc = csp.get("script-src") ?? [];
    expect(scriptSrc).toContain("'strict-dynamic'");
    expect(scriptSrc).not.toContain("'unsafe-eval'");
    expect(scriptSrc).not.toContain("'unsafe-inline'");
    const nonce = scriptSrc.find((v) => v.startsWith("'nonce-"))?.slice(7, -1);
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22,}={0,2}$/);

    // Every script Next rendered carries this response's nonce, and the next page gets another.
    const html = await first.text();
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
    expect(second.headers()["content-security-policy"]).not.toContain(`'nonce-${nonce}'`);
  });

  test("a client's own X-Forwarded-Proto turns on HSTS only when a proxy is trusted to set it", async ({ request }) => {
    // The e2e server inherits this environment (playwright.config.ts trusts one hop unless told otherwise).
    const trusted = trustedProxyHops() > 0;
    const claimed = await request.get("/login", { headers: { "x-forwarded-proto": "https" } });
    if (trusted) {
      expect(claimed.headers()["strict-transport-security"]).toMatch(/^max-age=\d{7,}/);
      expect(claimed.headers()["content-security-policy"]).toContain("upgrade-insecure-requests");
    } else {
      expect(claimed.headers()["strict-transport-security"]).toBeUndefined();
      expect(claimed.headers()["content-security-policy"]).not.toContain("upgrade-insecure-requests");
    }
    const plain = await request.get("/login", { headers: { "x-forwarded-proto": "http" } });
    expect(plain.headers()["strict-transport-security"]).toBeUndefined();
    expect(plain.headers()["content-security-policy"]).not.toContain("upgrade-insecure-requests");
  });

  test("the API keeps its own headers: nosniff, and no page CSP", async ({ request }) => {
    const res = await request.get("/api/data/me");
    expect(res.status()).toBe(401);
    expect(res.headers()["x-content-type-options"]).toBe("nosniff");
    expect(res.headers()["content-security-policy"]).toBeUndefined();
  });

  test("another site cannot frame the console", async ({ page, baseURL }) => {
    await page.route("http://framing.example/", (route) =>
      route.fulfill({ contentType: "text/html", body: `<iframe id="f" src="${baseURL}/login"></iframe>` }),
    );
    // The parent's load event waits for the frame, refused or not.
    await page.goto("http://framing.example/", { waitUntil: "load" });
    const frame = page.frames().find((f) => f !== page.mainFrame());
    expect(frame).toBeDefined();
    // Chromium swaps a refused frame for an error page: the sign-in form never shows in it.
    expect(await LoginPage.passwordInputsIn(frame!).count()).toBe(0);
  });

  test("the main pages run without a single CSP violation", async ({ page, loginPage, apiKeysPage: keys, keyDetailPage: detail }) => {
    test.slow();
    const violations = await watchViolations(page);
    await loginPage.signIn("admin@acme.test");

    await keys.open();
    const name = `CSP check ${Date.now()}`;
    await keys.createKey(name); // Radix dialogs
    const row = keys.row(name);
    await row.bearer.click();
    await expect(page.getByText(`Bearer token no longer accepted for “${name}”.`)).toBeVisible(); // a sonner toast
    await row.link(name).click();
    await expect(detail.usageChart).toBeVisible(); // recharts
    await expect(detail.usageChartDrawing).toBeVisible();

    for (const path of ["/w/acme/account/api/reference", "/w/acme/account/tokens", "/w/acme/audit", "/w/acme/settings"]) {
      await page.goto(path);
      await expect(keys.firstHeading(), path).toBeVisible();
    }
    // A client-side navigation and a menu: the runtime's chunks load under 'strict-dynamic'.
    await keys.apiLink.click();
    await expect(page).toHaveURL(/\/w\/acme\/account\/api$/);
    await expect(row.root).toBeVisible();
    expect(violations).toEqual([]);
  });

  test("a page that does not exist still renders under the CSP", async ({ page }) => {
    const violations = await watchViolations(page);
    const res = await page.goto("/no-such-page");
    expect(res?.status()).toBe(404);
    await page.waitForLoadState("load");
    expect(violations).toEqual([]);
  });

  test("the admin pages run without a CSP violation", async ({ page, loginPage }) => {
    const violations = await watchViolations(page);
    await loginPage.signIn("global@latchkey.test");
    for (const path of ["/admin/keys", "/admin/audit"]) {
      await page.goto(path);
      await expect(loginPage.tables.first(), path).toBeVisible();
    }
    expect(violations).toEqual([]);
  });
});
