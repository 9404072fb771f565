import { addressKey } from '../model/host.js';
import type { ChangeBase } from '../model/change.js';
import type { HostAddress } from '../model/host.js';
import type { Owned } from '../objects/registry.js';
import type { ActualLink } from '../observe/types.js';
import type { DesiredState } from './plan.js';

// A VIP that the host also holds on a NIC, put there by someone else. On a NIC the
// kernel answers ARP for it whatever arp_ignore says (1 and 2 answer for addresses
// on the receiving interface), so the router sends the VIP's traffic to this real
// server instead of the director: the DR cluster breaks. Or the VIP is the real
// server's own address, a mistake in the config. Either way rs-agent must not add it.
// kind 'prefix': an IPv6 VIP already on its own device with another prefix, put there
// by someone else. The kernel holds an IPv6 address once per device whatever the
// prefix ("File exists" for rs-agent's /128), and that address is still preferred,
// so the host may use the VIP as a source address. (IPv4 keeps the same address at
// two prefixes side by side, so a /24 there does not stop rs-agent's /32.)
export interface Conflict {
  kind: 'nic' | 'prefix';
  vip: string;
  index: number; // position in the desired addresses, which follow the config's vips
  dev: string;
  prefixlen: number; // as held on dev: a host prefix is a stray VIP, a wider one the NIC's own address
}

export function findConflicts(desired: DesiredState, links: readonly ActualLink[], owned: Owned): Conflict[] {
  // The VIP's homes (lo, the tunnel devices) never answer ARP for it; every other device might.
  const homes = new Set(['lo', ...desired.placement.tunnels.map((t) => t.device)]);
  const ownedKeys = new Set(owned.address.map(addressKey));
  const conflicts: Conflict[] = [];
  (desired.parts.address as HostAddress[]).forEach((vip, index) => {
    const home = links.find((l) => l.name === vip.dev);
    for (const a of home?.addresses ?? []) {
      if (vip.family !== 6 || a.family !== 6 || a.address !== vip.address || a.prefixlen === vip.prefixlen) continue;
      if (ownedKeys.has(addressKey({ ...a, dev: vip.dev }))) continue;
      conflicts.push({ kind: 'prefix', vip: vip.address, index, dev: vip.dev, prefixlen: a.prefixlen });
    }
    for (const link of links) {
      if (homes.has(link.name) || link.linkType === 'loopback') continue;
      for (const a of link.addresses) {
        if (a.address !== vip.address || a.family !== vip.family) continue;
        // One rs-agent put there itself (a VIP moving) is deleted by the plan.
        if (ownedKeys.has(addressKey({ ...a, dev: link.name }))) continue;
        conflicts.push({ kind: 'nic', vip: vip.address, index, dev: link.name, prefixlen: a.prefixlen });
      }
    }
  });
  return conflicts;
}

export function describeConflict(c: Conflict): string {
  const held = `${c.vip}/${c.prefixlen}`;
  if (c.kind === 'prefix') {
    return (
      `VIP ${c.vip} is already on ${c.dev} as ${held}, not rs-agent's /128: the kernel keeps one ${c.vip} per device, ` +
      `and this one can be picked as a source address; remove it (ip address del ${held} dev ${c.dev}) and rs-agent adds the VIP`
    );
  }
  if (c.prefixlen === (c.vip.includes(':') ? 128 : 32)) {
    return `VIP ${c.vip} is also on ${c.dev} (${held}): ${c.dev} answers ARP for it and takes its traffic from the director; remove it from ${c.dev}`;
  }
  return `VIP ${c.vip} is ${c.dev}'s own address (${held}): a real server's own address cannot be a VIP; fix vips[${c.index}] in the config`;
}

// The one policy for start, check --fix and the daemon: a conflicted VIP is neither
// added nor routed (the address that is there is not rs-agent's to remove), and
// everything else is repaired; the caller reports the conflict.
export function withoutConflicts<C extends ChangeBase>(changes: C[], conflicts: readonly Conflict[]): C[] {
  if (conflicts.length === 0) return changes;
  const vips = new Set(conflicts.map((c) => c.vip));
  return changes.filter((c) => {
    const a = c as ChangeBase & { address?: string; dst?: string };
    if (c.kind === 'address') return !(c.action === 'add' && vips.has(a.address ?? ''));
    if (c.kind === 'route') return !(c.action === 'add' && vips.has(a.dst ?? ''));
    return true;
  });
}
