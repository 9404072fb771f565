import { describe, expect, it } from 'vitest';
import { claim, forgetAbsent, release } from '../../src/apply/ownership.js';
import type { ActualState } from '../../src/observe/types.js';
import type { AddressChange, Change, RouteChange, SysctlChange } from '../../src/plan/types.js';
import { emptyOwned, type Owned } from '../../src/state/types.js';

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
      fou: [],
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

const ip = (n: number) => `198.18.${n >> 8}.${n & 255}`;
const address = (n: number, action: 'add' | 'delete' = 'add'): AddressChange => ({
  kind: 'address', action, target: `${ip(n)}/32 dev lo`, from: null, to: null, address: ip(n), prefixlen: 32, family: 4, dev: 'lo',
});
const route = (n: number, action: 'add' | 'delete' = 'add'): RouteChange => ({
  kind: 'route', action, target: `${ip(n)}/32 dev lo`, from: null, to: null, dst: ip(n), prefixlen: 32, family: 4, dev: 'lo',
});
const sysctl = (path: string, from: string | null, action: 'set' | 'restore' = 'set'): SysctlChange => ({
  kind: 'sysctl', action, target: path, path, from, to: '1',
});
const applied = (changes: Change[]) => changes.map((change) => ({ change, status: 'applied' }));

describe('claim / release', () => {
  it('records each added object and each sysctl original once, in plan order', () => {
    const owned = claim(emptyOwned(), [
      sysctl('net/ipv4/conf/all/arp_ignore', '0'), sysctl('net/ipv4/conf/all/arp_ignore', '1'), address(1), address(2), address(1), route(1),
      { kind: 'link', action: 'up', target: 'tunl0', dev: 'tunl0', from: 'down', to: 'up' },
      { kind: 'module', action: 'load', target: 'ipip', module: 'ipip', device: 'tunl0', from: 'absent', to: 'loaded' },
    ]);
    expect(owned).toEqual({
      sysctls: { 'net/ipv4/conf/all/arp_ignore': { original: '0' } },
      addresses: [address(1), address(2)].map(({ address: a, prefixlen, family, dev }) => ({ address: a, prefixlen, family, dev })),
      routes: [{ dst: '198.18.0.1', prefixlen: 32, family: 4, dev: 'lo' }],
      links: ['tunl0'],
      modules: ['ipip'],
      fou: [],
    });
  });

  it('never overwrites a recorded original, claims nothing for deletes, restores or unknown originals, and returns the same object then', () => {
    const owned = claim(emptyOwned(), [sysctl('net/ipv4/conf/lo/arp_ignore', '2'), address(1)]);
    const again = claim(owned, [sysctl('net/ipv4/conf/lo/arp_ignore', '1'), address(1), address(3, 'delete'), route(3, 'delete'),
      sysctl('net/ipv4/conf/tunl0/arp_ignore', null), sysctl('net/ipv4/conf/eth0/arp_ignore', '0', 'restore')]);
    expect(again).toBe(owned);
    expect(owned.sysctls['net/ipv4/conf/lo/arp_ignore']).toEqual({ original: '2' });
  });

  it('drops what was undone, gives back claims of changes that did not happen, keeps what was there before', () => {
    const before: Owned = claim(emptyOwned(), [address(1), route(1), sysctl('net/ipv4/conf/all/arp_ignore', '0')]);
    const changes = [address(2), route(2), address(1, 'delete'), route(1, 'delete')];
    const claimed = claim(before, changes);
    const after = release(claimed, [
      { change: address(2), status: 'applied' },
      { change: route(2), status: 'failed' }, // failed: its claim is given back
      { change: address(1, 'delete'), status: 'applied' },
      { change: route(1, 'delete'), status: 'failed' }, // still there: still owned
    ], before);
    expect(after.addresses.map((a) => a.address)).toEqual(['198.18.0.2']);
    expect(after.routes.map((r) => r.dst)).toEqual(['198.18.0.1']);
    expect(after.sysctls).toEqual(before.sysctls);
    const restored = release(after, applied([sysctl('net/ipv4/conf/all/arp_ignore', '1', 'restore')]), after);
    expect(restored.sysctls).toEqual({});
    expect(release(after, applied([address(7, 'add')]), after)).toBe(after);
  });

  it('records 10000 VIPs (20000 objects) and gives all of them back', () => {
    const adds = Array.from({ length: 10000 }, (_, i) => [address(i), route(i)]).flat();
    const owned = claim(emptyOwned(), adds);
    expect(owned.addresses).toHaveLength(10000);
    const deletes = adds.map((c) => ({ ...c, action: 'delete' as const }));
    expect(release(owned, applied(deletes), owned)).toEqual(emptyOwned());
  });
});

describe('ownership of GUE listeners', () => {
  const fou = (action: 'add' | 'delete', port: number) => ({ kind: 'fou' as const, action, target: `port ${port} gue`, from: null, to: null, port, family: 4 as const });

  it('an added listener is claimed, a deleted one released; forgetAbsent keeps them unless fou was read and they are gone', () => {
    const owned = claim(emptyOwned(), [fou('add', 6080), fou('add', 6081)]);
    expect(owned.fou).toEqual([{ port: 6080, family: 4 }, { port: 6081, family: 4 }]);
    expect(release(owned, [{ change: fou('delete', 6080), status: 'applied' }], owned).fou).toEqual([{ port: 6081, family: 4 }]);
    const host = { links: [], routes: [], sysctls: {} };
    expect(forgetAbsent(owned, host).fou).toEqual(owned.fou);
    expect(forgetAbsent(owned, { ...host, fou: null }).fou).toEqual([]);
    // One of another kind on the port is not the one rs-agent added.
    expect(forgetAbsent(owned, { ...host, fou: [{ port: 6080, family: 4, kind: 'gue' }, { port: 6081, family: 4, kind: 'ipproto 4' }] }).fou)
      .toEqual([{ port: 6080, family: 4 }]);
  });
});
