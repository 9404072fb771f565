import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ActualFou, ActualLink, ActualState } from '../../src/observe/types.js';
import { desiredState, NOTHING } from '../../src/plan/plan.js';
import { fouKind, fouProblems, type DesiredFou } from '../../src/objects/fou.js';
import type { FouListener } from '../../src/model/host.js';
import { NOWHERE } from '../../src/plan/placement.js';
import { plan } from '../../src/plan/plan.js';
import { encapOverhead } from '../../src/objects/nft/mss-value.js';
import { emptyOwned, type Owned } from '../../src/objects/registry.js';
import { ownedFrom, parts } from '../helpers/desired.js';
import { lo } from '../helpers/links.js';

const eth0: ActualLink = {
  name: 'eth0',
  up: true,
  linkType: 'ether',
  addresses: [{ address: '198.51.100.2', prefixlen: 24, family: 4 }],
};
const link = (name: string, linkType: string, up = false): ActualLink => ({ name, up, linkType, addresses: [] });

function host(links: ActualLink[], fou?: ActualFou[] | null): ActualState {
  return { links, routes: [], sysctls: {}, ...(fou !== undefined ? { fou } : {}) };
}

const describeChange = (c: { kind: string; action: string; target: string }) => `${c.kind} ${c.action} ${c.target}`;
const config = (vips: string) => parseConfig(`mode: tun\ninterfaces: [eth0]\nvips:\n${vips}`, 'x.yaml');

describe('desired state per encapsulation', () => {
  it('GUE over IPv4 and IPv6: fou and the IP tunnel modules, one listener per port and family, the VIPs on tunl0/ip6tnl0', () => {
    const desired = desiredState(
      config(
        [
          '  - {address: 198.51.100.7, encap: gue, port: 6080}',
          '  - {address: 198.51.100.8, encap: gue, port: 6080}',
          '  - {address: "2001:db8::7", encap: gue, port: 6080}',
        ].join('\n'),
      ),
      [lo, eth0],
    );
    expect(parts(desired).modules).toEqual([
      { name: 'ipip', device: 'tunl0' },
      { name: 'ip6_tunnel', device: 'ip6tnl0' },
      { name: 'fou', device: null },
    ]);
    expect(parts(desired).fou).toEqual([
      { port: 6080, family: 4, vips: ['198.51.100.7', '198.51.100.8'] },
      { port: 6080, family: 6, vips: ['2001:db8::7'] },
    ]);
    expect(parts(desired).links).toEqual(['tunl0', 'ip6tnl0']);
    expect(parts(desired).addresses.map((a) => `${a.address} ${a.dev}`)).toEqual([
      '198.51.100.7 tunl0',
      '198.51.100.8 tunl0',
      '2001:db8::7 ip6tnl0',
    ]);
    expect(parts(desired).sysctls).toContainEqual({ path: 'net/ipv4/conf/tunl0/rp_filter', value: '0' });
  });

  it('GRE: ip_gre/ip6_gre, the VIPs on gre0/ip6gre0 with ARP sysctls and rp_filter 0 on gre0; no fou', () => {
    const desired = desiredState(
      config('  - {address: 198.51.100.7, encap: gre}\n  - {address: "2001:db8::7", encap: gre}'),
      [lo, eth0],
    );
    expect(parts(desired).modules).toEqual([
      { name: 'ip_gre', device: 'gre0' },
      { name: 'ip6_gre', device: 'ip6gre0' },
    ]);
    expect(parts(desired).fou).toEqual([]);
    expect(parts(desired).links).toEqual(['gre0', 'ip6gre0']);
    expect(parts(desired).addresses.map((a) => `${a.address} ${a.dev}`)).toEqual([
      '198.51.100.7 gre0',
      '2001:db8::7 ip6gre0',
    ]);
    const sysctls = Object.fromEntries(parts(desired).sysctls.map((s) => [s.path, s.value]));
    expect(sysctls).toMatchObject({
      'net/ipv4/conf/gre0/arp_ignore': '1',
      'net/ipv4/conf/gre0/arp_announce': '2',
      'net/ipv4/conf/all/rp_filter': '0',
      'net/ipv4/conf/gre0/rp_filter': '0',
    });
    expect(Object.keys(sysctls).filter((p) => p.includes('tunl0'))).toEqual([]);
  });

  it('IPIP and GRE VIPs side by side: each on its own device, rp_filter 0 on both', () => {
    const desired = desiredState(config('  - 198.51.100.7\n  - {address: 198.51.100.8, encap: gre}'), [lo, eth0]);
    expect(parts(desired).links).toEqual(['tunl0', 'gre0']);
    expect(parts(desired).sysctls.filter((s) => s.path.endsWith('rp_filter'))).toEqual([
      { path: 'net/ipv4/conf/all/rp_filter', value: '0' },
      { path: 'net/ipv4/conf/tunl0/rp_filter', value: '0' },
      { path: 'net/ipv4/conf/gre0/rp_filter', value: '0' },
    ]);
  });

  it('a gre0 that is not a GRE device leaves out the GRE VIPs alone, and says which', () => {
    const desired = desiredState(config('  - 198.51.100.7\n  - {address: 198.51.100.8, encap: gre}'), [
      lo,
      eth0,
      link('gre0', 'ether'),
    ]);
    expect(parts(desired).addresses.map((a) => a.address)).toEqual(['198.51.100.7']);
    expect(parts(desired).problems).toEqual([
      {
        item: 'link gre0',
        message:
          'config x.yaml: encap gre: "gre0": is a device of type ether, not a gre tunnel; not placed: 198.51.100.8 (everything else is in place)',
      },
    ]);
  });

  it('the ethernet-typed fallbacks of ip_gre (gretap0, erspan0) are not NICs to guard', () => {
    const desired = desiredState(parseConfig('mode: tun\nvips: [{address: 198.51.100.7, encap: gre}]\n', 'x.yaml'), [
      lo,
      eth0,
      link('gre0', 'gre'),
      link('gretap0', 'ether'),
      link('erspan0', 'ether'),
    ]);
    expect(
      parts(desired)
        .sysctls.map((s) => s.path)
        .filter((p) => /gretap0|erspan0/.test(p)),
    ).toEqual([]);
    expect(parts(desired).sysctls.map((s) => s.path)).toContain('net/ipv4/conf/eth0/arp_ignore');
  });
});

// The listeners' part of a plan.
function fouPlan(desired: DesiredFou[], actual: ActualFou[] | null, owned: FouListener[]) {
  const ctx = { actual: { links: [], routes: [], sysctls: {}, fou: actual }, placement: NOWHERE, exposed: [] };
  return fouKind.plan(desired, owned, ctx).changes;
}

describe('fouPlan', () => {
  const want = [{ port: 6080, family: 4 as const, vips: ['198.51.100.7'] }];

  it('adds a missing listener, and claims nothing that is already there', () => {
    expect(fouPlan(want, [], []).map(describeChange)).toEqual(['fou add port 6080 gue']);
    expect(fouPlan(want, [{ port: 6080, family: 4, kind: 'gue' }], [])).toEqual([]);
    // The IPv6 listener on the same port does not receive IPv4 GUE.
    expect(fouPlan(want, [{ port: 6080, family: 6, kind: 'gue' }], []).map(describeChange)).toEqual([
      'fou add port 6080 gue',
    ]);
  });

  it("deletes only the listeners rs-agent added and no longer needs; someone else's stay", () => {
    const actual: ActualFou[] = [
      { port: 6080, family: 4, kind: 'gue' },
      { port: 6081, family: 6, kind: 'gue' },
      { port: 6082, family: 4, kind: 'gue' },
    ];
    expect(
      fouPlan([], actual, [
        { port: 6080, family: 4 },
        { port: 6081, family: 6 },
      ]).map(describeChange),
    ).toEqual(['fou delete port 6080 gue', 'fou delete port 6081 gue -6']);
    // Already gone: nothing to delete.
    expect(fouPlan([], [], [{ port: 6080, family: 4 }])).toEqual([]);
    expect(fouPlan([], null, [{ port: 6080, family: 4 }])).toEqual([]);
  });

  it('a port held by a fou listener of another kind is not added to, and is a problem naming it', () => {
    const actual: ActualFou[] = [{ port: 6080, family: 4, kind: 'ipproto 4' }];
    expect(fouPlan(want, actual, [])).toEqual([]);
    expect(fouProblems(want, actual)).toEqual([
      {
        item: 'fou port 6080 gue',
        blocks: ['fou:4:6080'],
        message:
          "GUE port 6080 (IPv4) is taken by a fou listener of another kind (port 6080 ipproto 4), not rs-agent's: " +
          '198.51.100.7 receive no GUE packets; remove it (ip fou del port 6080) or choose another port',
      },
    ]);
    expect(fouProblems(want, [{ port: 6080, family: 6, kind: 'ipproto 41' }])).toEqual([]);
  });
});

describe('plan with GUE: order', () => {
  it('start: modules, then the listener, then sysctls, tunl0 up, the VIP', () => {
    const desired = desiredState(config('  - {address: 198.51.100.7, encap: gue, port: 6080}'), [lo, eth0]);
    const names = plan(desired, host([lo, eth0], null), emptyOwned()).map(describeChange);
    expect(names.slice(0, 3)).toEqual(['module load ipip', 'module load fou', 'fou add port 6080 gue']);
    expect(names.indexOf('fou add port 6080 gue')).toBeLessThan(names.findIndex((n) => n.startsWith('sysctl set')));
    expect(names.slice(-2)).toEqual(['address add 198.51.100.7/32 dev tunl0', 'route add 198.51.100.7/32 dev tunl0']);
  });

  it('fou loaded (ip fou show answers): no module load for it', () => {
    const desired = desiredState(config('  - {address: 198.51.100.7, encap: gue, port: 6080}'), [
      lo,
      eth0,
      link('tunl0', 'ipip'),
    ]);
    const names = plan(desired, host([lo, eth0, link('tunl0', 'ipip')], []), emptyOwned()).map(describeChange);
    expect(names.filter((n) => n.startsWith('module'))).toEqual([]);
    expect(names[0]).toBe('fou add port 6080 gue');
  });

  it('stop: the VIP, then tunl0 down, then the listener, then the sysctls restored', () => {
    const tunl0: ActualLink = {
      name: 'tunl0',
      up: true,
      linkType: 'ipip',
      addresses: [{ address: '198.51.100.7', prefixlen: 32, family: 4 }],
    };
    const owned: Owned = ownedFrom({
      sysctls: { 'net/ipv4/conf/all/rp_filter': { original: '1' } },
      addresses: [{ address: '198.51.100.7', prefixlen: 32, family: 4, dev: 'tunl0' }],
      links: ['tunl0'],
      fou: [{ port: 6080, family: 4 }],
    });
    const actual: ActualState = {
      links: [lo, eth0, tunl0],
      routes: [],
      sysctls: { 'net/ipv4/conf/all/rp_filter': '0' },
      fou: [{ port: 6080, family: 4, kind: 'gue' }],
    };
    expect(plan(NOTHING, actual, owned).map(describeChange)).toEqual([
      'address delete 198.51.100.7/32 dev tunl0',
      'link down tunl0',
      'fou delete port 6080 gue',
      'sysctl restore net.ipv4.conf.all.rp_filter',
    ]);
  });
});

describe("encapOverhead: what each VIP's tunnel costs per packet (for MSS clamping)", () => {
  it('per encap and family; nothing for DR', () => {
    const vips = parseConfig(
      [
        'mode: tun',
        'vips:',
        '  - 198.51.100.6',
        '  - "2001:db8::6"',
        '  - {address: 198.51.100.7, encap: gue, port: 6080}',
        '  - {address: "2001:db8::7", encap: gue, port: 6080}',
        '  - {address: 198.51.100.8, encap: gre}',
        '  - {address: "2001:db8::8", encap: gre}',
        '  - {address: 192.0.2.10, mode: dr}',
      ].join('\n'),
      'x.yaml',
    ).vips;
    expect(vips.map(encapOverhead)).toEqual([20, 40, 32, 52, 24, 44, 0]);
  });
});
