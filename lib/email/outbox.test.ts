import type { AddressInfo } from "node:net";
import { eq, inArray } from "drizzle-orm";
import { SMTPServer } from "smtp-server";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { openDatabase, type OpenDatabase } from "@/db";
import { apiKeys, emailOutbox } from "@/db/schema";
import { createTestDatabase } from "@/db/testing";
import { createApiKey } from "@/lib/api-keys/core";
import { sendDueReminders } from "@/lib/reminders/run";
import { contextFor, seedFixtures, userId } from "@/lib/testing/fixtures";
import { deliverDueEmails, purgeSentEmails, queueEmails } from "./outbox";

// Reminder email end to end: the reminder's transaction queues it, the worker sends it through
// nodemailer to a real SMTP server in this process; a failed send is retried later; two workers
// at once send each message once; no message carries the secret, its hash or its prefix.

interface Received {
  to: string[];
  subject: string;
  text: string;
}

let handle: OpenDatabase & { url?: string };
let smtp: SMTPServer;
const received: Received[] = [];
const DAY = 86_400_000;

/** RFC 2047 encoded words ("=?UTF-8?Q?...?="), as nodemailer writes a subject with quotes in it. */
function decodeWords(header: string): string {
  return header.replace(/\?=\s+=\?/g, "?==?").replace(/=\?UTF-8\?Q\?(.*?)\?=/gi, (_, word: string) =>
    Buffer.from(
      word.replace(/_/g, " ").replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
      "latin1",
    ).toString("utf8"),
  );
}

/** Headers unfolded and decoded, the body's quoted-printable undone: what a mail client would show. */
function parse(raw: string, to: string[]): Received {
  const [head, ...rest] = raw.split("\r\n\r\n");
  const headers = head.replace(/\r\n[ \t]+/g, " ");
  const subject = decodeWords(/^Subject: (.*)$/im.exec(headers)?.[1] ?? "");
  const body = rest.join("\r\n\r\n");
  const text = /quoted-printable/i.test(headers)
    ? body.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
    : body;
  return { to, subject, text };
}

beforeAll(async () => {
  handle = await createTestDatabase();
  await seedFixtures(handle.db);
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      let raw = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => (raw += chunk));
      stream.on("end", () => {
        received.push(
          parse(
            raw,
            session.envelope.rcptTo.map((r) => r.address),
          ),
        );
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", () => resolve()));
});
afterEach(() => {
  vi.unstubAllEnvs();
});
afterAll(async () => {
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await handle.close();
});

function useSmtp() {
  vi.stubEnv("LATCHKEY_SMTP_URL", `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`);
  vi.stubEnv("LATCHKEY_SMTP_FROM", "Latchkey Test <keys@example.test>");
  vi.stubEnv("LATCHKEY_PUBLIC_URL", "https://keys.example.test");
}

describe("reminder email", () => {
  it("reaches the owner, the creator and the Admins through a real SMTP server, with no secret in it", async () => {
    useSmtp();
    const db = handle.db;
    const ctx = await contextFor(db, "admin@acme.test", "acme");
    const base = Date.now();
    const created = await createApiKey(db, ctx, {
      name: "Nightly export",
      ownerId: await userId(db, "member@acme.test"),
      expiresAt: new Date(base + 3 * DAY - 60_000).toISOString(),
    });
    const [stored] = await db.select().from(apiKeys).where(eq(apiKeys.id, created.key.id));
    await sendDueReminders(db, new Date(base));
    const { sent } = await deliverDueEmails(db, { now: () => new Date(base) });
    expect(sent).toBeGreaterThanOrEqual(2);

    const mine = received.filter((m) => m.subject.includes('"Nightly export"'));
    expect(mine.map((m) => m.to).sort()).toEqual([["admin@acme.test"], ["member@acme.test"]]);
    for (const m of mine) {
      expect(m.subject).toBe('Your API key "Nightly export" expires in 3 days');
      expect(m.text).toContain(`https://keys.example.test/w/acme/account/api/${created.key.id}`);
      for (const leak of [created.secret, created.secret.slice(3, 15), stored.secretHash, stored.prefix.replace("…", "")])
        expect(m.text).not.toContain(leak);
      expect(m.subject).not.toContain(stored.prefix.replace("…", ""));
    }
    const rows = await db
      .select()
      .from(emailOutbox)
      .where(inArray(emailOutbox.to, ["admin@acme.test", "member@acme.test"]));
    expect(rows.every((r) => r.status === "sent" && r.attempts === 1)).toBe(true);
  });

  it("is not queued when no mail server is configured (the console still tells them)", async () => {
    const db = handle.db;
    const ctx = await contextFor(db, "admin@acme.test", "acme");
    const before = (await db.select().from(emailOutbox)).length;
    const base = Date.now();
    await createApiKey(db, ctx, { name: "No mail for me", expiresAt: new Date(base + 2 * DAY).toISOString() });
    const { sent } = await sendDueReminders(db, new Date(base));
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(await db.select().from(emailOutbox)).toHaveLength(before);
  });

  it("retries a failed send after its backoff, and gives the error without the message", async () => {
    useSmtp();
    const db = handle.db;
    const base = Date.now();
    await queueEmails(db, [{ to: "retry@example.test", subject: "Retry me", text: "Hello" }], new Date(base));
    const failing = vi.fn(async () => {
      throw Object.assign(new Error("Greeting never received from smtp://mailer:hunter2@mail"), { code: "ETIMEDOUT" });
    });
    expect(await deliverDueEmails(db, { now: () => new Date(base), send: failing })).toEqual({ sent: 0, failed: 1 });
    const [row] = await db.select().from(emailOutbox).where(eq(emailOutbox.to, "retry@example.test"));
    expect(row).toMatchObject({ status: "pending", attempts: 1, lastError: "ETIMEDOUT" });
    expect(row.nextAttemptAt.getTime()).toBeGreaterThan(base);

    // Not before its time, then through the real server.
    expect(await deliverDueEmails(db, { now: () => new Date(base + 1000) })).toEqual({ sent: 0, failed: 0 });
    expect(await deliverDueEmails(db, { now: () => new Date(base + 61_000) })).toEqual({ sent: 1, failed: 0 });
    expect(received.filter((m) => m.subject === "Retry me").map((m) => m.to)).toEqual([["retry@example.test"]]);
  });

  it("keeps sent messages a week, and pending ones until they are sent", async () => {
    useSmtp();
    const db = handle.db;
    const base = Date.now() + 2 * 365 * DAY;
    await queueEmails(db, [{ to: "purge@example.test", subject: "Purge me", text: "Hi" }], new Date(base));
    await queueEmails(db, [{ to: "pending@example.test", subject: "Keep me", text: "Hi" }], new Date(base + DAY));
    await deliverDueEmails(db, { now: () => new Date(base) });
    const left = async () =>
      (
        await db
          .select({ to: emailOutbox.to })
          .from(emailOutbox)
          .where(inArray(emailOutbox.to, ["purge@example.test", "pending@example.test"]))
      )
        .map((r) => r.to)
        .sort();
    await purgeSentEmails(db, new Date(base + 6 * DAY));
    expect(await left()).toEqual(["pending@example.test", "purge@example.test"]);
    await purgeSentEmails(db, new Date(base + 8 * DAY));
    expect(await left()).toEqual(["pending@example.test"]);
    await db.delete(emailOutbox).where(eq(emailOutbox.to, "pending@example.test"));
  });

  it("is sent once when two workers deliver at the same moment", async () => {
    useSmtp();
    const second = handle.url ? await openDatabase({ url: handle.url, migrate: false }) : handle;
    try {
      const db = handle.db;
      const base = Date.now() + 365 * DAY;
      const messages = Array.from({ length: 12 }, (_, i) => ({ to: `both-${i}@example.test`, subject: `Both ${i}`, text: "Once" }));
      await queueEmails(db, messages, new Date(base));
      const [a, b] = await Promise.all([
        deliverDueEmails(db, { now: () => new Date(base), batch: 3 }),
        deliverDueEmails(second.db, { now: () => new Date(base), batch: 3 }),
      ]);
      expect(a.sent + b.sent).toBe(12);
      const got = received.filter((m) => m.subject.startsWith("Both ")).map((m) => m.subject);
      expect(got.sort()).toEqual(messages.map((m) => m.subject).sort());
    } finally {
      if (second !== handle) await second.close();
    }
  });
});
