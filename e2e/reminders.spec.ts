import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import AxeBuilder from "@axe-core/playwright";
import type { Locator, Page } from "@playwright/test";
import { SMTPServer } from "smtp-server";
import { expect, screensOf, type Screens } from "./fixtures";
import { portAt, serverEnv, startServer, type ServerProcess } from "./api/server-process";
import { databaseOf, keep, test, type Defer } from "./api/two-instances";
import { recordSecret } from "./helpers";

// Expiry reminders end to end, on a production server of the spec's own: its clock is moved
// (LATCHKEY_TEST_CLOCK_FILE) past a key's 7-day mark and its workers run every half second
// (LATCHKEY_TEST_WORKER_INTERVAL_MS), and it mails through an SMTP server this spec runs. Its own
// server because the shared one must not have its clock moved two days under every later spec,
// nor try to mail the reminders other specs' keys are due (they make keys expiring in 7 days).
// The reminder arrives in the bell (count, item, click → the key's page, read), by email, and as
// an api_key.expiring webhook signed per Standard Webhooks. On the way: the bell empty and full,
// by keyboard, at 390 px and in dark mode, the account page's list and Settings' reminder days,
// each through axe.

const port = portAt(15);
const DAY_S = 86_400;
const dayIn = (days: number) => new Date(Date.now() + days * DAY_S * 1000).toISOString().slice(0, 10);

interface Mail {
  to: string[];
  subject: string;
  text: string;
}

interface Hook {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** RFC 2047 encoded words ("=?UTF-8?Q?...?="), as nodemailer writes a subject with quotes in it. */
function decodeWords(header: string): string {
  return header.replace(/\?=\s+=\?/g, "?==?").replace(/=\?UTF-8\?Q\?(.*?)\?=/gi, (_, word: string) =>
    Buffer.from(
      word.replace(/_/g, " ").replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
      "latin1",
    ).toString("utf8"),
  );
}

/** Headers unfolded and decoded, a quoted-printable body undone: what a mail client shows. */
function parseMail(raw: string, to: string[]): Mail {
  const [head, ...rest] = raw.split("\r\n\r\n");
  const headers = head.replace(/\r\n[ \t]+/g, " ");
  const subject = decodeWords(/^Subject: (.*)$/im.exec(headers)?.[1] ?? "");
  const body = rest.join("\r\n\r\n");
  const text = /quoted-printable/i.test(headers)
    ? Buffer.from(
        body.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
        "latin1",
      ).toString("utf8")
    : body;
  return { to, subject, text };
}

async function mailServer(defer: Defer): Promise<{ url: string; received: Mail[] }> {
  const received: Mail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      let raw = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => (raw += chunk));
      stream.on("end", () => {
        received.push(
          parseMail(
            raw,
            session.envelope.rcptTo.map((r) => r.address),
          ),
        );
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", () => resolve()));
  defer(() => new Promise<void>((resolve) => smtp.close(() => resolve())));
  return { url: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`, received };
}

async function webhookReceiver(defer: Defer): Promise<{ url: string; received: Hook[] }> {
  const received: Hook[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/latchkey`, received };
}

/** Standard Webhooks verification as a receiver does it, independent of Latchkey's signer. */
function signatureValid(secret: string, hook: Hook): boolean {
  const id = String(hook.headers["webhook-id"]);
  const timestamp = String(hook.headers["webhook-timestamp"]);
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = Buffer.from(`v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${hook.body}`).digest("base64")}`);
  return String(hook.headers["webhook-signature"])
    .split(" ")
    .some((candidate) => {
      const got = Buffer.from(candidate);
      return got.length === expected.length && timingSafeEqual(got, expected);
    });
}

async function remindersServer(
  defer: Defer,
  smtpUrl: string,
): Promise<{ server: ServerProcess; moveClock: (seconds: number) => void; clockSeconds: () => number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "latchkey-reminders-"));
  defer(() => fs.rmSync(dir, { recursive: true, force: true }));
  const clockFile = path.join(dir, "clock-offset");
  fs.writeFileSync(clockFile, "0");
  const env = serverEnv({
    LATCHKEY_TEST_CLOCK_FILE: clockFile,
    LATCHKEY_TEST_WORKER_INTERVAL_MS: "500",
    LATCHKEY_SMTP_URL: smtpUrl,
    LATCHKEY_SMTP_FROM: "Latchkey Reminders <keys@example.test>",
    LATCHKEY_PUBLIC_URL: `http://127.0.0.1:${port}`,
    LATCHKEY_DRAIN_SECONDS: "0",
  });
  if (process.env.DATABASE_URL) env.DATABASE_URL = (await databaseOf(defer, "reminders")).url;
  else {
    delete env.DATABASE_URL;
    env.LATCHKEY_DATA_DIR = path.join(dir, "pglite");
  }
  const server = await startServer(port, env);
  defer(async () => {
    await server.stop(3_000);
    await keep("server.log", server.output());
  });
  expect(server.output()).toContain("TEST CLOCK");
  expect(server.output()).toContain("TEST WORKER INTERVAL");
  let offset = 0;
  return {
    server,
    moveClock: (seconds) => {
      offset = seconds;
      fs.writeFileSync(clockFile, String(seconds));
    },
    clockSeconds: () => Date.now() / 1000 + offset,
  };
}

async function axeViolations(page: Page, include?: string): Promise<string[]> {
  const builder = new AxeBuilder({ page });
  const results = await (include ? builder.include(include) : builder).analyze();
  return results.violations.map((v) => `${v.impact ?? "?"} ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** A screenshot among the test's results. */
async function shot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  await page.screenshot({ path: test.info().outputPath(name), ...options });
}

// The open bell is checked on its own, as the specs check dialogs: a popup portalled to the end of
// the body is outside the page's landmarks by design, which axe's page-level "region" rule flags.
const MENU = '[role="menu"]';

/** The header's bell: its accessible name carries the unread count. */
const bellOf = (page: Page) => page.getByRole("button", { name: /^Notifications/ });
const bellMenu = (page: Page) => page.getByRole("menu", { name: "Notifications" });

/** Makes a key on the API tab expiring at the end of the day `days` from now; returns its id. */
async function makeExpiringKey(screens: Screens, name: string, days: number, owner?: string): Promise<string> {
  const keys = screens.apiKeysPage;
  await keys.open();
  await keys.createButton.click();
  await keys.nameField.fill(name);
  await keys.chooseExpiry("Custom date…");
  await keys.expiryDate.fill(dayIn(days));
  if (owner) {
    await keys.ownerField.click();
    await screens.apiKeysPage.page.getByRole("option", { name: owner, exact: true }).click();
  }
  expect(await keys.expiryShown()).toBe(dayIn(days));
  await keys.generateButton.click();
  await keys.shown.take();
  const href = await keys.row(name).link(name).getAttribute("href");
  const id = /\/account\/api\/([0-9a-f-]{36})$/.exec(href ?? "")?.[1];
  expect(id, `the key's link: ${href}`).toBeTruthy();
  return id!;
}

/** Presses Tab until `target` has focus (at most `limit` times), as a keyboard user reaches it. */
async function tabTo(page: Page, target: Locator, limit = 40): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error(`Tab did not reach ${target.toString()} in ${limit} presses`);
}

test("a key 8 days from expiry, the clock moved past its 7-day mark: the reminder reaches the bell, the mailbox and a webhook", async ({
  browser,
  defer,
}) => {
  test.setTimeout(180_000);
  const mail = await mailServer(defer);
  const hooks = await webhookReceiver(defer);
  const { server, moveClock, clockSeconds } = await remindersServer(defer, mail.url);

  const context = await browser.newContext({ baseURL: server.baseURL, viewport: { width: 1280, height: 800 } });
  defer(() => context.close());
  const page = await context.newPage();
  const screens = screensOf(page);
  await screens.loginPage.signIn("admin@acme.test");
  await screens.apiKeysPage.open();

  // ── The bell with nothing in it ──────────────────────────────────────────────────────────
  const bell = bellOf(page);
  await expect(bell).toHaveAccessibleName("Notifications");
  await bell.click();
  await expect(bellMenu(page)).toContainText("No notifications yet.");
  await expect(page.getByRole("menuitem", { name: "Mark all read" })).toBeDisabled();
  await shot(page, "bell-empty.png");
  expect(await axeViolations(page, MENU)).toEqual([]);
  await page.keyboard.press("Escape");
  expect(await axeViolations(page)).toEqual([]);
  await expect(bellMenu(page)).toBeHidden();
  await expect(bell).toBeFocused();

  // ── Settings: reminders 7 and 1 days before, a webhook endpoint for key events ───────────
  await screens.settingsPage.open();
  const days = page.getByLabel("Expiry reminders (days before)");
  await expect(days).toHaveValue("14, 7, 1");
  await days.fill("1, 7");
  await page.getByRole("button", { name: "Save reminders" }).click();
  await expect(page.getByText("Expiry reminders go out 7 and 1 days before.")).toBeVisible();
  await expect(days).toHaveValue("7, 1");
  await days.scrollIntoViewIfNeeded();
  await shot(page, "settings-reminder-days.png");
  expect(await axeViolations(page)).toEqual([]);

  await page.getByRole("button", { name: "Add endpoint" }).click();
  const form = page.getByRole("dialog", { name: "Add webhook endpoint" });
  await form.getByLabel("URL").fill(hooks.url);
  await expect(form.getByRole("checkbox", { name: /api_key\.expiring/ })).toBeChecked();
  await form.getByRole("button", { name: "Add endpoint" }).click();
  const secretDialog = page.getByRole("dialog", { name: "Webhook endpoint added" });
  const signingSecret = await secretDialog.getByLabel("Signing secret").inputValue();
  expect(signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
  recordSecret(signingSecret);
  await secretDialog.getByRole("button", { name: "Done" }).click();
  await expect(secretDialog).toBeHidden();

  // ── Keys 8 days from expiry: nothing is due yet with reminders at 7 and 1 days ─────────────
  const tag = randomBytes(3).toString("hex");
  const name = `Nightly export ${tag}`;
  const keyId = await makeExpiringKey(screens, name, 8, "Mia Member · member@acme.test · Member");
  const longName = `Warehouse reconciliation for the finance team’s quarterly close, EU region ${tag}`;
  await makeExpiringKey(screens, longName, 8);
  const third = `Billing webhook relay ${tag}`;
  await makeExpiringKey(screens, third, 8);
  // 10 days left after the move: due under the default 14 days, not under 7 and 1. Every round
  // looks at every key, so once the others' reminders are in, a round has passed this one by.
  const later = `Quarterly audit export ${tag}`;
  await makeExpiringKey(screens, later, 12);

  // Two days on, each key has 6 to 7 days left: its 7-day reminder is due.
  moveClock(2 * DAY_S);

  // (b) Email: to the owner and the creator, both told it is theirs, with a link and no secret.
  const mailsFor = (key: string) => mail.received.filter((m) => m.subject.includes(`"${key}"`));
  await expect
    .poll(() =>
      mailsFor(name)
        .map((m) => m.to.join(","))
        .sort(),
    )
    .toEqual(["admin@acme.test", "member@acme.test"]);
  for (const m of mailsFor(name)) {
    expect(m.subject).toBe(`Your API key "${name}" expires in 7 days`);
    expect(m.text).toContain(`${server.baseURL}/w/acme/account/api/${keyId}`);
    expect(m.text).not.toMatch(/lk_[0-9A-Za-z]{10,}/);
  }
  await expect.poll(() => mailsFor(longName).length).toBe(1);
  await expect.poll(() => mailsFor(third).length).toBe(1);
  expect(mailsFor(later)).toEqual([]);

  // (c) Webhook: api_key.expiring for the key, with a valid Standard Webhooks signature.
  const hookFor = (id: string) =>
    hooks.received.find((h) => {
      const body = JSON.parse(h.body) as { type: string; data: { apiKey?: { id?: string } } };
      return body.type === "api_key.expiring" && body.data.apiKey?.id === id;
    });
  await expect.poll(() => hookFor(keyId) !== undefined).toBe(true);
  const hook = hookFor(keyId)!;
  expect(hook.headers["webhook-id"]).toMatch(/^msg_/);
  expect(signatureValid(signingSecret, hook)).toBe(true);
  expect(signatureValid(`whsec_${randomBytes(32).toString("base64")}`, hook)).toBe(false);
  // Signed at the server's (moved) time, as a receiver's tolerance check would read it.
  expect(Math.abs(Number(hook.headers["webhook-timestamp"]) - clockSeconds())).toBeLessThan(60);
  const payload = JSON.parse(hook.body) as { type: string; data: Record<string, unknown> };
  expect(payload.data).toMatchObject({ apiKey: { id: keyId, name }, daysBefore: 7, daysLeft: 7 });
  expect(hook.body).not.toMatch(/lk_[0-9A-Za-z]{10,}/);

  // (a) The bell, reached and worked by keyboard.
  await page.reload();
  await expect(bell).toHaveAccessibleName("Notifications, 3 unread");
  await page.locator("body").focus();
  await tabTo(page, bell);
  await page.keyboard.press("Enter");
  const menu = bellMenu(page);
  await expect(menu).toBeVisible();
  const items = menu.getByRole("menuitem", { name: /^Unread: / });
  await expect(items).toHaveCount(3);
  await expect(menu.getByRole("menuitem", { name: new RegExp(`API key "${name}" expires in 7 days`) })).toBeVisible();
  await page.keyboard.press("ArrowDown");
  const focused = menu.locator(":focus");
  await expect(focused).toHaveAttribute("role", "menuitem");
  const firstFocused = await focused.textContent();
  await page.keyboard.press("ArrowDown");
  await expect(menu.locator(":focus")).not.toHaveText(firstFocused ?? "");
  await shot(page, "bell-open.png");
  expect(await axeViolations(page, MENU)).toEqual([]);
  await page.keyboard.press("Escape");
  expect(await axeViolations(page)).toEqual([]);
  await expect(menu).toBeHidden();
  await expect(bell).toBeFocused();

  // Click → the key's page, and it is read.
  await bell.click();
  await menu.getByRole("menuitem", { name: new RegExp(`API key "${name}" expires in 7 days`) }).click();
  await expect(page).toHaveURL(new RegExp(`/w/acme/account/api/${keyId}$`));
  await expect(screens.keyDetailPage.title(name)).toBeVisible();
  await expect(bell).toHaveAccessibleName("Notifications, 2 unread");
  await page.reload();
  await expect(bell).toHaveAccessibleName("Notifications, 2 unread");
  await bell.click();
  await expect(menu.getByRole("menuitem", { name: new RegExp(`^API key "${name}" expires in 7 days`) })).toBeVisible();
  await expect(menu.getByRole("menuitem", { name: /^Unread: / })).toHaveCount(2);
  await page.keyboard.press("Escape");

  // The account page's Notifications section.
  await screens.accountPage.goto();
  const list = page.getByRole("region", { name: "Notifications", exact: true });
  await expect(list.getByRole("button", { name: /expires in 7 days/ })).toHaveCount(3);
  await list.scrollIntoViewIfNeeded();
  await shot(page, "account-notifications.png", { fullPage: true });
  expect(await axeViolations(page)).toEqual([]);

  // A phone-sized screen: the bell's list fits and its long names do not push it wider.
  await page.setViewportSize({ width: 390, height: 844 });
  await screens.apiKeysPage.open();
  await bell.click();
  await expect(menu).toBeVisible();
  const box = await menu.boundingBox();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(390);
  // A long name does not cut off what the notice says about it.
  const longTitle = menu.getByText(`API key "${longName}" expires in 7 days`);
  await expect(longTitle).toBeVisible();
  expect(await longTitle.evaluate((el) => el.scrollHeight <= el.clientHeight + 1)).toBe(true);
  await shot(page, "bell-narrow.png");
  expect(await axeViolations(page, MENU)).toEqual([]);
  await page.keyboard.press("Escape");
  expect(await axeViolations(page)).toEqual([]);
  await screens.accountPage.goto();
  await expect(list.getByRole("button", { name: /expires in 7 days/ })).toHaveCount(3);
  await shot(page, "account-narrow.png", { fullPage: true });
  expect(await axeViolations(page)).toEqual([]);

  // Dark mode (the OS's setting).
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: "dark" });
  await bell.click();
  await expect(menu).toBeVisible();
  await shot(page, "bell-dark.png");
  expect(await axeViolations(page, MENU)).toEqual([]);
  await page.keyboard.press("Escape");
  expect(await axeViolations(page)).toEqual([]);
  await screens.accountPage.goto();
  await shot(page, "account-notifications-dark.png", { fullPage: true });
  expect(await axeViolations(page)).toEqual([]);

  // Dozens of half-second rounds have run since the reminders went out: each was sent once.
  await expect(page.getByRole("region", { name: "Notifications", exact: true }).getByRole("button", { name: /expires in/ })).toHaveCount(3);
  expect(mailsFor(name)).toHaveLength(2);
  expect(mail.received.filter((m) => m.subject.includes(tag))).toHaveLength(4);
  expect(hooks.received.filter((h) => (JSON.parse(h.body) as { type: string }).type === "api_key.expiring")).toHaveLength(3);
});
