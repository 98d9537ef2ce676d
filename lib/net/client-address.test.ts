import { afterEach, describe, expect, it } from "vitest";
import {
  attachSocketAddress,
  clientAddress,
  clientAddressFrom,
  isLoopbackAddress,
  normalizeAddress,
  rateLimitBucket,
  SOCKET_ADDRESS_HEADER,
  trustedProxyHops,
  trustSocketAddressHeader,
} from "./client-address";

const headers = (h: Record<string, string>) => new Headers(h);
const SOCKET = "192.0.2.10";

afterEach(() => {
  delete process.env.LATCHKEY_TRUSTED_PROXY_HOPS;
  trustSocketAddressHeader(false);
});

describe("clientAddressFrom", () => {
  it("ignores X-Forwarded-For (and X-Real-IP) by default: the client wrote them", () => {
    expect(trustedProxyHops()).toBe(0);
    expect(clientAddressFrom(headers({ "x-forwarded-for": "203.0.113.9" }), SOCKET)).toBe(SOCKET);
    expect(clientAddressFrom(headers({ "x-forwarded-for": "10.0.0.1, 203.0.113.9", "x-real-ip": "198.51.100.1" }), SOCKET)).toBe(SOCKET);
    expect(clientAddressFrom(headers({ "x-forwarded-for": "203.0.113.9" }))).toBeNull();
  });

  it("with one trusted proxy takes the last entry, whatever the client put in front", () => {
    process.env.LATCHKEY_TRUSTED_PROXY_HOPS = "1";
    expect(clientAddressFrom(headers({ "x-forwarded-for": "203.0.113.9" }), SOCKET)).toBe("203.0.113.9");
    expect(clientAddressFrom(headers({ "x-forwarded-for": "1.1.1.1, 10.9.9.9 ,203.0.113.9" }), SOCKET)).toBe("203.0.113.9");
  });

  it("with two trusted proxies takes the second from the end", () => {
    process.env.LATCHKEY_TRUSTED_PROXY_HOPS = "2";
    expect(clientAddressFrom(headers({ "x-forwarded-for": "6.6.6.6, 198.51.100.4, 10.0.0.2" }), SOCKET)).toBe("198.51.100.4");
    // Fewer entries than proxies: it did not come through both, so the header proves nothing.
    expect(clientAddressFrom(headers({ "x-forwarded-for": "198.51.100.4" }), SOCKET)).toBe(SOCKET);
  });

  it("falls back to the socket for an invalid entry, never passing the text on", () => {
    process.env.LATCHKEY_TRUSTED_PROXY_HOPS = "1";
    for (const xff of ["unknown", "203.0.113.9, not-an-ip", "1.2.3.4, 203.0.113.999", "1.2.3.4, <script>", "1.2.3.4, 203.0.113.9:8080", ", ,"])
      expect(clientAddressFrom(headers({ "x-forwarded-for": xff }), SOCKET), xff).toBe(SOCKET);
    expect(clientAddressFrom(headers({ "x-forwarded-for": "junk" }))).toBeNull();
  });

  it("treats a blank hop count as no proxy and refuses a malformed one rather than guess", () => {
    for (const hops of ["", " "]) {
      process.env.LATCHKEY_TRUSTED_PROXY_HOPS = hops;
      expect(clientAddressFrom(headers({ "x-forwarded-for": "203.0.113.9" }), SOCKET), hops).toBe(SOCKET);
    }
    for (const hops of ["-1", "1.5", "one", "999"]) {
      process.env.LATCHKEY_TRUSTED_PROXY_HOPS = hops;
      expect(() => clientAddressFrom(headers({ "x-forwarded-for": "203.0.113.9" }), SOCKET), hops).toThrow(
        `LATCHKEY_TRUSTED_PROXY_HOPS must be a whole number from 0 to 99 (got "${hops}")`,
      );
    }
  });

  it("reads the socket header only in a process the production server marked", () => {
    const h = headers({ [SOCKET_ADDRESS_HEADER]: "198.51.100.77" });
    expect(clientAddressFrom(h)).toBeNull();
    trustSocketAddressHeader();
    expect(clientAddressFrom(h)).toBe("198.51.100.77");
    expect(clientAddressFrom(headers({ [SOCKET_ADDRESS_HEADER]: "garbage" }))).toBeNull();
    // What the listener attached (from the socket itself) wins over any header.
    const req = new Request("http://localhost/", { headers: h });
    attachSocketAddress(req, "::ffff:192.0.2.200");
    expect(clientAddress(req)).toBe("192.0.2.200");
  });

  it("normalises IPv4-mapped IPv6 from the socket and from X-Forwarded-For", () => {
    expect(clientAddressFrom(headers({}), "::ffff:203.0.113.5")).toBe("203.0.113.5");
    process.env.LATCHKEY_TRUSTED_PROXY_HOPS = "1";
    expect(clientAddressFrom(headers({ "x-forwarded-for": "::FFFF:198.51.100.3" }), SOCKET)).toBe("198.51.100.3");
    expect(clientAddressFrom(headers({ "x-forwarded-for": "[2001:DB8::1]" }), SOCKET)).toBe("2001:db8::1");
  });
});

describe("normalizeAddress", () => {
  it("gives one spelling per address", () => {
    expect(normalizeAddress("::ffff:7f00:1")).toBe("127.0.0.1");
    expect(normalizeAddress("0:0:0:0:0:ffff:1.2.3.4")).toBe("1.2.3.4");
    expect(normalizeAddress("2001:0DB8:0000:0000:0000:0000:0000:0001")).toBe("2001:db8::1");
    expect(normalizeAddress("fe80::1%eth0")).toBe("fe80::1");
    expect(normalizeAddress("::1")).toBe("::1");
    expect(normalizeAddress(" 10.0.0.1 ")).toBe("10.0.0.1");
    for (const bad of [null, undefined, "", "localhost", "1.2.3", "::gggg", "1.2.3.4/24"]) expect(normalizeAddress(bad), String(bad)).toBeNull();
  });
});

describe("rateLimitBucket", () => {
  it("counts IPv6 per /64 and IPv4 per address", () => {
    expect(rateLimitBucket("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(rateLimitBucket("2001:db8:1:2:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(rateLimitBucket("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(rateLimitBucket("2001:DB8:1:2::9")).toBe(rateLimitBucket("2001:db8:1:2::8"));
    expect(rateLimitBucket("::1")).toBe("::/64");
    expect(rateLimitBucket("203.0.113.9")).toBe("203.0.113.9");
    expect(rateLimitBucket("203.0.113.10")).not.toBe(rateLimitBucket("203.0.113.9"));
    expect(rateLimitBucket("::ffff:203.0.113.9")).toBe("203.0.113.9");
    expect(rateLimitBucket(null)).toBe("unknown");
  });
});

describe("isLoopbackAddress", () => {
  it("knows this machine from every other", () => {
    for (const a of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]) expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of ["10.0.0.1", "192.168.1.1", "::", "0.0.0.0", "::ffff:10.0.0.1", "fe80::1", "128.0.0.1", undefined, "127.0.0.1.evil"])
      expect(isLoopbackAddress(a), String(a)).toBe(false);
  });
});
