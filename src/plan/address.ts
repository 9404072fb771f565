import type { ActualAddress, ActualLink } from '../observe/types.js';
import { diffOwned } from './set-diff.js';
import type { AddressChange, HostAddress } from './types.js';

export function addressKey(a: HostAddress): string {
  return `${a.address}/${a.prefixlen} dev ${a.dev}`;
}

export function presentAddresses(links: readonly ActualLink[]): HostAddress[] {
  return links.flatMap((link) =>
    link.addresses.map((a) => ({ address: a.address, prefixlen: a.prefixlen, family: a.family, dev: link.name })),
  );
}

// Addresses that look like VIPs rs-agent could have added (on lo: IPv4 outside 127/8,
// IPv6 other than ::1; on a tunnel device: any but IPv6 link-local) and that it has no
// record of. Stop names them when its record is gone, and never deletes them: without
// the record nothing proves they are rs-agent's and not another tool's.
export function unrecordedVips(links: readonly ActualLink[], owned: readonly HostAddress[]): HostAddress[] {
  const recorded = new Set(owned.map(addressKey));
  return links.flatMap((link) => {
    const tunnel = ['ipip', 'tunnel6'].includes(link.linkType);
    if (link.name !== 'lo' && !tunnel) return [];
    return link.addresses
      .filter((a) =>
        a.family === 4
          ? tunnel || !a.address.startsWith('127.')
          : a.address !== '::1' && !/^fe[89ab][0-9a-f]:/i.test(a.address),
      )
      .map((a) => ({ address: a.address, prefixlen: a.prefixlen, family: a.family, dev: link.name }))
      .filter((a) => !recorded.has(addressKey(a)));
  });
}

// Adds missing VIPs (IPv4 ones on lo with the next free lo:N label, as ifconfig did);
// deletes owned addresses no longer desired; makes a present IPv6 VIP that lost its
// flags (re-added by someone else) deprecated and noprefixroute again, in place.
export function addressPlan(
  desired: HostAddress[],
  links: readonly ActualLink[],
  owned: HostAddress[],
): AddressChange[] {
  const { add, remove } = diffOwned(desired, presentAddresses(links), owned, addressKey);
  const updates = flagUpdates(desired, links);
  const labels = new LabelAllocator(links);
  const deletes = remove.map((a): AddressChange => ({
    kind: 'address',
    action: 'delete',
    target: addressKey(a),
    from: 'present',
    to: 'absent',
    ...a,
  }));
  const adds = add.map((a): AddressChange => {
    const label = a.dev === 'lo' && a.family === 4 ? labels.next() : undefined;
    return {
      kind: 'address',
      action: 'add',
      target: addressKey(a),
      from: 'absent',
      to: 'present',
      ...a,
      ...(label ? { label } : {}),
    };
  });
  return [...deletes, ...updates, ...adds];
}

// A present IPv6 VIP must be deprecated (else the host may pick it as the source
// address of connections it opens) and have no kernel prefix route beside rs-agent's.
// Both can be set on the existing address, so the VIP never goes away. The update
// claims nothing: whoever added the address still owns it.
function flagUpdates(desired: readonly HostAddress[], links: readonly ActualLink[]): AddressChange[] {
  const v6 = desired.filter((a) => a.family === 6);
  if (v6.length === 0) return [];
  // Keyed from a fresh literal: spreading each ActualAddress made 10000-VIP plans 2x slower.
  const present = new Map<string, ActualAddress>();
  for (const link of links) {
    for (const a of link.addresses) {
      if (a.family === 6)
        present.set(addressKey({ address: a.address, prefixlen: a.prefixlen, family: 6, dev: link.name }), a);
    }
  }
  return v6.flatMap((a): AddressChange[] => {
    const actual = present.get(addressKey(a));
    if (!actual) return [];
    const from: string[] = [];
    const to: string[] = [];
    if (actual.deprecated !== true) {
      from.push('preferred');
      to.push('deprecated');
    }
    if (actual.noprefixroute !== true) {
      from.push('prefixroute');
      to.push('noprefixroute');
    }
    if (from.length === 0) return [];
    return [{ kind: 'address', action: 'update', target: addressKey(a), from: from.join(' '), to: to.join(' '), ...a }];
  });
}

// Hands out lo:0, lo:1, ... skipping labels already on lo.
class LabelAllocator {
  private readonly used: Set<string>;
  private n = 0;

  constructor(links: readonly ActualLink[]) {
    const lo = links.find((l) => l.name === 'lo');
    this.used = new Set((lo?.addresses ?? []).map((a) => a.label ?? ''));
  }

  next(): string {
    while (this.used.has(`lo:${this.n}`)) this.n++;
    const label = `lo:${this.n}`;
    this.used.add(label);
    return label;
  }
}
