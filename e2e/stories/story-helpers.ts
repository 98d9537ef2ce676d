import AxeBuilder from "@axe-core/playwright";
import type { APIRequestContext, Page, Request } from "@playwright/test";
import { api, expectOk, type KeyPage } from "../api/api-helpers";

// Steps shared by the user stories (e2e/stories) that are not a screen's (those are in
// e2e/pages; a second person in a browser of their own is `signedIn` in e2e/fixtures.ts):
// replaying a recorded server-action call as someone else, clean-up, and axe.

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
