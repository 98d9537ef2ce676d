import { api, createApiKey, expect, expectOk, test, uniqueName, type KeyView } from "../api/api-helpers";
import { signedIn } from "../fixtures";
import { nextServerAction, replayAction } from "./story-helpers";

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
  test(`a ${role} gets 404 for the admin pages and exports, and no settings data`, async ({ page, loginPage, settingsPage }) => {
    await loginPage.signIn(email);
    await expect(page.getByText(`You are a ${role} here.`)).toBeVisible();
    await expect(settingsPage.workspaceLink("API")).toBeVisible();
    await expect(settingsPage.workspaceLink("Settings")).toHaveCount(0);
    await expect(settingsPage.adminNav).toHaveCount(0);

    for (const path of ["/admin/keys", "/admin/audit"]) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(404);
      await expect(settingsPage.tables).toHaveCount(0);
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
    await expect(settingsPage.heading("Settings are for workspace Admins")).toBeVisible();
    await expect(page.getByText("Ask an Admin of Acme Inc. to change its settings or members.")).toBeVisible();
    await expect(settingsPage.switches).toHaveCount(0);
    await expect(settingsPage.members).toHaveCount(0);
    await expect(settingsPage.lifetimeField).toHaveCount(0);
    await expect(settingsPage.addMemberButton).toHaveCount(0);
    const main = (await settingsPage.main.textContent()) ?? "";
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
    const keys = grace.adminKeysPage;
    await keys.goto(`q=${encodeURIComponent(recordedTarget.key.name)}`);
    await keys.select(recordedTarget.key.name, "Acme Inc.").click();
    await keys.revokeSelectedButton.click();
    await keys.chooseRevocationReason("Compromised");
    const [recorded] = await Promise.all([nextServerAction(grace.page), keys.confirmButton("Revoke 1 key?", "Revoke 1 key").click()]);
    await expect(grace.page.getByText("Revoked 1 key.")).toBeVisible();
    expect(recorded.postData()).toContain(recordedTarget.key.id);
    const verify = async (token: string) =>
      expectOk(
        await api<{ valid: boolean; reason: string | null; key?: Pick<KeyView, "id"> }>(request, "POST", "/api/data/verify", {
          key: acme.admin.secret,
          body: { token },
        }),
      );
    expect(await verify(recordedTarget.secret)).toMatchObject({ valid: false, reason: "key_revoked" });

    // Mia replays it with her own cookies, aimed at another live key.
    const aimed = (body: string) => body.split(recordedTarget.key.id).join(forgedTarget.key.id);
    const forged = await replayAction(recorded, mia.page, aimed);
    expect(forged.body).toContain("Only Global Admins can change keys across workspaces.");
    expect(await verify(forgedTarget.secret)).toMatchObject({ valid: true, key: { id: forgedTarget.key.id } });
    await keys.goto(`q=${encodeURIComponent(forgedTarget.key.name)}`);
    await expect(keys.rows(forgedTarget.key.name)).toContainText("Active");

    // The same request with Grace's cookies does revoke it: only the caller made the difference.
    const genuine = await replayAction(recorded, grace.page, aimed);
    expect(genuine.body).not.toContain("Only Global Admins");
    expect(await verify(forgedTarget.secret)).toMatchObject({ valid: false, reason: "key_revoked" });
  } finally {
    await grace.context.close();
    await mia.context.close();
  }
});

test("a Manager's forged replay of the Admin's role change cannot make him an Admin", async ({
  browser,
  page,
  request,
  acme,
  loginPage,
  settingsPage: settings,
}) => {
  test.slow();
  const max = await signedIn(browser, "manager@acme.test");
  const maxKey = await createApiKey(request, acme.admin.secret, {
    name: uniqueName("Max's key while forging"),
    ownerId: acme.memberIds["manager@acme.test"],
    scopes: ["me:read"],
  });
  const role = async () => expectOk(await api<{ role: string }>(request, "GET", "/api/data/me", { key: maxKey.secret })).role;
  await loginPage.signIn("admin@acme.test");
  await settings.open();
  const roleOfMax = settings.roleOf("Max Manager");
  try {
    await expect(roleOfMax).toHaveText("Manager");
    // The Admin makes Max an Admin (recorded), then puts him back.
    const [recorded] = await Promise.all([nextServerAction(page), settings.setMemberRole("Max Manager", "Admin")]);
    expect(recorded.postData()).toContain(acme.memberIds["manager@acme.test"]);
    expect(await role()).toBe("admin");
    await settings.setMemberRole("Max Manager", "Manager");
    expect(await role()).toBe("manager");

    // Max replays it with his own cookies.
    const forged = await replayAction(recorded, max.page);
    expect(forged.body).toContain("Only workspace Admins can manage members.");
    expect(await role()).toBe("manager");
    await page.reload();
    await expect(roleOfMax).toHaveText("Manager");
    await max.page.goto("/w/acme/settings");
    await expect(max.page.getByText("You are a Manager here.")).toBeVisible();
    await expect(max.settingsPage.heading("Settings are for workspace Admins")).toBeVisible();
  } finally {
    await settings.setMemberRole("Max Manager", "Manager");
    await max.context.close();
  }
});
