import { describe, expect, it } from "vitest";
import { checkAddress, compileRules, parseIpRule, rulesWithin } from "./ip-rules";

const canon = (text: string) => {
  const r = parseIpRule(text);
  return r.ok ? r.rule.text : `error: ${r.error}`;
};
const verdict = (allow: string[], deny: string[], address: string | null) => checkAddress(compileRules({ allow, deny }), address);

describe("parseIpRule", () => {
  it("reads IPv4 and IPv6 addresses and ranges in one canonical spelling", () => {
    expect(canon("203.0.113.7")).toBe("203.0.113.7");
    expect(canon(" 203.0.113.7/32 ")).toBe("203.0.113.7");
    expect(canon("10.0.0.0/8")).toBe("10.0.0.0/8");
    expect(canon("0.0.0.0/0")).toBe("0.0.0.0/0");
    expect(canon("2001:0DB8:0000::/32")).toBe("2001:db8::/32");
    expect(canon("2001:db8::1/128")).toBe("2001:db8::1");
    expect(canon("::/0")).toBe("::/0");
    expect(canon("::ffff:1.2.3.4")).toBe("1.2.3.4");
    expect(canon("::ffff:10.0.0.0/104")).toBe("10.0.0.0/8");
  });

  it("refuses bad input, naming the entry", () => {
    expect(canon("10.0.0.1/8")).toBe('error: "10.0.0.1/8" has host bits set: the range is 10.0.0.0/8, or enter the single address without /8.');
    expect(canon("2001:db8::1/32")).toContain("the range is 2001:db8::/32");
    expect(canon("10.0.0.0/33")).toBe('error: "10.0.0.0/33" has an invalid prefix length: use /0 to /32.');
    expect(canon("::/129")).toContain("use /0 to /128");
    expect(canon("10.0.0.0/08")).toContain("invalid prefix length");
    expect(canon("10.0.0.0/")).toContain("invalid prefix length");
    expect(canon("10.0.0.0/8/8")).toContain("invalid prefix length");
    expect(canon("::ffff:10.0.0.0/64")).toContain("wider than the IPv4-mapped range");
    for (const bad of ["localhost", "1.2.3", "256.1.1.1", "01.2.3.4", "1:2:3:4:5:6:7:8:9", "::gggg", "1::2::3", "fe80::1%eth0"])
      expect(canon(bad), bad).toBe(`error: "${bad}" is not an IPv4 or IPv6 address or CIDR range.`);
    expect(canon("  ")).toBe("error: An entry is empty.");
  });
});

describe("checkAddress", () => {
  it("allows everything when there are no rules, also an unknown address", () => {
    expect(verdict([], [], "203.0.113.7")).toBe("allowed");
    expect(verdict([], [], null)).toBe("allowed");
  });

  it("matches IPv4 addresses and ranges, /32 and /0", () => {
    expect(verdict(["203.0.113.7"], [], "203.0.113.7")).toBe("allowed");
    expect(verdict(["203.0.113.7/32"], [], "203.0.113.8")).toBe("not_allowed");
    expect(verdict(["10.0.0.0/8"], [], "10.255.1.2")).toBe("allowed");
    expect(verdict(["10.0.0.0/8"], [], "11.0.0.1")).toBe("not_allowed");
    expect(verdict(["0.0.0.0/0"], [], "198.51.100.1")).toBe("allowed");
    // An IPv4 /0 says nothing about IPv6.
    expect(verdict(["0.0.0.0/0"], [], "2001:db8::1")).toBe("not_allowed");
  });

  it("matches IPv6 addresses and ranges, /128 and /0", () => {
    expect(verdict(["2001:db8::/32"], [], "2001:DB8:ffff::1")).toBe("allowed");
    expect(verdict(["2001:db8::/32"], [], "2001:db9::1")).toBe("not_allowed");
    expect(verdict(["2001:db8::1"], [], "2001:db8:0:0:0:0:0:1")).toBe("allowed");
    expect(verdict(["2001:db8::1/128"], [], "2001:db8::2")).toBe("not_allowed");
    expect(verdict(["::/0"], [], "fe80::1")).toBe("allowed");
    expect(verdict(["::/0"], [], "192.0.2.1")).toBe("not_allowed");
  });

  it("matches an IPv4-mapped IPv6 address against IPv4 rules, and a mapped rule against IPv4", () => {
    expect(verdict(["192.0.2.0/24"], [], "::ffff:192.0.2.9")).toBe("allowed");
    expect(verdict(["::ffff:192.0.2.0/120"], [], "192.0.2.9")).toBe("allowed");
    expect(verdict([], ["192.0.2.9"], "::ffff:c000:209")).toBe("denied");
  });

  it("lets deny win over allow", () => {
    expect(verdict(["10.0.0.0/8"], ["10.1.0.0/16"], "10.1.2.3")).toBe("denied");
    expect(verdict(["10.0.0.0/8"], ["10.1.0.0/16"], "10.2.0.1")).toBe("allowed");
    expect(verdict([], ["203.0.113.7"], "203.0.113.7")).toBe("denied");
    expect(verdict([], ["203.0.113.7"], "203.0.113.8")).toBe("allowed");
  });

  it("refuses an unknown or unreadable address when the key has rules (fails closed)", () => {
    expect(verdict(["10.0.0.0/8"], [], null)).toBe("not_allowed");
    expect(verdict([], ["10.0.0.0/8"], null)).toBe("not_allowed");
    expect(verdict([], ["10.0.0.0/8"], "not an address")).toBe("not_allowed");
  });
});

describe("rulesWithin", () => {
  const within = (c: [string[], string[]], l: [string[], string[]]) =>
    rulesWithin(compileRules({ allow: c[0], deny: c[1] }), compileRules({ allow: l[0], deny: l[1] }));

  it("accepts rules at least as strict and refuses looser ones", () => {
    expect(within([[], []], [[], []])).toBe(true);
    expect(within([["10.1.0.0/16"], []], [["10.0.0.0/8"], []])).toBe(true);
    expect(within([[], []], [["10.0.0.0/8"], []])).toBe(false);
    expect(within([["10.0.0.0/7"], []], [["10.0.0.0/8"], []])).toBe(false);
    expect(within([["2001:db8::/48"], []], [["10.0.0.0/8"], []])).toBe(false);
    expect(within([[], ["10.0.0.0/8"]], [[], ["10.1.0.0/16"]])).toBe(true);
    expect(within([[], ["10.2.0.0/16"]], [[], ["10.1.0.0/16"]])).toBe(false);
    // The denied range lies outside everything the candidate allows: refused anyway.
    expect(within([["192.0.2.0/24"], []], [[], ["10.1.0.0/16"]])).toBe(true);
    expect(within([["10.0.0.0/8"], []], [[], ["10.1.0.0/16"]])).toBe(false);
  });
});
