import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import AxeBuilder from "@axe-core/playwright";
import type { Locator, Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { recordSecret, unique } from "./helpers";

// Webhooks as an Admin meets them: add an endpoint in Settings, keep its secret, and see signed
// events arrive at a receiver this spec runs (what the other side of a webhook does), then in
// the endpoint's delivery log.

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let receiverUrl: string;
const received: Received[] = [];

test.beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/latchkey`;
});
test.afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** The first request the receiver got for this event type, once it has come. */
async function receivedEvent(type: string): Promise<Received & { payload: { type: string; timestamp: string; data: Record<string, unknown> } }> {
  await expect.poll(() => received.some((r) => JSON.parse(r.body).type === type), { timeout: 15_000, message: `a ${type} delivery` }).toBe(true);
  const r = received.find((x) => JSON.parse(x.body).type === type)!;
  return { ...r, payload: JSON.parse(r.body) };
}

/** What a receiver does with Standard Webhooks: HMAC-SHA256 of id.timestamp.body under the secret's bytes. */
function expectSignedBy(secret: string, r: Received): void {
  const id = String(r.headers["webhook-id"]);
  const timestamp = String(r.headers["webhook-timestamp"]);
  expect(id).toMatch(/^msg_/);
  // Recent: a receiver refuses old timestamps (replays).
  expect(Math.abs(Date.now() / 1000 - Number(timestamp))).toBeLessThan(300);
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = Buffer.from(`v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${r.body}`).digest("base64")}`);
  const signatures = String(r.headers["webhook-signature"])
    .split(" ")
    .map((s) => Buffer.from(s));
  expect(signatures.some((s) => s.length === expected.length && timingSafeEqual(s, expected))).toBe(true);
}

const card = (page: Page) => page.locator('section[aria-labelledby="webhooks-title"]');
const endpointItem = (page: Page) => card(page).getByRole("listitem").filter({ hasText: receiverUrl });

/** Opens (or refreshes) the endpoint's delivery log until a row for the event shows as delivered with 200. */
async function expectDelivered(item: Locator, eventType: string): Promise<void> {
  const toggle = item.getByRole("button", { name: "Deliveries", exact: true });
  if (await toggle.isVisible()) await toggle.click();
  const row = item.getByRole("row").filter({ hasText: eventType });
  await expect(async () => {
    await item.getByRole("button", { name: "Refresh" }).click();
    await expect(row).toContainText("Delivered", { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await expect(row.getByRole("cell").nth(3)).toHaveText("200");
  await expect(row.getByRole("cell").nth(2)).toHaveText("1");
}

test("an Admin adds an endpoint, keeps its secret, and signed events arrive and are logged as delivered", async ({
  page,
  context,
  loginPage,
  settingsPage,
  apiKeysPage,
}) => {
  test.setTimeout(90_000);
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await loginPage.signIn("admin@acme.test");
  await settingsPage.open();
  await expect(card(page).getByRole("heading", { name: "Webhooks" })).toBeVisible();

  // The form opens from the keyboard, in a sane Tab order, and Escape closes it, focus back on its opener.
  const addButton = card(page).getByRole("button", { name: "Add endpoint" });
  await addButton.focus();
  await page.keyboard.press("Enter");
  const form = page.getByRole("dialog", { name: "Add webhook endpoint" });
  await expect(form).toBeVisible();
  const urlField = form.getByLabel("URL");
  await expect(urlField).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(form.getByLabel("Description (optional)")).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(form.getByRole("checkbox").first()).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(form).toBeHidden();
  await expect(addButton).toBeFocused();

  // Bad input: a field message, nothing added.
  await page.keyboard.press("Enter");
  await expect(form).toBeVisible();
  await urlField.fill("ftp://example.com/hooks");
  await form.getByRole("button", { name: "Add endpoint" }).click();
  await expect(form.getByText("Enter an http:// or https:// URL")).toBeVisible();
  await expect(urlField).toHaveAttribute("aria-invalid", "true");

  await urlField.fill(receiverUrl);
  await form.getByLabel("Description (optional)").fill("e2e receiver");
  await form.getByRole("checkbox", { name: /Key created/ }).check();
  await form.getByRole("button", { name: "Add endpoint" }).click();
  await expect(form).toBeHidden();

  // The secret, shown once: Escape asks first, Copy puts it on the clipboard, Done closes.
  const shown = page.getByRole("dialog", { name: "Webhook endpoint added" });
  await expect(shown).toBeVisible();
  const secretField = shown.getByLabel("Signing secret");
  const secret = await secretField.inputValue();
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  recordSecret(secret);
  await page.keyboard.press("Escape");
  const discard = page.getByRole("alertdialog", { name: "Close without saving the secret?" });
  await expect(discard).toBeVisible();
  await discard.getByRole("button", { name: "Go back" }).click();
  await expect(discard).toBeHidden();
  await shown.getByRole("button", { name: "Copy to clipboard" }).click();
  await expect(shown.getByRole("button", { name: "Copied" })).toBeVisible();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(secret);
  await shown.getByRole("button", { name: "Done" }).click();
  await expect(shown).toBeHidden();
  await expect(addButton).toBeFocused();
  expect(await page.content()).not.toContain(secret);

  const item = endpointItem(page);
  await expect(item).toContainText("e2e receiver");
  await expect(item).toContainText("api_key.created");

  // A test event: the receiver gets it, signed with the copied secret.
  await item.getByRole("button", { name: "Send test event" }).click();
  await expect(page.getByText("Test event queued")).toBeVisible();
  const testEvent = await receivedEvent("webhook.test");
  expect(testEvent.headers["content-type"]).toBe("application/json");
  expectSignedBy(copied, testEvent);
  expect(testEvent.payload.data).toMatchObject({ endpointId: expect.any(String) });
  await expectDelivered(item, "webhook.test");

  // The card, as a person sees it: the endpoint with its delivery log open (the toast gone first).
  await expect(page.getByText("Test event queued")).toBeHidden({ timeout: 10_000 });
  await card(page).screenshot({ path: "/tmp/webhooks-card.png" });
  const axe = await new AxeBuilder({ page }).include('section[aria-labelledby="webhooks-title"]').analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);

  // Creating a key in the console sends api_key.created, naming the key but never its secret.
  const keyName = unique("Webhook watched");
  await apiKeysPage.open();
  const keySecret = await apiKeysPage.createKey(keyName);
  const created = await receivedEvent("api_key.created");
  expectSignedBy(copied, created);
  expect(created.payload.data).toMatchObject({ apiKey: { name: keyName, prefix: `${keySecret.slice(0, 11)}…` } });
  expect(created.body).not.toContain(keySecret);

  await settingsPage.open();
  await expectDelivered(endpointItem(page), "api_key.created");

  // Tidy up through the UI, so later specs' key events are not sent to a receiver that is gone.
  await endpointItem(page).getByRole("button", { name: "Delete", exact: true }).click();
  const confirm = page.getByRole("alertdialog", { name: "Delete this webhook endpoint?" });
  await expect(confirm).toContainText(receiverUrl);
  await confirm.getByRole("button", { name: "Delete endpoint" }).click();
  await expect(endpointItem(page)).toHaveCount(0);
});
