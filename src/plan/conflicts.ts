import type { ActualLink } from '../observe/types.js';
import type { Owned } from '../state/types.js';
import { addressKey } from './address.js';
import type { DesiredState } from './types.js';

// A VIP that the host also holds on a NIC, put there by someone else. On a NIC the
// kernel answers ARP for it whatever arp_ignore says (1 and 2 answer for addresses
// on the receiving interface), so the router sends the VIP's traffic to this real
// server instead of the director: the DR cluster breaks. Or the VIP is the real
// server's own address, a mistake in the config. Either way rs-agent must not add it.
export interface Conflict {
  vip: string;
  index: number; // position in the desired addresses, which follow the config's vips
  dev: string;
  prefixlen: number; // as held on dev: a host prefix is a stray VIP, a wider one the NIC's own address
}

export function findConflicts(desired: DesiredState, links: readonly ActualLink[], owned: Owned): Conflict[] {
  // The VIP's homes (lo, the tunnel devices) never answer ARP for it; every other device might.
  const homes = new Set(['lo', ...desired.links]);
  const ownedKeys = new Set(owned.addresses.map(addressKey));
  const conflicts: Conflict[] = [];
  desired.addresses.forEach((vip, index) => {
    for (const link of links) {
      if (homes.has(link.name) || link.linkType === 'loopback') continue;
      for (const a of link.addresses) {
        if (a.address !== vip.address || a.family !== vip.family) continue;
        // One rs-agent put there itself (a VIP moving) is deleted by the plan.
        if (ownedKeys.has(addressKey({ ...a, dev: link.name }))) continue;
        conflicts.push({ vip: vip.address, index, dev: link.name, prefixlen: a.prefixlen });
      }
    }
  });
  return conflicts;
}

export function describeConflict(c: Conflict): string {
  const held = `${c.vip}/${c.prefixlen}`;
  if (c.prefixlen === (c.vip.includes(':') ? 128 : 32)) {
    return `VIP ${c.vip} is also on ${c.dev} (${held}): ${c.dev} answers ARP for it and takes its traffic from the director; remove it from ${c.dev}`;
  }
  return `VIP ${c.vip} is ${c.dev}'s own address (${held}): a real server's own address cannot be a VIP; fix vips[${c.index}] in the config`;
}
