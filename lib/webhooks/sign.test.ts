import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret } from "./secret-box";
import { generateWebhookSecret, signWebhook, verifyWebhookSignature } from "./sign";

describe("Standard Webhooks signatures", () => {
  it("match the specification's published example", () => {
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const signature = signWebhook(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}');
    expect(signature).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("verify with a receiver's own HMAC over id.timestamp.body, and not when any part differs", () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const key = Buffer.from(secret.slice("whsec_".length), "base64");
    expect(key.length).toBeGreaterThanOrEqual(24);
    const body = JSON.stringify({ type: "webhook.test", data: { n: 1 } });
    const header = signWebhook(secret, "msg_1", 1700000000, body);
    expect(header).toBe(`v1,${createHmac("sha256", key).update(`msg_1.1700000000.${body}`).digest("base64")}`);
    expect(verifyWebhookSignature(secret, "msg_1", 1700000000, body, `v1,bogus ${header}`)).toBe(true);
    expect(verifyWebhookSignature(secret, "msg_2", 1700000000, body, header)).toBe(false);
    expect(verifyWebhookSignature(secret, "msg_1", 1700000001, body, header)).toBe(false);
    expect(verifyWebhookSignature(generateWebhookSecret(), "msg_1", 1700000000, body, header)).toBe(false);
  });
});

describe("webhook secrets at rest", () => {
  it("are sealed under AUTH_SECRET, differently each time, and unreadable under another", () => {
    const saved = process.env.AUTH_SECRET;
    try {
      process.env.AUTH_SECRET = "first-auth-secret-for-this-test";
      const secret = generateWebhookSecret();
      const a = encryptSecret(secret);
      const b = encryptSecret(secret);
      expect(a).not.toBe(b);
      expect(a).not.toContain(secret.slice("whsec_".length, 20));
      expect(decryptSecret(a)).toBe(secret);
      const [v, iv, data, tag] = a.split(":");
      const flipped = Buffer.from(data, "base64");
      flipped[0] ^= 1;
      expect(() => decryptSecret([v, iv, flipped.toString("base64"), tag].join(":"))).toThrow();
      process.env.AUTH_SECRET = "another-auth-secret-entirely";
      expect(() => decryptSecret(a)).toThrow();
    } finally {
      if (saved === undefined) delete process.env.AUTH_SECRET;
      else process.env.AUTH_SECRET = saved;
    }
  });
});
