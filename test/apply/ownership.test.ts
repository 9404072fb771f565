import { describe, expect, it } from 'vitest';
import { claim, forgetAbsent, release } from '../../src/apply/ownership.js';
import type { ActualState } from '../../src/observe/types.js';
import type { AddressChange } from '../../src/plan/types.js';
import { emptyOwned } from '../../src/state/types.js';

const host = (address: string): AddressChange => ({
  kind: 'address', action: 'add', target: address, from: 'absent', to: 'present', address, prefixlen: 32, family: 4, dev: 'lo',
});

describe('ownership', () => {
  it('forgetAbsent drops claims the host does not bear out (a pass killed before it acted)', () => {
    const owned = {
      ...emptyOwned(),
      sysctls: {
        'net/ipv4/conf/all/arp_ignore': { original: '0' }, // still changed: kept
        'net/ipv4/conf/eth0/arp_ignore': { original: '0' }, // back at the original: forgotten
        'net/ipv4/conf/eth9/arp_ignore': { original: '0' }, // device gone: forgotten
      },
      addresses: [{ address: '192.0.2.10', prefixlen: 32, family: 4 as const, dev: 'lo' }, { address: '192.0.2.11', prefixlen: 32, family: 4 as const, dev: 'lo' }],
      routes: [{ dst: '192.0.2.11', prefixlen: 32, family: 4 as const, dev: 'lo' }],
      links: ['tunl0'],
      modules: ['ipip'],
    };
    const actual: ActualState = {
      links: [{ name: 'lo', up: true, linkType: 'loopback', addresses: [{ address: '192.0.2.10', prefixlen: 32, family: 4 }] }, { name: 'tunl0', up: false, linkType: 'ipip', addresses: [] }],
      routes: [],
      sysctls: { 'net/ipv4/conf/all/arp_ignore': '1', 'net/ipv4/conf/eth0/arp_ignore': '0', 'net/ipv4/conf/eth9/arp_ignore': null },
    };
    expect(forgetAbsent(owned, actual)).toEqual({
      sysctls: { 'net/ipv4/conf/all/arp_ignore': { original: '0' } },
      addresses: [{ address: '192.0.2.10', prefixlen: 32, family: 4, dev: 'lo' }],
      routes: [],
      links: [],
      modules: ['ipip'],
    });
  });

  it('claim records each new object once; release gives back the claims of changes that did not happen', () => {
    const before = { ...emptyOwned(), addresses: [{ address: '10.0.0.0', prefixlen: 32, family: 4 as const, dev: 'lo' }] };
    const changes = Array.from({ length: 2000 }, (_, i) => host(`10.0.${i >> 8}.${i & 255}`));
    const owned = claim(before, [...changes, ...changes]);
    expect(owned.addresses).toHaveLength(2000);
    expect(before.addresses).toHaveLength(1);
    // Odd ones applied, even ones failed: the failed ones are given back, except the one owned before.
    const after = release(owned, changes.map((change, i) => ({ change, status: i % 2 ? 'applied' : 'failed' })), before);
    expect(after.addresses.map((a) => a.address)).toEqual(['10.0.0.0', ...changes.filter((_, i) => i % 2).map((c) => c.address)]);
  });
});
