import { describe, expect, it } from 'vitest';
import { itemOf, selectChanges } from '../../src/daemon/hold-back.js';
import type { Change } from '../../src/plan/types.js';
import { address, ipipModule, route, sysctl } from '../helpers/changes.js';

const names = (changes: Change[]) => changes.map(itemOf);

describe('selectChanges', () => {
  it('applies everything when nothing is held', () => {
    const plan = [sysctl('all', 'arp_ignore'), address, route];
    expect(selectChanges(plan, () => false)).toEqual({ apply: plan, held: [] });
  });

  it('holds back only the held item when it protects nothing', () => {
    const plan = [sysctl('tunl0', 'rp_filter'), address, route];
    const { apply, held } = selectChanges(plan, (item) => item === 'sysctl net.ipv4.conf.tunl0.rp_filter');
    expect(names(held)).toEqual(['sysctl net.ipv4.conf.tunl0.rp_filter']);
    expect(names(apply)).toEqual(['address 192.0.2.10/32 dev lo', 'route 192.0.2.10/32 dev lo']);
  });

  it('never holds back protection: an ARP sysctl or the ARP guard the flap guard calls held is applied all the same', () => {
    const nft: Change = {
      kind: 'nft',
      action: 'load',
      target: 'table arp rs_agent',
      table: 'arp rs_agent',
      from: 'absent',
      to: '{ 192.0.2.10 }',
      elements: ['192.0.2.10'],
      ruleset: '',
    };
    const plan = [nft, sysctl('all', 'arp_ignore'), sysctl('eth0', 'arp_announce'), address, route];
    const { apply, held } = selectChanges(plan, () => true);
    expect(names(apply)).toEqual([
      'nft table arp rs_agent',
      'sysctl net.ipv4.conf.all.arp_ignore',
      'sysctl net.ipv4.conf.eth0.arp_announce',
    ]);
    expect(names(held)).toEqual(['address 192.0.2.10/32 dev lo', 'route 192.0.2.10/32 dev lo']);
  });

  it('a held module holds back the VIPs added after it', () => {
    const { apply, held } = selectChanges(
      [ipipModule, sysctl('all', 'arp_ignore'), address],
      (item) => item === 'module ipip',
    );
    expect(names(apply)).toEqual(['sysctl net.ipv4.conf.all.arp_ignore']);
    expect(names(held)).toEqual(['module ipip', 'address 192.0.2.10/32 dev lo']);
  });

  it('a held address keeps its own item only', () => {
    const { apply, held } = selectChanges([address, route], (item) => item === 'address 192.0.2.10/32 dev lo');
    expect(names(held)).toEqual(['address 192.0.2.10/32 dev lo']);
    expect(names(apply)).toEqual(['route 192.0.2.10/32 dev lo']);
  });

  it("an IPv6 flag update is the VIP's own item (one flap count per address)", () => {
    const update: Change = {
      kind: 'address',
      action: 'update',
      target: '2001:db8::10/128 dev lo',
      address: '2001:db8::10',
      prefixlen: 128,
      family: 6,
      dev: 'lo',
      from: 'preferred',
      to: 'deprecated',
    };
    expect(itemOf(update)).toBe(itemOf({ ...update, action: 'add', from: 'absent', to: 'present' }));
    const { apply, held } = selectChanges(
      [sysctl('all', 'arp_ignore'), update, address],
      (item) => item === 'sysctl net.ipv4.conf.all.arp_ignore',
    );
    expect(names(apply)).toEqual([
      'sysctl net.ipv4.conf.all.arp_ignore',
      'address 2001:db8::10/128 dev lo',
      'address 192.0.2.10/32 dev lo',
    ]);
    expect(held).toEqual([]);
  });
});
