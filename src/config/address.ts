import { isIPv6 } from 'node:net';

export type Family = 4 | 6;

export interface ParsedAddress {
  address: string; // canonical text: dotted quad, or RFC 5952 compressed IPv6
  family: Family;
}

// Parses a VIP as written in the config: a strict dotted quad (no leading zeros,
// every octet 0-255), or an IPv6 address; an optional host prefix (/32, /128).
// Returns an error text instead of throwing so the caller can name the key.
export function parseVipAddress(text: string): ParsedAddress | string {
  const [addr, prefix, extra] = text.split('/');
  if (extra !== undefined || addr === undefined) return 'is not an IP address';
  const v4 = parseIPv4(addr);
  const family: Family | null = v4 !== null ? 4 : isIPv6(addr) && !addr.includes('%') ? 6 : null;
  if (family === null) return 'is not an IP address';
  const hostLength = family === 4 ? 32 : 128;
  if (prefix !== undefined && prefix !== String(hostLength)) {
    return `is not a single host: a VIP takes /${hostLength} or no prefix`;
  }
  if (family === 4) {
    const reason = reservedIPv4(v4 as number[]);
    if (reason) return `is ${reason}, not usable as a VIP`;
    return { address: (v4 as number[]).join('.'), family };
  }
  const reason = reservedIPv6(expandIPv6(addr));
  if (reason) return `is ${reason}, not usable as a VIP`;
  return { address: canonicalIPv6(addr), family };
}

export function parseIPv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const octets: number[] = [];
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    octets.push(n);
  }
  return octets;
}

function reservedIPv4([a, b, c, d]: number[]): string | null {
  if (a === 0 && b === 0 && c === 0 && d === 0) return 'the unspecified address';
  if (a === 0) return 'in 0.0.0.0/8 ("this network")';
  if (a === 127) return 'a loopback address';
  if (a !== undefined && a >= 224 && a <= 239) return 'a multicast address';
  if (a === 255 && b === 255 && c === 255 && d === 255) return 'the broadcast address';
  if (a !== undefined && a >= 240) return 'in the reserved range 240.0.0.0/4';
  return null;
}

// The IPv6 counterparts of reservedIPv4: addresses the kernel treats specially or
// that cannot be reached from another link, so no director can send to them.
function reservedIPv6(groups: number[]): string | null {
  const [g0 = 0, , , , , g5 = 0, g6 = 0, g7 = 0] = groups;
  const zeroTo = (n: number) => groups.slice(0, n).every((g) => g === 0);
  if (zeroTo(8)) return 'the unspecified address';
  if (zeroTo(7) && g7 === 1) return 'the loopback address';
  if (zeroTo(5) && g5 === 0xffff) return 'an IPv4-mapped address (::ffff:0:0/96; write the IPv4 VIP itself)';
  if (zeroTo(6) && (g6 !== 0 || g7 !== 0)) return 'an IPv4-compatible address (::/96, deprecated by RFC 4291)';
  if ((g0 & 0xffc0) === 0xfe80) return 'a link-local address (fe80::/10: valid on one link only)';
  if ((g0 & 0xffc0) === 0xfec0) return 'a site-local address (fec0::/10, deprecated by RFC 3879)';
  if ((g0 & 0xff00) === 0xff00) return 'a multicast address (ff00::/8)';
  return null;
}

// RFC 5952 text form, so one VIP written two ways is seen as a duplicate.
export function canonicalIPv6(text: string): string {
  const groups = expandIPv6(text);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

function expandIPv6(text: string): number[] {
  let body = text.toLowerCase();
  const lastColon = body.lastIndexOf(':');
  const tail = body.slice(lastColon + 1);
  if (tail.includes('.')) {
    // An embedded IPv4 tail (::ffff:192.0.2.1) is two groups written in decimal.
    const [a = 0, b = 0, c = 0, d = 0] = parseIPv4(tail) ?? [];
    body = `${body.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left = '', right] = body.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const leftGroups = parse(left);
  const rightGroups = right === undefined ? [] : parse(right);
  const zeros = right === undefined ? 0 : 8 - leftGroups.length - rightGroups.length;
  return [...leftGroups, ...new Array<number>(zeros).fill(0), ...rightGroups];
}
