import { compressIpv6, expandIpv6, ipv4Octets, isMappedIpv4, normalizeAddress } from "./address";

// A key's IP rules: allow and deny lists of addresses and CIDR ranges, IPv4 and IPv6. Deny wins
// over allow; an empty allow list allows every address not denied, a non-empty one only those it
// covers. Rules are stored in their canonical spelling (an address without /32 or /128, IPv6
// compressed and lower-cased, an IPv4-mapped IPv6 rule as IPv4), so "10.0.0.1" and "10.0.0.1/32"
// are one rule and a duplicate is seen as one. A range with host bits set ("10.0.0.1/8") is
// refused rather than silently widened: the person typing it may have meant the one address.

export const IP_RULES_MAX = 50;

export interface IpRule {
  /** The canonical text, as stored and shown. */
  text: string;
  version: 4 | 6;
  network: bigint;
  prefix: number;
}

export type ParsedRule = { ok: true; rule: IpRule } | { ok: false; error: string };

const bitsOf = (version: 4 | 6) => (version === 4 ? 32 : 128);
const mask = (version: 4 | 6, prefix: number) => {
  const bits = BigInt(bitsOf(version));
  return prefix === 0 ? BigInt(0) : ((BigInt(1) << bits) - BigInt(1)) ^ ((BigInt(1) << (bits - BigInt(prefix))) - BigInt(1));
};
const fromGroups = (parts: number[], width: number) => parts.reduce((acc, n) => (acc << BigInt(width)) | BigInt(n), BigInt(0));

function v4Text(n: bigint): string {
  return [24, 16, 8, 0].map((s) => String(Number((n >> BigInt(s)) & BigInt(255)))).join(".");
}
function v6Text(n: bigint): string {
  const groups: number[] = [];
  for (let s = 112; s >= 0; s -= 16) groups.push(Number((n >> BigInt(s)) & BigInt(0xffff)));
  return compressIpv6(groups);
}

/** An address as a number and its version, or null when it is not an address. */
function addressValue(text: string): { version: 4 | 6; value: bigint } | null {
  const o = ipv4Octets(text);
  if (o) return { version: 4, value: fromGroups(o, 8) };
  if (!text.includes(":")) return null;
  const g = expandIpv6(text.toLowerCase());
  if (!g) return null;
  if (isMappedIpv4(g)) return { version: 4, value: fromGroups(g.slice(6), 16) };
  return { version: 6, value: fromGroups(g, 16) };
}

/** One rule as typed: an IPv4 or IPv6 address, or a CIDR range of either. */
export function parseIpRule(input: string): ParsedRule {
  const typed = input.trim();
  if (typed === "") return { ok: false, error: "An entry is empty." };
  const slash = typed.indexOf("/");
  const addressText = slash === -1 ? typed : typed.slice(0, slash);
  const mapped = addressText.includes(":") && addressText.includes(".");
  const address = addressValue(addressText);
  if (!address) return { ok: false, error: `"${typed}" is not an IPv4 or IPv6 address or CIDR range.` };
  let prefix = bitsOf(address.version);
  if (slash !== -1) {
    const p = typed.slice(slash + 1);
    // An IPv4-mapped range (::ffff:10.0.0.0/104) counts its prefix over the whole IPv6 address.
    const max = mapped && address.version === 4 ? 128 : bitsOf(address.version);
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > max) return { ok: false, error: `"${typed}" has an invalid prefix length: use /0 to /${max}.` };
    prefix = Number(p);
    if (mapped && address.version === 4) {
      if (prefix < 96) return { ok: false, error: `"${typed}" is wider than the IPv4-mapped range: use an IPv4 range instead.` };
      prefix -= 96;
    }
  }
  const network = address.value & mask(address.version, prefix);
  const full = bitsOf(address.version);
  const base = address.version === 4 ? v4Text(network) : v6Text(network);
  if (network !== address.value)
    return { ok: false, error: `"${typed}" has host bits set: the range is ${base}/${prefix}, or enter the single address without /${prefix}.` };
  return { ok: true, rule: { text: prefix === full ? base : `${base}/${prefix}`, version: address.version, network, prefix } };
}

/** The rule, known to be valid (stored rules were validated when they were saved). */
function ruleOf(text: string): IpRule | null {
  const r = parseIpRule(text);
  return r.ok ? r.rule : null;
}

/** True when `rule` covers the address (same version, same network under the rule's prefix). */
function covers(rule: IpRule, address: { version: 4 | 6; value: bigint }): boolean {
  return rule.version === address.version && (address.value & mask(rule.version, rule.prefix)) === rule.network;
}

/** True when every address `inner` covers, `outer` covers too. */
export function ruleContains(outer: IpRule, inner: IpRule): boolean {
  return outer.version === inner.version && outer.prefix <= inner.prefix && covers(outer, { version: inner.version, value: inner.network });
}

export interface IpRules {
  allow: readonly string[];
  deny: readonly string[];
}

export interface CompiledRules {
  allow: IpRule[];
  deny: IpRule[];
}

export const NO_RULES: CompiledRules = { allow: [], deny: [] };

export function compileRules(rules: IpRules): CompiledRules {
  const read = (list: readonly string[]) => list.map(ruleOf).filter((r): r is IpRule => r !== null);
  return { allow: read(rules.allow), deny: read(rules.deny) };
}

export const hasRules = (rules: IpRules | CompiledRules): boolean => rules.allow.length > 0 || rules.deny.length > 0;

export type AddressVerdict = "allowed" | "denied" | "not_allowed";

/**
 * Whether a request from `address` passes the rules. An address that cannot be known (null)
 * passes only a key with no rules: a key restricted to some addresses fails closed.
 */
export function checkAddress(rules: CompiledRules, address: string | null): AddressVerdict {
  if (!hasRules(rules)) return "allowed";
  const normal = normalizeAddress(address);
  const value = normal ? addressValue(normal) : null;
  if (!value) return "not_allowed";
  if (rules.deny.some((r) => covers(r, value))) return "denied";
  if (rules.allow.length > 0 && !rules.allow.some((r) => covers(r, value))) return "not_allowed";
  return "allowed";
}

/**
 * True when `candidate` lets through no address that `limit` refuses: every address it allows,
 * `limit` allows too. A credential restricted by IP rules may only give a key rules at least this
 * strict, so it cannot mint or loosen its way out of its own restriction. Conservative: a
 * candidate allow entry must lie inside one limit allow entry, and each limit deny entry inside
 * one candidate deny entry (or outside everything the candidate allows).
 */
export function rulesWithin(candidate: CompiledRules, limit: CompiledRules): boolean {
  if (limit.allow.length > 0) {
    if (candidate.allow.length === 0) return false;
    if (!candidate.allow.every((c) => limit.allow.some((l) => ruleContains(l, c)))) return false;
  }
  return limit.deny.every(
    (d) =>
      candidate.deny.some((c) => ruleContains(c, d)) ||
      // Two CIDR ranges are either nested or apart: apart from every allowed range, d is refused anyway.
      (candidate.allow.length > 0 && candidate.allow.every((a) => !ruleContains(a, d) && !ruleContains(d, a))),
  );
}

/** A textarea's text as rule entries: one per line (commas and spaces separate too), blanks dropped. */
export function ruleEntries(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}
