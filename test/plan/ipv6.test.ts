import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ActualLink, ActualState } from '../../src/observe/types.js';
import { desiredState, NOTHING } from '../../src/plan/plan.js';
import { rankOf } from '../../src/plan/order.js';
import { plan } from '../../src/plan/plan.js';
import { emptyOwned } from '../../src/objects/registry.js';
import { ownedFrom, parts } from '../helpers/desired.js';
import { eth0, lo } from '../helpers/links.js';

const host = (...extra: ActualLink[]): ActualState => ({ links: [lo, eth0, ...extra], routes: [], sysctls: {} });
const names = (config: string, actual = host()) =>
  plan(desiredState(parseConfig(config, 't'), actual.links), actual, emptyOwned()).map(
    (c) => `${c.kind} ${c.action} ${c.target}`,
  );

describe('plan with IPv6 VIPs', () => {
  it('DR: a /128 on lo and its host route, no label, and no sysctl (IPv6 has no ARP)', () => {
    expect(names('vips: ["2001:db8::10"]\n')).toEqual([
      'address add 2001:db8::10/128 dev lo',
      'route add 2001:db8::10/128 dev lo',
    ]);
  });

  it('TUN: loads ip6_tunnel, brings ip6tnl0 up, puts the VIP on it; no rp_filter (none exists for IPv6)', () => {
    expect(names('mode: tun\nvips: ["2001:db8::10"]\n')).toEqual([
      'module load ip6_tunnel',
      'link up ip6tnl0',
      'address add 2001:db8::10/128 dev ip6tnl0',
      'route add 2001:db8::10/128 dev ip6tnl0',
    ]);
  });

  it('dual stack: IPv4 ARP protection comes first, each family gets its own tunnel, in one fixed order', () => {
    const config =
      'mode: tun\nvips: [198.51.100.7, "2001:db8::10", {address: 192.0.2.10, mode: dr}, {address: "2001:db8::11", mode: dr}]\ninterfaces: [eth0]\n';
    const actual = host();
    const changes = plan(desiredState(parseConfig(config, 't'), actual.links), actual, emptyOwned());
    const all = changes.map((c) => `${c.kind} ${c.action} ${c.target}`);
    expect(all.filter((n) => n.startsWith('module') || n.startsWith('link'))).toEqual([
      'module load ipip',
      'module load ip6_tunnel',
      'link up tunl0',
      'link up ip6tnl0',
    ]);
    expect(all.filter((n) => n.includes('rp_filter'))).toEqual([
      'sysctl set net.ipv4.conf.all.rp_filter',
      'sysctl set net.ipv4.conf.tunl0.rp_filter',
    ]);
    expect(all.filter((n) => n.startsWith('address'))).toEqual([
      'address add 198.51.100.7/32 dev tunl0',
      'address add 2001:db8::10/128 dev ip6tnl0',
      'address add 192.0.2.10/32 dev lo',
      'address add 2001:db8::11/128 dev lo',
    ]);
    const ranks = changes.map(rankOf);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });

  it('stop deletes owned IPv6 routes and addresses like IPv4 ones', () => {
    const vip = { address: '2001:db8::10', prefixlen: 128, family: 6 as const, dev: 'lo' };
    const actual: ActualState = {
      links: [{ ...lo, addresses: [...lo.addresses, { address: vip.address, prefixlen: 128, family: 6 }] }, eth0],
      routes: [{ dst: vip.address, prefixlen: 128, family: 6, dev: 'lo' }],
      sysctls: {},
    };
    const owned = ownedFrom({
      addresses: [vip],
      routes: [{ dst: vip.address, prefixlen: 128, family: 6 as const, dev: 'lo' }],
    });
    expect(plan(NOTHING, actual, owned).map((c) => `${c.kind} ${c.action} ${c.target}`)).toEqual([
      'route delete 2001:db8::10/128 dev lo',
      'address delete 2001:db8::10/128 dev lo',
    ]);
  });
});

describe('named tunnel devices', () => {
  const tun6: ActualLink = { name: 'tun6', up: false, linkType: 'tunnel6', addresses: [] };

  it('an existing ip6tnl device of that name is brought up and carries the VIPs; no module is loaded', () => {
    expect(names('mode: tun\nvips: ["2001:db8::10"]\ntunnel: {ipv6: tun6}\n', host(tun6))).toEqual([
      'link up tun6',
      'address add 2001:db8::10/128 dev tun6',
      'route add 2001:db8::10/128 dev tun6',
    ]);
  });

  it('a named IPv4 tunnel gets the ARP and rp_filter values tunl0 would', () => {
    const ipip1: ActualLink = { name: 'ipip1', up: true, linkType: 'ipip', addresses: [] };
    const all = names('mode: tun\nvips: [198.51.100.7]\ninterfaces: [eth0]\ntunnel: {ipv4: ipip1}\n', host(ipip1));
    expect(all).toContain('sysctl set net.ipv4.conf.ipip1.rp_filter');
    expect(all).toContain('sysctl set net.ipv4.conf.ipip1.arp_ignore');
    expect(all.some((n) => n.includes('tunl0') || n.startsWith('module'))).toBe(false);
  });

  it('a named device that does not exist is a problem saying how to create one; its VIPs are left out', () => {
    const d = desiredState(parseConfig('mode: tun\nvips: ["2001:db8::10"]\ntunnel: {ipv6: tun6}\n', 't'), host().links);
    expect(parts(d).addresses).toEqual([]);
    expect(parts(d).problems.map((p) => p.message)).toEqual([
      'config t: tunnel.ipv6: "tun6": no such device; rs-agent creates only the fallback ip6tnl0 (module ip6_tunnel): ' +
        'create it first, e.g. "ip link add tun6 type ip6tnl external"; not placed: 2001:db8::10 (everything else is in place)',
    ]);
  });

  it('refuses a device of the wrong kind', () => {
    const sit1: ActualLink = { name: 'sit1', up: true, linkType: 'sit', addresses: [] };
    const d = desiredState(
      parseConfig('mode: tun\nvips: ["2001:db8::10"]\ntunnel: {ipv6: sit1}\n', 't'),
      host(sit1).links,
    );
    expect(parts(d).addresses).toEqual([]);
    expect(parts(d).problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/tunnel\.ipv6: "sit1": is a device of type sit, not an ip6tnl tunnel/),
    ]);
  });

  it('does not look at tunnel devices of a family without TUN VIPs', () => {
    expect(names('mode: tun\nvips: [198.51.100.7]\ninterfaces: [eth0]\ntunnel: {ipv6: missing6}\n')[0]).toBe(
      'module load ipip',
    );
  });
});
