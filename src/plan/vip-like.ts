import type { ActualLink } from '../observe/types.js';
import type { AddressChange, HostAddress } from './types.js';

// Device types that hold VIPs: the loopback and the tunnel devices TUN VIPs go on.
// A host address there serves traffic the host must never claim on the wire.
const VIP_HOME_TYPES = new Set(['loopback', 'ipip', 'gre', 'sit', 'tunnel6', 'gre6', 'ip6gre', 'ip6tnl']);

// An IPv4 address that needs ARP protection: one of rs-agent's own VIPs, or any
// address outside 127/8 on lo or a tunnel device (someone else's VIP, a second
// rs-agent's, one added by hand). IPv6 has no ARP: neighbour discovery answers only
// for addresses on the receiving interface.
export interface VipLike {
  address: string;
  prefixlen: number;
  dev: string;
}

// The VIP-like addresses left once the plan's own address deletions are done,
// plus the desired IPv4 VIPs (present or about to be added). Sorted, unique by key.
export function vipLikeAfter(
  links: readonly ActualLink[],
  addressChanges: readonly AddressChange[],
  desired: readonly HostAddress[] = [],
): VipLike[] {
  const deleted = new Set(addressChanges.filter((c) => c.action === 'delete').map(keyOf));
  const out = new Map<string, VipLike>();
  for (const link of links) {
    if (!VIP_HOME_TYPES.has(link.linkType) && link.name !== 'lo') continue;
    for (const a of link.addresses) {
      if (a.family !== 4 || isLoopbackNet(a.address)) continue;
      const host = { address: a.address, prefixlen: a.prefixlen, dev: link.name };
      const key = keyOf(host);
      if (!deleted.has(key)) out.set(key, host);
    }
  }
  for (const a of desired) {
    if (a.family !== 4) continue;
    const host = { address: a.address, prefixlen: a.prefixlen, dev: a.dev };
    out.set(keyOf(host), host);
  }
  return [...out.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
}

function keyOf(a: { address: string; prefixlen: number; dev: string }): string {
  return `${a.address}/${a.prefixlen} dev ${a.dev}`;
}

function isLoopbackNet(address: string): boolean {
  return address.startsWith('127.');
}

export function describeVipLike(v: VipLike): string {
  return `${v.address}/${v.prefixlen} on ${v.dev}`;
}
