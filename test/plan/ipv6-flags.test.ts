import { describe, expect, it } from 'vitest';
import { ipBatchLine } from '../../src/apply/ip-batch.js';
import { parseConfig } from '../../src/config/load.js';
import type { ActualAddress, ActualState } from '../../src/observe/types.js';
import { desiredState } from '../../src/plan/plan.js';
import { rankOf } from '../../src/plan/order.js';
import { plan } from '../../src/plan/plan.js';
import type { AddressChange } from '../../src/objects/address.js';
import { formatChange, formatDrift } from '../../src/render/change.js';
import { emptyOwned, ownedAfter, type Owned } from '../../src/objects/registry.js';
import { ownedFrom } from '../helpers/desired.js';

// A present IPv6 VIP that lost deprecated (preferred_lft 0) or noprefixroute is drift,
// repaired in place without taking the VIP away.

const vip = (flags: Partial<ActualAddress>): ActualAddress => ({
  address: '2001:db8::10',
  prefixlen: 128,
  family: 6,
  ...flags,
});

function hostWith(...addresses: ActualAddress[]): ActualState {
  return {
    links: [
      {
        name: 'lo',
        up: true,
        linkType: 'loopback',
        addresses: [{ address: '127.0.0.1', prefixlen: 8, family: 4, label: 'lo' }, ...addresses],
      },
      { name: 'eth0', up: true, linkType: 'ether', addresses: [] },
    ],
    routes: [{ dst: '2001:db8::10', prefixlen: 128, family: 6, dev: 'lo' }],
    sysctls: {},
  };
}

function planFor(config: string, actual: ActualState, owned: Owned = emptyOwned()) {
  return plan(desiredState(parseConfig(config, 't'), actual.links), actual, owned);
}

describe('plan: IPv6 VIP address flags', () => {
  it('a VIP present but preferred is one in-place update, nothing removed or re-added', () => {
    const changes = planFor('vips: ["2001:db8::10"]\n', hostWith(vip({ deprecated: false, noprefixroute: true })));
    expect(changes).toEqual([
      {
        kind: 'address',
        action: 'update',
        target: '2001:db8::10/128 dev lo',
        from: 'preferred',
        to: 'deprecated',
        address: '2001:db8::10',
        prefixlen: 128,
        family: 6,
        dev: 'lo',
        // It neither needs nor provides anything: the VIP is already there.
        safety: { provides: [], needs: [] },
      },
    ]);
    const [update] = changes as [AddressChange];
    expect(formatChange(update)).toBe('~ address 2001:db8::10/128 dev lo: preferred → deprecated');
    expect(formatDrift(update)).toBe('address 2001:db8::10/128 dev lo: preferred → deprecated');
    expect(ipBatchLine(update)).toBe('address change 2001:db8::10/128 dev lo nodad preferred_lft 0 noprefixroute');
    expect(rankOf(update)).toBe(rankOf({ ...update, action: 'add' }));
  });

  it('a VIP missing both flags names both', () => {
    const changes = planFor('vips: ["2001:db8::10"]\n', hostWith(vip({ deprecated: false, noprefixroute: false })));
    expect(changes.map(formatChange)).toEqual([
      '~ address 2001:db8::10/128 dev lo: preferred prefixroute → deprecated noprefixroute',
    ]);
  });

  it('an address whose flags were never read counts as preferred: unknown is not in sync', () => {
    expect(
      planFor('vips: ["2001:db8::10"]\n', hostWith(vip({}))).map((c) => `${c.action} ${c.from} → ${c.to}`),
    ).toEqual(['update preferred prefixroute → deprecated noprefixroute']);
  });

  it("a VIP with both flags is in sync; so is someone else's preferred v6 address that is not a VIP", () => {
    const other: ActualAddress = {
      address: '2001:db8::99',
      prefixlen: 128,
      family: 6,
      deprecated: false,
      noprefixroute: false,
    };
    expect(
      planFor('vips: ["2001:db8::10"]\n', hostWith(vip({ deprecated: true, noprefixroute: true }), other)),
    ).toEqual([]);
  });

  it('a TUN VIP on ip6tnl0 is updated on its own device; an IPv4 VIP has no such flags', () => {
    const actual = hostWith();
    actual.links.push({
      name: 'ip6tnl0',
      up: true,
      linkType: 'tunnel6',
      addresses: [vip({ deprecated: false, noprefixroute: true })],
    });
    actual.routes = [{ dst: '2001:db8::10', prefixlen: 128, family: 6, dev: 'ip6tnl0' }];
    actual.links[0]?.addresses.push({ address: '192.0.2.10', prefixlen: 32, family: 4, label: 'lo:0' });
    actual.routes.push({ dst: '192.0.2.10', prefixlen: 32, family: 4, dev: 'lo' });
    const changes = planFor('vips: [192.0.2.10, {address: "2001:db8::10", mode: tun}]\ninterfaces: [eth0]\n', actual);
    expect(changes.filter((c) => c.kind !== 'sysctl').map(formatChange)).toEqual([
      '~ address 2001:db8::10/128 dev ip6tnl0: preferred → deprecated',
    ]);
  });

  it("an update claims nothing and, applied, gives nothing back: stop leaves someone else's VIP", () => {
    const actual = hostWith(vip({ deprecated: false, noprefixroute: true }));
    const [update] = planFor('vips: ["2001:db8::10"]\n', actual);
    const changes = [update as AddressChange];
    expect(ownedAfter(emptyOwned(), changes, null, { actual })).toEqual(emptyOwned());
    expect(
      ownedAfter(emptyOwned(), changes, [{ change: changes[0] as AddressChange, status: 'applied' }], { actual }),
    ).toEqual(emptyOwned());
    const owned = ownedFrom({
      addresses: [{ address: '2001:db8::10', prefixlen: 128, family: 6 as const, dev: 'lo' }],
    });
    for (const status of ['applied', 'failed'] as const) {
      expect(ownedAfter(owned, changes, [{ change: changes[0] as AddressChange, status }], { actual })).toEqual(owned);
    }
  });
});
