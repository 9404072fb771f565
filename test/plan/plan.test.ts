import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ActualLink, ActualState } from '../../src/observe/types.js';
import { desiredState, NOTHING } from '../../src/plan/plan.js';
import { plan, planFull } from '../../src/plan/plan.js';
import { emptyOwned } from '../../src/objects/registry.js';
import { ownedFrom, parts } from '../helpers/desired.js';

const lo = (extra: ActualLink['addresses'] = []): ActualLink => ({
  name: 'lo',
  up: true,
  linkType: 'loopback',
  addresses: [{ address: '127.0.0.1', prefixlen: 8, family: 4, label: 'lo' }, ...extra],
});
const eth0: ActualLink = {
  name: 'eth0',
  up: true,
  linkType: 'ether',
  addresses: [{ address: '198.51.100.2', prefixlen: 24, family: 4 }],
};

function host(links: ActualLink[], sysctls: Record<string, string | null> = {}): ActualState {
  return { links, routes: [], sysctls };
}

const describeChange = (c: { kind: string; action: string; target: string }) => `${c.kind} ${c.action} ${c.target}`;

describe('plan', () => {
  it('sets every ARP sysctl before adding any address, and adds routes after addresses (DR)', () => {
    const config = parseConfig('vips: [192.0.2.10, 192.0.2.11]\n', 't');
    const actual = host([lo(), eth0]);
    const changes = plan(desiredState(config, actual.links), actual, emptyOwned());
    expect(changes.map(describeChange)).toEqual([
      'sysctl set net.ipv4.conf.all.arp_ignore',
      'sysctl set net.ipv4.conf.all.arp_announce',
      'sysctl set net.ipv4.conf.default.arp_ignore',
      'sysctl set net.ipv4.conf.default.arp_announce',
      'sysctl set net.ipv4.conf.lo.arp_ignore',
      'sysctl set net.ipv4.conf.lo.arp_announce',
      'sysctl set net.ipv4.conf.eth0.arp_ignore',
      'sysctl set net.ipv4.conf.eth0.arp_announce',
      'address add 192.0.2.10/32 dev lo',
      'address add 192.0.2.11/32 dev lo',
      'route add 192.0.2.10/32 dev lo',
      'route add 192.0.2.11/32 dev lo',
    ]);
    // Each kind of step in one block, in the documented order (protection, then exposure).
    const blocks = changes.map((c) => `${c.kind} ${c.action}`).filter((k, i, all) => all[i - 1] !== k);
    expect(blocks).toEqual(['sysctl set', 'address add', 'route add']);
  });

  it('loads ipip, then sysctls (rp_filter 0 on all and tunl0), then brings tunl0 up, then the VIP (TUN)', () => {
    const config = parseConfig('mode: tun\nvips: [198.51.100.7]\ninterfaces: [eth0]\n', 't');
    const actual = host([lo(), eth0], { 'net/ipv4/conf/all/rp_filter': '1' });
    const changes = plan(desiredState(config, actual.links), actual, emptyOwned());
    const names = changes.map(describeChange);
    expect(names[0]).toBe('module load ipip');
    expect(names).toContain('sysctl set net.ipv4.conf.all.rp_filter');
    expect(names).toContain('sysctl set net.ipv4.conf.tunl0.rp_filter');
    expect(names.slice(-3)).toEqual([
      'link up tunl0',
      'address add 198.51.100.7/32 dev tunl0',
      'route add 198.51.100.7/32 dev tunl0',
    ]);
    const tunl0 = changes.find((c) => c.target === 'net.ipv4.conf.tunl0.arp_ignore');
    expect(tunl0?.from).toBeNull();
  });

  it('labels new lo addresses with the first free lo:N and leaves other addresses on lo alone', () => {
    const config = parseConfig('vips: [192.0.2.10, 192.0.2.11]\n', 't');
    const foreign = { address: '203.0.113.5', prefixlen: 32, family: 4 as const, label: 'lo:0' };
    const actual = host([lo([foreign]), eth0]);
    const adds = plan(desiredState(config, actual.links), actual, emptyOwned()).filter((c) => c.kind === 'address');
    expect(adds.map((c) => [c.action, c.target, 'label' in c ? c.label : undefined])).toEqual([
      ['add', '192.0.2.10/32 dev lo', 'lo:1'],
      ['add', '192.0.2.11/32 dev lo', 'lo:2'],
    ]);
  });

  it('stop (nothing desired) deletes only owned objects: routes, then addresses, then restores sysctls', () => {
    const vip = { address: '192.0.2.10', prefixlen: 32, family: 4 as const, dev: 'lo' };
    const foreign = { address: '203.0.113.5', prefixlen: 32, family: 4 as const };
    const actual: ActualState = {
      links: [lo([{ ...vip, label: 'lo:0' }, foreign]), eth0],
      routes: [
        { dst: '192.0.2.10', prefixlen: 32, family: 4, dev: 'lo' },
        { dst: '203.0.113.5', prefixlen: 32, family: 4, dev: 'lo' },
      ],
      sysctls: { 'net/ipv4/conf/all/arp_ignore': '1', 'net/ipv4/conf/eth0/arp_ignore': '1' },
    };
    const owned = ownedFrom({
      addresses: [vip],
      routes: [{ dst: vip.address, prefixlen: 32, family: 4 as const, dev: 'lo' }],
      sysctls: {
        'net/ipv4/conf/all/arp_ignore': { original: '0' },
        'net/ipv4/conf/eth0/arp_ignore': { original: '1' },
      },
    });
    // The foreign /32 on lo still needs ARP protection: nothing weaker is restored.
    const full = planFull(NOTHING, actual, owned);
    expect(full.changes.map(describeChange)).toEqual([
      'route delete 192.0.2.10/32 dev lo',
      'address delete 192.0.2.10/32 dev lo',
    ]);
    expect(full.kept).toEqual([
      { item: 'sysctl net.ipv4.conf.all.arp_ignore', now: '1', original: '0', neededBy: ['203.0.113.5/32 on lo'] },
    ]);
    // With the foreign address on a NIC instead, nothing on lo needs protection.
    const moved: ActualState = {
      ...actual,
      links: [lo([{ ...vip, label: 'lo:0' }]), { ...eth0, addresses: [foreign] }],
    };
    expect(plan(NOTHING, moved, owned).map(describeChange)).toEqual([
      'route delete 192.0.2.10/32 dev lo',
      'address delete 192.0.2.10/32 dev lo',
      'sysctl restore net.ipv4.conf.all.arp_ignore',
    ]);
  });

  it('moving a VIP from DR to TUN deletes the old route and address before adding the new ones', () => {
    const owned = ownedFrom({
      addresses: [{ address: '192.0.2.10', prefixlen: 32, family: 4 as const, dev: 'lo' }],
      routes: [{ dst: '192.0.2.10', prefixlen: 32, family: 4 as const, dev: 'lo' }],
    });
    const tunl0: ActualLink = { name: 'tunl0', up: true, linkType: 'ipip', addresses: [] };
    const actual: ActualState = {
      links: [lo([{ address: '192.0.2.10', prefixlen: 32, family: 4, label: 'lo:0' }]), eth0, tunl0],
      routes: [{ dst: '192.0.2.10', prefixlen: 32, family: 4, dev: 'lo' }],
      sysctls: {},
    };
    const config = parseConfig('mode: tun\nvips: [192.0.2.10]\n', 't');
    const vipChanges = plan(desiredState(config, actual.links), actual, owned).filter(
      (c) => c.kind === 'address' || c.kind === 'route',
    );
    expect(vipChanges.map(describeChange)).toEqual([
      'route delete 192.0.2.10/32 dev lo',
      'address delete 192.0.2.10/32 dev lo',
      'address add 192.0.2.10/32 dev tunl0',
      'route add 192.0.2.10/32 dev tunl0',
    ]);
  });

  it('takes every ethernet NIC when interfaces is omitted; a configured NIC that is missing is a problem, not a halt', () => {
    const eth1: ActualLink = { name: 'eth1', up: true, linkType: 'ether', addresses: [] };
    const all = desiredState(parseConfig('vips: [192.0.2.10]\n', 't'), [lo(), eth0, eth1]);
    expect(parts(all).sysctls.map((s) => s.path)).toContain('net/ipv4/conf/eth1/arp_ignore');
    expect(parts(all).problems).toEqual([]);
    const some = desiredState(parseConfig('vips: [192.0.2.10]\ninterfaces: [bond0, eth0]\n', 't'), [lo(), eth0]);
    expect(parts(some).problems).toEqual([
      {
        item: 'interface bond0',
        message: expect.stringMatching(/interfaces\[0\]: "bond0": no such network interface/),
      },
    ]);
    // Everything else is still wanted: the VIP, and eth0's, lo's, all's and default's sysctls.
    expect(parts(some).addresses.map((a) => a.address)).toEqual(['192.0.2.10']);
    expect(parts(some).sysctls.map((s) => s.path)).toContain('net/ipv4/conf/eth0/arp_ignore');
    expect(
      parts(some)
        .sysctls.map((s) => s.path)
        .filter((p) => p.includes('bond0')),
    ).toEqual([]);
  });

  it('resolves a configured altname to its device (sysctls use the device name)', () => {
    const uplink: ActualLink = { name: 'eth7', up: true, linkType: 'ether', altnames: ['uplink0'], addresses: [] };
    const d = desiredState(parseConfig('vips: [192.0.2.10]\ninterfaces: [uplink0]\n', 't'), [lo(), uplink]);
    expect(parts(d).problems).toEqual([]);
    expect(parts(d).sysctls.map((s) => s.path)).toContain('net/ipv4/conf/eth7/arp_ignore');
  });

  it('a named tunnel device that is missing leaves out its TUN VIPs alone, and says which', () => {
    const config = parseConfig('vips: [192.0.2.10, {address: 198.51.100.7, mode: tun}]\ntunnel: {ipv4: tun9}\n', 't');
    const d = desiredState(config, [lo(), eth0]);
    expect(parts(d).addresses.map((a) => `${a.address} ${a.dev}`)).toEqual(['192.0.2.10 lo']);
    expect(parts(d).links).toEqual([]);
    expect(parts(d).problems).toEqual([
      {
        item: 'link tun9',
        message: expect.stringMatching(/tunnel\.ipv4: "tun9": no such device.*not placed: 198\.51\.100\.7/),
      },
    ]);
  });
});
