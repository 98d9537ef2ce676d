import { signIn } from "../helpers";
import { api, createApiKey, expect, expectOk, openSettings, setMemberRole, test, uniqueName, type KeyView } from "../api/api-helpers";
import { nextServerAction, replayAction, signedIn } from "./story-helpers";

// What Managers (without the grant), Members and Guests cannot reach: the Global Admin pages
// and exports (404, as if they did not exist), the workspace settings, and — posted by hand —
// the server actions behind them.

const PEOPLE = [
  { role: "Manager", email: "manager@acme.test" },
  { role: "Member", email: "member@acme.test" },
  { role: "Guest", email: "guest@acme.test" },
] as const;
const DEMO_EMAILS = ["global@latchkey.test", "admin@acme.test", "manager@acme.test", "member@acme.test", "guest@acme.test", "admin@globex.test"];

for (const { role, email } of PEOPLE) {
  test(`a ${role} gets 404 for the admin pages and exports, and no settings data`, async ({ page }) => {
    await signIn(page, email);
    await expect(page.getByText(`You are a ${role} here.`)).toBeVisible();
    const workspaceNav = page.getByRole("navigation", { name: "Workspace" });
    await expect(workspaceNav.getByRole("link", { name: "API" })).toBeVisible();
    await expect(workspaceNav.getByRole("link", { name: "Settings" })).toHaveCount(0);
    await expect(page.getByRole("navigation", { name: "Admin", exact: true })).toHaveCount(0);

    for (const path of ["/admin/keys", "/admin/audit"]) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(404);
      await expect(page.getByRole("table")).toHaveCount(0);
      await expect(page.getByText("Billing sync")).toHaveCount(0);
    }
    for (const path of ["/admin/keys/export", "/admin/audit/export", "/admin/keys/export?state=all"]) {
      const response = await page.request.get(path);
      expect(response.status(), path).toBe(404);
      const body = await response.text();
      expect(body, path).not.toContain("workspace,");
      expect(body, path).not.toContain("Billing sync");
    }

    const settings = await page.goto("/w/acme/settings");
    expect(settings?.status()).toBe(200);
    await expect(page.getByRole("heading", { name: "Settings are for workspace Admins" })).toBeVisible();
    await expect(page.getByText("Ask an Admin of Acme Inc. to change its settings or members.")).toBeVisible();
    await expect(page.getByRole("switch")).toHaveCount(0);
    await expect(page.getByRole("table", { name: "Members" })).toHaveCount(0);
    await expect(page.getByLabel("Maximum key lifetime (days)")).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Add member" })).toHaveCount(0);
    const main = (await page.locator("main").textContent()) ?? "";
    for (const other of DEMO_EMAILS.filter((e) => e !== email)) expect(main, other).not.toContain(other);
  });
}

test("a Member's forged replay of a Global Admin's Revoke selected is refused and revokes nothing", async ({ browser, request, acme }) => {
  test.slow();
  const make = (label: string) => createApiKey(request, acme.admin.secret, { name: uniqueName(label) });
  const recordedTarget = await make("Forged bulk recorded");
  const forgedTarget = await make("Forged bulk target");
  const grace = await signedIn(browser, "global@latchkey.test");
  const mia = await signedIn(browser, "member@acme.test");
  try {
    // Grace revokes one key; her browser's request is recorded.
    await grace.page.goto(`/admin/keys?q=${encodeURIComponent(recordedTarget.key.name)}`);
    await grace.page.getByRole("checkbox", { name: `Select ${recordedTarget.key.name} (Acme Inc.)` }).click();
    await grace.page.getByRole("button", { name: "Revoke selected" }).click();
    const confirm = grace.page.getByRole("alertdialog", { name: "Revoke 1 key?" });
    const [recorded] = await Promise.all([nextServerAction(grace.page), confirm.getByRole("button", { name: "Revoke 1 key" }).click()]);
    await expect(grace.page.getByText("Revoked 1 key.")).toBeVisible();
    expect(recorded.postData()).toContain(recordedTarget.key.id);
    const verify = async (token: string) =>
      expectOk(await api<{ valid: boolean; reason: string | null; key?: Pick<KeyView, "id"> }>(request, "POST", "/api/data/verify", { key: acme.admin.secret, body: { token } }));
    expect(await verify(recordedTarget.secret)).toMatchObject({ valid: false, reason: "key_revoked" });

    // Mia replays it with her own cookies, aimed at another live key.
    const aimed = (body: string) => body.split(recordedTarget.key.id).join(forgedTarget.key.id);
    const forged = await replayAction(recorded, mia.page, aimed);
    expect(forged.body).toContain("Only Global Admins can change keys across workspaces.");
    expect(await verify(forgedTarget.secret)).toMatchObject({ valid: true, key: { id: forgedTarget.key.id } });
    await grace.page.goto(`/admin/keys?q=${encodeURIComponent(forgedTarget.key.name)}`);
    await expect(grace.page.getByRole("table", { name: "All API keys" }).getByRole("row").filter({ hasText: forgedTarget.key.name })).toContainText("Active");

    // The same request with Grace's cookies does revoke it: only the caller made the difference.
    const genuine = await replayAction(recorded, grace.page, aimed);
    expect(genuine.body).not.toContain("Only Global Admins");
    expect(await verify(forgedTarget.secret)).toMatchObject({ valid: false, reason: "key_revoked" });
  } finally {
    await grace.context.close();
    await mia.context.close();
  }
});

test("a Manager's forged replay of the Admin's role change cannot make him an Admin", async ({ browser, page, request, acme }) => {
  test.slow();
  const max = await signedIn(browser, "manager@acme.test");
  const maxKey = await createApiKey(request, acme.admin.secret, { name: uniqueName("Max's key while forging"), ownerId: acme.memberIds["manager@acme.test"], scopes: ["me:read"] });
  const role = async () => expectOk(await api<{ role: string }>(request, "GET", "/api/data/me", { key: maxKey.secret })).role;
  await signIn(page, "admin@acme.test");
  await openSettings(page);
  const roleOfMax = page.getByRole("table", { name: "Members" }).getByRole("combobox", { name: "Role for Max Manager" });
  try {
    await expect(roleOfMax.locator("option:checked")).toHaveText("Manager");
    // The Admin makes Max an Admin (recorded), then puts him back.
    const [recorded] = await Promise.all([nextServerAction(page), setMemberRole(page, "Max Manager", "Admin")]);
    expect(recorded.postData()).toContain(acme.memberIds["manager@acme.test"]);
    expect(await role()).toBe("admin");
    await setMemberRole(page, "Max Manager", "Manager");
    expect(await role()).toBe("manager");

    // Max replays it with his own cookies.
    const forged = await replayAction(recorded, max.page);
    expect(forged.body).toContain("Only workspace Admins can manage members.");
    expect(await role()).toBe("manager");
    await page.reload();
    await expect(roleOfMax.locator("option:checked")).toHaveText("Manager");
    await max.page.goto("/w/acme/settings");
    await expect(max.page.getByText("You are a Manager here.")).toBeVisible();
    await expect(max.page.getByRole("heading", { name: "Settings are for workspace Admins" })).toBeVisible();
  } finally {
    await setMemberRole(page, "Max Manager", "Manager");
    await max.context.close();
  }
});
