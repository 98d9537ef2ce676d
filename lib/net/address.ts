// IP address text, without Node: shared by the server (lib/net/client-address.ts, verification)
// and the console's forms (lib/validations/api-keys.ts), so an address or a rule is read the same
// way wherever it is typed or seen.

const IPV4 =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const HEX_GROUP = /^[0-9a-f]{1,4}$/;

/** The four octets of a dotted-quad IPv4 address (no leading zeros), or null. */
export function ipv4Octets(text: string): number[] | null {
  const m = IPV4.exec(text);
  return m ? m.slice(1, 5).map(Number) : null;
}

/** Eight 16-bit groups of a valid IPv6 address (lower-case; an embedded IPv4 tail included), or null. */
export function expandIpv6(text: string): number[] | null {
  let head = text;
  const tail: number[] = [];
  const v4 = /:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(head);
  if (v4) {
    const o = ipv4Octets(v4[1]);
    if (!o) return null;
    tail.push((o[0] << 8) | o[1], (o[2] << 8) | o[3]);
    // Keep the colon before the IPv4 part only when it is half of a "::".
    head = head.slice(0, -v4[1].length);
    if (!head.endsWith("::")) head = head.slice(0, -1);
  }
  const parse = (part: string): number[] | null => {
    if (part === "") return [];
    const groups = part.split(":");
    return groups.every((g) => HEX_GROUP.test(g)) ? groups.map((g) => parseInt(g, 16)) : null;
  };
  const double = head.indexOf("::");
  if (double === -1) {
    const groups = parse(head);
    return groups && groups.length + tail.length === 8 ? [...groups, ...tail] : null;
  }
  if (head.indexOf("::", double + 1) !== -1) return null;
  const left = parse(head.slice(0, double));
  const rightGroups = parse(head.slice(double + 2));
  if (!left || !rightGroups) return null;
  const right = [...rightGroups, ...tail];
  // "::" stands for at least one zero group.
  if (left.length + right.length > 7) return null;
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** RFC 5952's canonical text: the longest run (two or more) of zero groups becomes "::". */
export function compressIpv6(groups: number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((n) => n.toString(16));
  if (best === -1) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/** True for the eight groups of an IPv4-mapped IPv6 address (::ffff:a.b.c.d). */
export function isMappedIpv4(groups: number[]): boolean {
  return groups.slice(0, 5).every((n) => n === 0) && groups[5] === 0xffff;
}

/**
 * A valid IP address in one canonical spelling, or null. IPv4-mapped IPv6 (`::ffff:1.2.3.4`,
 * what a dual-stack socket reports for an IPv4 peer) becomes the IPv4 address, so one client
 * has one spelling; IPv6 is lower-cased and loses a zone index and brackets.
 */
export function normalizeAddress(value: string | null | undefined): string | null {
  if (!value) return null;
  let text = value.trim();
  if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1);
  const zone = text.indexOf("%");
  if (zone !== -1 && text.includes(":")) text = text.slice(0, zone);
  if (ipv4Octets(text)) return text;
  if (!text.includes(":")) return null;
  const groups = expandIpv6(text.toLowerCase());
  if (!groups) return null;
  if (isMappedIpv4(groups)) return [groups[6] >> 8, groups[6] & 255, groups[7] >> 8, groups[7] & 255].join(".");
  return compressIpv6(groups);
}
