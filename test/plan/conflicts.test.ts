import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ActualLink } from '../../src/observe/types.js';
import { describeConflict, findConflicts, withoutConflicts } from '../../src/plan/conflicts.js';
import { plan } from '../../src/plan/plan.js';
import { desiredState } from '../../src/plan/plan.js';
import { emptyOwned } from '../../src/objects/registry.js';
import { ownedFrom } from '../helpers/desired.js';

const link = (name: string, linkType: string, addresses: [string, number][]): ActualLink => ({
  name,
  up: true,
  linkType,
  addresses: addresses.map(([address, prefixlen]) => ({ address, prefixlen, family: 4 })),
});
const lo = link('lo', 'loopback', [['127.0.0.1', 8]]);
const desired = (links: ActualLink[]) =>
  desiredState(parseConfig('vips: [192.0.2.10, {address: 198.51.100.7, mode: tun}]\ninterfaces: [eth0]\n', 't'), links);

describe('findConflicts: a VIP the host holds on a NIC', () => {
  it('none on a clean host, nor for the VIP on its own home (lo, tunl0)', () => {
    const links = [
      link('lo', 'loopback', [
        ['127.0.0.1', 8],
        ['192.0.2.10', 32],
      ]),
      link('eth0', 'ether', [['198.51.100.2', 24]]),
      link('tunl0', 'ipip', [['198.51.100.7', 32]]),
    ];
    expect(findConflicts(desired(links), links, emptyOwned())).toEqual([]);
  });

  it('a VIP on a NIC is not a conflict: placement refuses it (plan/lifelines.test.ts)', () => {
    const links = [lo, link('eth0', 'ether', [['192.0.2.10', 32]]), link('bond0', 'ether', [['198.51.100.7', 24]])];
    expect(findConflicts(desired(links), links, emptyOwned())).toEqual([]);
  });

  it("an IPv6 VIP on lo at another prefix, not rs-agent's: a conflict naming lo, the address and prefix; IPv4 at another prefix is none", () => {
    const v6 = (links: ActualLink[]) => desiredState(parseConfig('vips: [2001:db8::10, 192.0.2.10]\n', 't'), links);
    const links: ActualLink[] = [
      {
        name: 'lo',
        up: true,
        linkType: 'loopback',
        addresses: [
          { address: '2001:db8::10', prefixlen: 64, family: 6 },
          { address: '192.0.2.10', prefixlen: 24, family: 4 },
        ],
      },
    ];
    const conflicts = findConflicts(v6(links), links, emptyOwned());
    expect(conflicts).toEqual([{ kind: 'prefix', vip: '2001:db8::10', index: 0, dev: 'lo', prefixlen: 64 }]);
    expect(describeConflict(conflicts[0]!)).toBe(
      "VIP 2001:db8::10 is already on lo as 2001:db8::10/64, not rs-agent's /128: the kernel keeps one 2001:db8::10 per device, " +
        'and this one can be picked as a source address; remove it (ip address del 2001:db8::10/64 dev lo) and rs-agent adds the VIP',
    );
    const owned = ownedFrom({
      addresses: [{ address: '2001:db8::10', prefixlen: 64, family: 6 as const, dev: 'lo' }],
    });
    expect(findConflicts(v6(links), links, owned)).toEqual([]);
  });

  it("withoutConflicts leaves out the conflicted VIP's address and route adds, nothing else", () => {
    const config = parseConfig('vips: [2001:db8::10, 2001:db8::11]\n', 't');
    const links: ActualLink[] = [
      { ...lo, addresses: [...lo.addresses, { address: '2001:db8::10', prefixlen: 64, family: 6 }] },
    ];
    const d = desiredState(config, links);
    const changes = plan(d, { links, routes: [], sysctls: {} }, emptyOwned());
    const kept = withoutConflicts(changes, findConflicts(d, links, emptyOwned()));
    expect(changes.filter((c) => !kept.includes(c)).map((c) => `${c.kind} ${c.target}`)).toEqual([
      'address 2001:db8::10/128 dev lo',
      'route 2001:db8::10/128 dev lo',
    ]);
  });
});
