import AxeBuilder from "@axe-core/playwright";
import type { APIRequestContext, Browser, BrowserContext, Page, Request } from "@playwright/test";
import { SECRET_RE, signIn } from "../helpers";
import { api, expect, expectOk, recordSecret, type KeyPage } from "../api/api-helpers";

// Steps shared by the user stories (e2e/stories): a second person in a browser of their own,
// the Personal tokens page, and replaying a recorded server-action call as someone else.

export interface Person {
  context: BrowserContext;
  page: Page;
}

/** Another person, signed in in a browser context of their own (their own cookies). */
export async function signedIn(browser: Browser, email: string, options: Parameters<Browser["newContext"]>[0] = {}): Promise<Person> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await signIn(page, email);
  return { context, page };
}

// ── Account > Personal tokens ────────────────────────────────────────────────────────────────

export async function openTokens(page: Page, slug = "acme"): Promise<void> {
  await page.goto(`/w/${slug}/account/tokens`);
  await expect(page.getByRole("heading", { level: 2 }).first()).toBeVisible();
}

export function tokensTable(page: Page) {
  return page.getByRole("table", { name: "Personal tokens" });
}

/** The row of a personal token, found by its name. */
export function tokenRow(page: Page, name: string) {
  return tokensTable(page).getByRole("row").filter({ has: page.getByRole("cell", { name, exact: true }) });
}

/** The cells of a token row, by column. */
export const TOKEN_COLUMNS = { name: 0, token: 1, created: 2, expires: 3, lastUsed: 4 } as const;

/** Creates a personal token through the dialog; returns its secret, read from the show-once dialog. */
export async function createToken(page: Page, name: string): Promise<string> {
  await page.getByRole("button", { name: "Create token" }).click();
  const dialog = page.getByRole("dialog", { name: "Create personal token" });
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByRole("button", { name: "Create token" }).click();
  const created = page.getByRole("dialog", { name: "Personal token created" });
  await expect(created).toBeVisible();
  const secret = await created.getByLabel("Secret").inputValue();
  expect(secret).toMatch(SECRET_RE);
  recordSecret(secret);
  await created.getByRole("button", { name: "Done" }).click();
  await expect(created).toBeHidden();
  return secret;
}

// ── Forged server-action calls ───────────────────────────────────────────────────────────────

/** Waits for the next server-action POST the page sends (start it before the click). */
export function nextServerAction(page: Page): Promise<Request> {
  return page.waitForRequest((r) => r.method() === "POST" && !!r.headers()["next-action"]);
}

/**
 * Sends a recorded server-action request again with `as`'s cookies, its body optionally
 * rewritten (e.g. another key's id); returns the status and the RSC response text.
 */
export async function replayAction(recorded: Request, as: Page, rewrite?: (body: string) => string): Promise<{ status: number; body: string }> {
  const headers = recorded.headers();
  const raw = recorded.postDataBuffer() ?? Buffer.alloc(0);
  const data = rewrite ? Buffer.from(rewrite(raw.toString("utf8")), "utf8") : raw;
  const response = await as.request.post(recorded.url(), {
    headers: {
      "next-action": headers["next-action"],
      "content-type": headers["content-type"] ?? "text/plain;charset=UTF-8",
      accept: headers["accept"] ?? "text/x-component",
      "next-router-state-tree": headers["next-router-state-tree"] ?? "",
    },
    data,
    failOnStatusCode: false,
  });
  return { status: response.status(), body: await response.text() };
}

// ── Keys ─────────────────────────────────────────────────────────────────────────────────────

/** Revokes every live key of the workspace with this exact name (clean-up for keys made in the console). */
export async function revokeKeysNamed(request: APIRequestContext, adminSecret: string, name: string): Promise<void> {
  const listed = expectOk(await api<KeyPage>(request, "GET", "/api/data/api-keys", { key: adminSecret, query: { pageSize: "100" } }));
  for (const key of listed.items.filter((k) => k.name === name && k.state !== "revoked"))
    await api(request, "DELETE", `/api/data/api-keys/${key.id}/revoke`, { key: adminSecret });
}

// ── Accessibility ────────────────────────────────────────────────────────────────────────────

/** axe's violations on the page as it is now, one line each (empty when there are none). */
export async function axeViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations.map((v) => `${v.impact ?? "?"} ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}
