import { isVipHome, type LinkLike } from './devices.js';
import { addressKey, type HostAddress } from './host.js';
import { byCodePoint } from './code-point-order.js';

// An IPv4 address that needs ARP protection: one of rs-agent's own VIPs, or any
// address outside 127/8 on lo or a tunnel device (someone else's VIP, a second
// rs-agent's, one added by hand). IPv6 has no ARP: neighbour discovery answers only
// for addresses on the receiving interface.
export interface VipLike {
  address: string;
  prefixlen: number;
  dev: string;
}

interface LinkWithAddresses extends LinkLike {
  addresses: readonly { address: string; prefixlen: number; family: 4 | 6 }[];
}

// The VIP-like addresses left once the owned addresses no longer desired are deleted,
// plus the desired IPv4 VIPs (present or about to be added). Not the host's lifelines
// (model/lifelines.ts; placement never desires one): a NIC's own address in the ARP
// guard's set takes the host off its network, whoever put it on lo too. Sorted, unique by key.
export function exposedAfter(
  links: readonly LinkWithAddresses[],
  owned: readonly HostAddress[],
  desired: readonly HostAddress[],
  lifelines: ReadonlyMap<string, unknown> = new Map(),
): VipLike[] {
  const wanted = new Set(desired.map(addressKey));
  const deleted = new Set(owned.map(addressKey).filter((key) => !wanted.has(key)));
  const out = new Map<string, VipLike>();
  for (const link of links) {
    if (!isVipHome(link)) continue;
    for (const a of link.addresses) {
      if (a.family !== 4 || a.address.startsWith('127.') || lifelines.has(a.address)) continue;
      const host = { address: a.address, prefixlen: a.prefixlen, dev: link.name };
      const key = addressKey(host);
      if (!deleted.has(key)) out.set(key, host);
    }
  }
  for (const a of desired) {
    if (a.family !== 4) continue;
    const host = { address: a.address, prefixlen: a.prefixlen, dev: a.dev };
    out.set(addressKey(host), host);
  }
  return [...out.values()].sort((a, b) => byCodePoint(addressKey(a), addressKey(b)));
}

export function describeVipLike(v: VipLike): string {
  return `${v.address}/${v.prefixlen} on ${v.dev}`;
}
