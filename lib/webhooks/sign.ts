import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

// Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over
// `${id}.${timestamp}.${body}` with the secret's decoded bytes, sent as `v1,<base64>`.

const PREFIX = "whsec_";

/** A new signing secret: 32 random bytes, as the spec's `whsec_<base64>`. */
export function generateWebhookSecret(): string {
  return PREFIX + randomBytes(32).toString("base64");
}

function keyOf(secret: string): Buffer {
  if (!secret.startsWith(PREFIX)) throw new Error("A webhook secret starts with whsec_.");
  return Buffer.from(secret.slice(PREFIX.length), "base64");
}

/** The `webhook-signature` header's value. `timestamp` is in whole seconds, as sent in `webhook-timestamp`. */
export function signWebhook(secret: string, messageId: string, timestamp: number, body: string): string {
  const mac = createHmac("sha256", keyOf(secret)).update(`${messageId}.${timestamp}.${body}`).digest("base64");
  return `v1,${mac}`;
}

/** Whether any of a header's space-separated signatures is ours (receivers and tests use it). */
export function verifyWebhookSignature(secret: string, messageId: string, timestamp: number, body: string, header: string): boolean {
  const expected = Buffer.from(signWebhook(secret, messageId, timestamp, body));
  return header.split(" ").some((candidate) => {
    const got = Buffer.from(candidate);
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
