import { afterEach, describe, expect, it } from "vitest";
import { clientAddress } from "./handler";

const req = (headers: Record<string, string>) => new Request("http://localhost/api/data/me", { headers });

describe("clientAddress", () => {
  afterEach(() => {
    delete process.env.LATCHKEY_TRUSTED_PROXY_HOPS;
  });

  it("takes the entry the trusted proxy appended (the last one by default)", () => {
    expect(clientAddress(req({ "x-forwarded-for": "203.0.113.9" }))).toBe("203.0.113.9");
    expect(clientAddress(req({ "x-forwarded-for": "10.9.9.9, 203.0.113.9" }))).toBe("203.0.113.9");
  });

  it("counts back as many hops as there are trusted proxies", () => {
    process.env.LATCHKEY_TRUSTED_PROXY_HOPS = "2";
    expect(clientAddress(req({ "x-forwarded-for": "spoofed, 198.51.100.4, 10.0.0.2" }))).toBe("198.51.100.4");
    expect(clientAddress(req({ "x-forwarded-for": "198.51.100.4" }))).toBe("198.51.100.4");
  });

  it("falls back to X-Real-IP, then nothing", () => {
    expect(clientAddress(req({ "x-real-ip": "192.0.2.1" }))).toBe("192.0.2.1");
    expect(clientAddress(req({}))).toBeNull();
  });
});
