import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { StoreEndpoint } from '../../src/model/lifelines.js';
import { emptyOwned } from '../../src/objects/registry.js';
import type { ActualLink, ActualState } from '../../src/observe/types.js';
import { desiredState, planFull } from '../../src/plan/plan.js';
import { ownedFrom } from '../helpers/desired.js';

// The one rule (model/lifelines.ts): no VIP may be one of the host's own NIC addresses,
// its default gateway or its store's address, whatever names it; none of them ever
// enters the ARP guard's set, the plan or lo.

const link = (name: string, linkType: string, addresses: [string, number][]): ActualLink => ({
  name,
  up: true,
  linkType,
  addresses: addresses.map(([address, prefixlen]) => ({ address, prefixlen, family: 4 as const })),
});
const lo = (extra: [string, number][] = []) => link('lo', 'loopback', [['127.0.0.1', 8], ...extra]);
const eth0 = link('eth0', 'ether', [['198.51.100.2', 24]]);
const ARP_PATHS = ['all', 'default', 'lo', 'eth0'].flatMap((d) => [
  `net/ipv4/conf/${d}/arp_ignore`,
  `net/ipv4/conf/${d}/arp_announce`,
]);
const sysctls = Object.fromEntries(ARP_PATHS.map((p) => [p, p.endsWith('ignore') ? '1' : '2']));
const actual = (links: ActualLink[]): ActualState => ({
  links,
  routes: [],
  sysctls,
  nft: { 'arp rs_agent': { available: true, table: null } },
});
const store: StoreEndpoint[] = [
  {
    key: 'source.etcd.endpoints[0]',
    url: 'https://etcd-1.example:2379',
    name: 'etcd-1.example',
    addresses: ['203.0.113.5'],
  },
];

// What a pass would add and guard, and the lines it reports.
function pass(yaml: string, links: ActualLink[], reliances = {}, owned = emptyOwned()) {
  const desired = desiredState(parseConfig(yaml, 'rs-agent.yaml'), links, reliances);
  const full = planFull(desired, actual(links), owned);
  const guard = full.changes.find((c) => c.kind === 'nft') as { holds?: string[] } | undefined;
  return {
    changes: full.changes
      .filter((c) => c.kind === 'address' || c.kind === 'route')
      .map((c) => `${c.action} ${c.target}`),
    guarded: guard?.holds ?? [],
    problems: full.problems.map((p) => p.message),
  };
}

describe('a VIP that is one of the host lifelines', () => {
  it("eth0's own address: refused with eth0 and the address named, never added nor in the ARP guard's set", () => {
    const r = pass('vips: [198.51.100.2, 192.0.2.10]\n', [lo(), eth0]);
    expect(r.changes).toEqual(['add 192.0.2.10/32 dev lo', 'add 192.0.2.10/32 dev lo']);
    expect(r.guarded).toEqual(['192.0.2.10']);
    expect(r.problems).toEqual([
      "VIP 198.51.100.2 is eth0's own address (198.51.100.2/24): refused, it would take the host off its network",
    ]);
  });

  it('a /32 on a NIC (a cloud host own address, or a stray VIP): refused, not guarded, with how to move it', () => {
    const r = pass('vips: [192.0.2.10]\n', [lo(), link('eth0', 'ether', [['192.0.2.10', 32]])]);
    expect(r.changes).toEqual([]);
    expect(r.guarded).toEqual([]);
    expect(r.problems[0]).toMatch(
      /^VIP 192\.0\.2\.10 is on eth0 \(192\.0\.2\.10\/32\): refused, .*ip address del 192\.0\.2\.10\/32 dev eth0/,
    );
  });

  it("the default route's gateway: refused, never on lo", () => {
    const r = pass('vips: [198.51.100.1, 192.0.2.10]\n', [lo(), eth0], { gateways: ['198.51.100.1'] });
    expect(r.changes).not.toContain('add 198.51.100.1/32 dev lo');
    expect(r.guarded).toEqual(['192.0.2.10']);
    expect(r.problems).toEqual([
      "VIP 198.51.100.1 is the default route's gateway: refused, the host would take its gateway's address for its own and never reach its gateway again",
    ]);
  });

  it('an address of the store (a name resolved): refused naming the endpoint key, URL and name', () => {
    const r = pass('vips: [203.0.113.5, 192.0.2.10]\n', [lo(), eth0], { store });
    expect(r.changes).not.toContain('add 203.0.113.5/32 dev lo');
    expect(r.guarded).toEqual(['192.0.2.10']);
    expect(r.problems).toEqual([
      'VIP 203.0.113.5 is an address of the store, source.etcd.endpoints[0]: https://etcd-1.example:2379 (etcd-1.example resolves to it): ' +
        'refused, the host would answer for its store itself and be cut off from it',
    ]);
  });

  it('one rs-agent put on lo before (an older version, or before the name resolved to it) is removed, and no longer guarded', () => {
    const owned = ownedFrom({ addresses: [{ address: '203.0.113.5', prefixlen: 32, family: 4, dev: 'lo' }] });
    const r = pass('vips: [203.0.113.5, 192.0.2.10]\n', [lo([['203.0.113.5', 32]]), eth0], { store }, owned);
    expect(r.changes).toContain('delete 203.0.113.5/32 dev lo');
    expect(r.guarded).toEqual(['192.0.2.10']);
  });

  it("the host's own address also held on lo by someone else: left alone, but never in the guard's set", () => {
    const r = pass('vips: [192.0.2.10]\n', [lo([['198.51.100.2', 32]]), eth0]);
    expect(r.changes).toEqual(['add 192.0.2.10/32 dev lo', 'add 192.0.2.10/32 dev lo']);
    expect(r.guarded).toEqual(['192.0.2.10']);
  });

  it('a store name that does not resolve is reported naming the key: nothing can be refused for it yet', () => {
    const r = pass('vips: [192.0.2.10]\n', [lo(), eth0], {
      store: [{ ...store[0]!, addresses: [], error: 'ENOTFOUND' }],
    });
    expect(r.changes).toEqual(['add 192.0.2.10/32 dev lo', 'add 192.0.2.10/32 dev lo']);
    expect(r.problems).toEqual([
      'source.etcd.endpoints[0]: https://etcd-1.example:2379: etcd-1.example does not resolve (ENOTFOUND): ' +
        'a VIP that is its address cannot be refused until it does',
    ]);
  });
});
