import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { env } from "@/lib/env";

// Webhook signing secrets at rest: the worker must sign with the secret itself, so it is
// encrypted (AES-256-GCM) rather than hashed, under a key derived from AUTH_SECRET. A copy of the
// database alone then reveals no secret. Changing AUTH_SECRET makes the stored secrets unreadable:
// deliveries then fail with a clear error until each endpoint's secret is rotated.

const VERSION = "v1";
const INFO = "latchkey webhook signing secrets v1";

let cached: { from: string; key: Buffer } | null = null;

function key(): Buffer {
  const authSecret = env().AUTH_SECRET;
  if (!authSecret) throw new Error("AUTH_SECRET is not set: webhook secrets cannot be encrypted or read.");
  if (cached?.from !== authSecret) cached = { from: authSecret, key: Buffer.from(hkdfSync("sha256", authSecret, Buffer.alloc(0), INFO, 32)) };
  return cached.key;
}

export function encryptSecret(plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key(), iv);
  const data = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return [VERSION, iv.toString("base64"), data.toString("base64"), cipher.getAuthTag().toString("base64")].join(":");
}

/** Throws when the text was not sealed under the current AUTH_SECRET (or was altered). */
export function decryptSecret(sealed: string): string {
  const [version, iv, data, tag] = sealed.split(":");
  if (version !== VERSION || !iv || !data || !tag) throw new Error("Unrecognised encrypted secret.");
  const decipher = createDecipheriv("aes-256-gcm", key(), Buffer.from(iv, "base64"));
  decipher.setAuthTag(Buffer.from(tag, "base64"));
  return Buffer.concat([decipher.update(Buffer.from(data, "base64")), decipher.final()]).toString("utf8");
}
