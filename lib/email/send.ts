import "server-only";
import { createTransport, type Transporter } from "nodemailer";
import { env } from "@/lib/env";

/** One email: plain text only, never a secret (the callers build it from names and dates). */
export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Whether email is configured: without LATCHKEY_SMTP_URL, notifications stay in the console. */
export function emailEnabled(): boolean {
  return Boolean(env().LATCHKEY_SMTP_URL);
}

// One transport per URL for the process; a changed URL (tests) gets a new one.
const g = globalThis as unknown as { __latchkeySmtp?: { url: string; transport: Transporter } };

function transport(): Transporter {
  const url = env().LATCHKEY_SMTP_URL;
  if (!url) throw new Error("LATCHKEY_SMTP_URL is not set");
  if (g.__latchkeySmtp?.url !== url) {
    g.__latchkeySmtp?.transport.close();
    g.__latchkeySmtp = {
      url,
      // Bounded so a silent mail server holds up one delivery round, not the worker forever.
      transport: createTransport(url, { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 }),
    };
  }
  return g.__latchkeySmtp.transport;
}

/** Sends one email now through LATCHKEY_SMTP_URL. Callers go through the outbox (lib/email/outbox.ts). */
export async function sendEmail(message: EmailMessage): Promise<void> {
  await transport().sendMail({ from: env().LATCHKEY_SMTP_FROM, to: message.to, subject: message.subject, text: message.text });
}

/**
 * What a failed delivery records: the SMTP reply code and nodemailer's error code, plus the
 * server's reply line. Never the transport's whole message, which can name the URL it used.
 */
export function describeSendFailure(err: unknown): string {
  const e = err as { code?: unknown; responseCode?: unknown; response?: unknown };
  const parts = [
    typeof e?.code === "string" ? e.code : null,
    typeof e?.responseCode === "number" ? String(e.responseCode) : null,
    typeof e?.response === "string" ? e.response.split("\n")[0] : null,
  ].filter(Boolean);
  return (parts.join(" ") || "send failed").slice(0, 500);
}
