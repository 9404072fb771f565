import type { ActualLink } from '../observe/types.js';
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

// Adds missing VIPs (IPv4 ones on lo with the next free lo:N label, as ifconfig did);
// deletes owned addresses no longer desired.
export function addressPlan(desired: HostAddress[], links: readonly ActualLink[], owned: HostAddress[]): AddressChange[] {
  const { add, remove } = diffOwned(desired, presentAddresses(links), owned, addressKey);
  const labels = new LabelAllocator(links);
  const deletes = remove.map((a): AddressChange => ({
    kind: 'address', action: 'delete', target: addressKey(a), from: 'present', to: 'absent', ...a,
  }));
  const adds = add.map((a): AddressChange => {
    const label = a.dev === 'lo' && a.family === 4 ? labels.next() : undefined;
    return { kind: 'address', action: 'add', target: addressKey(a), from: 'absent', to: 'present', ...a, ...(label ? { label } : {}) };
  });
  return [...deletes, ...adds];
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
