import { addressKey } from '../model/host.js';
import type { ChangeBase } from '../model/change.js';
import type { HostAddress } from '../model/host.js';
import type { Owned } from '../objects/registry.js';
import type { ActualLink } from '../observe/types.js';
import type { DesiredState } from './plan.js';

// An IPv6 VIP already on its own device with another prefix, put there by someone else.
// The kernel holds an IPv6 address once per device whatever the prefix ("File exists"
// for rs-agent's /128), and that address is still preferred, so the host may use the VIP
// as a source address. (IPv4 keeps the same address at two prefixes side by side, so a
// /24 there does not stop rs-agent's /32.)
//
// A VIP that is on a NIC, at any prefix, is not a conflict but a refusal: placement
// leaves it out (model/lifelines.ts), so it is neither added nor guarded.
export interface Conflict {
  kind: 'prefix';
  vip: string;
  index: number; // position in the desired addresses, which follow the config's vips
  dev: string;
  prefixlen: number; // as held on dev
}

export function findConflicts(desired: DesiredState, links: readonly ActualLink[], owned: Owned): Conflict[] {
  const ownedKeys = new Set(owned.address.map(addressKey));
  const conflicts: Conflict[] = [];
  (desired.parts.address as HostAddress[]).forEach((vip, index) => {
    if (vip.family !== 6) return;
    const home = links.find((l) => l.name === vip.dev);
    for (const a of home?.addresses ?? []) {
      if (a.family !== 6 || a.address !== vip.address || a.prefixlen === vip.prefixlen) continue;
      if (ownedKeys.has(addressKey({ ...a, dev: vip.dev }))) continue;
      conflicts.push({ kind: 'prefix', vip: vip.address, index, dev: vip.dev, prefixlen: a.prefixlen });
    }
  });
  return conflicts;
}

export function describeConflict(c: Conflict): string {
  const held = `${c.vip}/${c.prefixlen}`;
  return (
    `VIP ${c.vip} is already on ${c.dev} as ${held}, not rs-agent's /128: the kernel keeps one ${c.vip} per device, ` +
    `and this one can be picked as a source address; remove it (ip address del ${held} dev ${c.dev}) and rs-agent adds the VIP`
  );
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
