import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ActualLink, ActualState } from '../../src/observe/types.js';
import { desiredState, NOTHING } from '../../src/plan/plan.js';
import { ARP_GUARD_TABLE, guardElements } from '../../src/objects/nft/arp-guard.js';
import { rulesetOf } from '../../src/objects/nft-table.js';
import { exposedAfter } from '../../src/model/exposure.js';
import { planFull } from '../../src/plan/plan.js';
import { satisfies } from '../../src/model/sysctl-strength.js';
import { emptyOwned, type Owned } from '../../src/objects/registry.js';
import { ownedFrom } from '../helpers/desired.js';

const eth0: ActualLink = {
  name: 'eth0',
  up: true,
  linkType: 'ether',
  addresses: [{ address: '198.51.100.2', prefixlen: 24, family: 4 }],
};
const lo = (extra: { address: string; prefixlen: number }[] = []): ActualLink => ({
  name: 'lo',
  up: true,
  linkType: 'loopback',
  addresses: [
    { address: '127.0.0.1', prefixlen: 8, family: 4 },
    { address: '::1', prefixlen: 128, family: 6 },
    ...extra.map((a) => ({ ...a, family: 4 as const })),
  ],
});
const ARP_PATHS = ['all', 'default', 'lo', 'eth0'].flatMap((d) => [
  `net/ipv4/conf/${d}/arp_ignore`,
  `net/ipv4/conf/${d}/arp_announce`,
]);
const sysctls = (value: (path: string) => string) => Object.fromEntries(ARP_PATHS.map((p) => [p, value(p)]));
const protectedSysctls = sysctls((p) => (p.endsWith('ignore') ? '1' : '2'));
const describe_ = (c: { kind: string; action: string; target: string }) => `${c.kind} ${c.action} ${c.target}`;

describe('never weaken', () => {
  it.each([
    ['arp_ignore', '1', ['1', '2', '8'], ['0', '3', '4', '5', '7', '9']],
    ['arp_ignore', '2', ['2', '8'], ['0', '1', '3', '4']],
    ['arp_announce', '2', ['2'], ['0', '1', '3']],
    ['rp_filter', '0', ['0', '2'], ['1']],
  ])('%s desired %s: in sync at %j, raised from %j', (name, desired, ok, weak) => {
    for (const v of ok) expect(satisfies(`net/ipv4/conf/eth0/${name}`, v, desired)).toBe(true);
    for (const v of weak) expect(satisfies(`net/ipv4/conf/eth0/${name}`, v, desired)).toBe(false);
  });

  it("keeps an operator's stricter values: arp_ignore 2 on eth0 and 8 on all plan nothing", () => {
    const config = parseConfig('vips: [192.0.2.10]\ninterfaces: [eth0]\narp: {guard: off}\n', 'x.yaml');
    const links = [lo([{ address: '192.0.2.10', prefixlen: 32 }]), eth0];
    const desired = desiredState(config, links);
    const actual: ActualState = {
      links,
      routes: [{ dst: '192.0.2.10', prefixlen: 32, family: 4, dev: 'lo' }],
      sysctls: { ...protectedSysctls, 'net/ipv4/conf/eth0/arp_ignore': '2', 'net/ipv4/conf/all/arp_ignore': '8' },
    };
    expect(planFull(desired, actual, emptyOwned()).changes).toEqual([]);
  });
});

describe('stop keeps protection while a VIP-like address remains', () => {
  const owned: Owned = ownedFrom({
    addresses: [{ address: '192.0.2.10', prefixlen: 32, family: 4, dev: 'lo' }],
    sysctls: Object.fromEntries(ARP_PATHS.map((p) => [p, { original: '0' }])),
    nft: true,
  });
  const nftPresent = {
    'arp rs_agent': { available: true, table: { state: 'intact' as const, holds: ['192.0.2.10', '192.0.2.20'] } },
  };

  it('another VIP on lo (a second rs-agent, or added by hand): sysctls kept, guard narrowed to it, each named', () => {
    const actual: ActualState = {
      links: [
        lo([
          { address: '192.0.2.10', prefixlen: 32 },
          { address: '192.0.2.20', prefixlen: 32 },
        ]),
        eth0,
      ],
      routes: [],
      sysctls: protectedSysctls,
      nft: nftPresent,
    };
    const full = planFull(NOTHING, actual, owned);
    expect(full.changes.map(describe_)).toEqual(['nft load table arp rs_agent', 'address delete 192.0.2.10/32 dev lo']);
    expect(full.changes[0]).toMatchObject({ holds: ['192.0.2.20'] });
    expect(full.kept.map((k) => k.item)).toEqual([
      ...ARP_PATHS.map((p) => `sysctl ${p.replace(/\//g, '.')}`),
      'nft table arp rs_agent',
    ]);
    expect(full.kept.every((k) => k.neededBy.join() === '192.0.2.20/32 on lo')).toBe(true);
  });

  it("a wider prefix on a tunnel device counts; 127/8 and IPv6 do not; the plan's own deletions do not", () => {
    const tunl0: ActualLink = {
      name: 'tunl0',
      up: true,
      linkType: 'ipip',
      addresses: [{ address: '203.0.113.9', prefixlen: 28, family: 4 }],
    };
    const links = [lo([{ address: '192.0.2.10', prefixlen: 32 }]), eth0, tunl0];
    // The owned 192.0.2.10, no longer desired, is deleted by the plan.
    const owned = [{ address: '192.0.2.10', prefixlen: 32, family: 4 as const, dev: 'lo' }];
    expect(exposedAfter(links, owned, [])).toEqual([{ address: '203.0.113.9', prefixlen: 28, dev: 'tunl0' }]);
  });

  it('nothing VIP-like left: every original restored and the guard removed, protection last', () => {
    const actual: ActualState = {
      links: [lo([{ address: '192.0.2.10', prefixlen: 32 }]), eth0],
      routes: [],
      sysctls: protectedSysctls,
      nft: nftPresent,
    };
    const full = planFull(NOTHING, actual, owned);
    expect(full.kept).toEqual([]);
    expect(full.changes.map(describe_)).toEqual([
      'address delete 192.0.2.10/32 dev lo',
      ...ARP_PATHS.map((p) => `sysctl restore ${p.replace(/\//g, '.')}`),
      'nft delete table arp rs_agent',
    ]);
  });

  it('a config reload that drops a VIP keeps protection for the VIPs that stay', () => {
    const config = parseConfig('vips: [192.0.2.20]\ninterfaces: [eth0]\n', 'x.yaml');
    const links = [
      lo([
        { address: '192.0.2.10', prefixlen: 32 },
        { address: '192.0.2.20', prefixlen: 32 },
      ]),
      eth0,
    ];
    const actual: ActualState = {
      links,
      routes: [{ dst: '192.0.2.20', prefixlen: 32, family: 4, dev: 'lo' }],
      sysctls: protectedSysctls,
      nft: nftPresent,
    };
    const full = planFull(desiredState(config, links), actual, {
      ...owned,
      address: [...owned.address, { address: '192.0.2.20', prefixlen: 32, family: 4, dev: 'lo' }],
    });
    expect(full.changes.map(describe_)).toEqual(['nft load table arp rs_agent', 'address delete 192.0.2.10/32 dev lo']);
  });
});

describe('the nftables ARP guard', () => {
  const config = parseConfig('vips: [192.0.2.10, 2001:db8::10]\ninterfaces: [eth0]\n', 'x.yaml');
  const links = [lo(), eth0];
  const base: ActualState = { links, routes: [], sysctls: protectedSysctls };

  it('auto: loaded before any VIP where nft works, with the IPv4 VIPs only', () => {
    const full = planFull(
      desiredState(config, links),
      { ...base, nft: { 'arp rs_agent': { available: true, table: null } } },
      emptyOwned(),
    );
    expect(full.changes.map(describe_).slice(0, 2)).toEqual([
      'nft load table arp rs_agent',
      'address add 192.0.2.10/32 dev lo',
    ]);
    expect(full.changes[0]).toMatchObject({
      from: 'absent',
      holds: ['192.0.2.10'],
      ruleset: rulesetOf(ARP_GUARD_TABLE, ['192.0.2.10']),
    });
  });

  it('auto without nft: no guard, no error; nftables without nft: a load that will fail naming nft', () => {
    const none = { ...base, nft: { 'arp rs_agent': { available: false, table: null } } };
    expect(planFull(desiredState(config, links), none, emptyOwned()).changes.some((c) => c.kind === 'nft')).toBe(false);
    const strict = parseConfig('vips: [192.0.2.10]\ninterfaces: [eth0]\narp: {guard: nftables}\n', 'x.yaml');
    expect(planFull(desiredState(strict, links), none, emptyOwned()).changes[0]?.kind).toBe('nft');
  });

  // A loaded machine: nft is there, its list timed out. Not a missing nft, and not silent.
  it('auto with an nft that gave no answer: no load, every VIP still added, a problem naming what failed', () => {
    const reason =
      'nft -j list table arp rs_agent: no answer after 10 s; killed it (RS_AGENT_COMMAND_TIMEOUT sets the limit)';
    const hung = { ...base, nft: { 'arp rs_agent': { available: false, missing: false, reason, table: null } } };
    const full = planFull(desiredState(config, links), hung, emptyOwned());
    expect(full.changes.some((c) => c.kind === 'nft')).toBe(false);
    expect(full.changes.map(describe_)).toContain('address add 192.0.2.10/32 dev lo');
    expect(full.problems).toEqual([
      {
        item: 'nft table arp rs_agent',
        message:
          `the ARP guard could not be read: ${reason}; not checked or loaded, ARP stays suppressed by the sysctls; ` +
          'the next start, check --fix or daemon pass tries again',
      },
    ]);
    // Missing nft (auto's "where nft works"), arp.guard off, or nothing to guard: no problem.
    const missing = { ...base, nft: { 'arp rs_agent': { available: false, missing: true, reason, table: null } } };
    expect(planFull(desiredState(config, links), missing, emptyOwned()).problems).toEqual([]);
    const off = parseConfig('vips: [192.0.2.10]\ninterfaces: [eth0]\narp: {guard: off}\n', 'x.yaml');
    expect(planFull(desiredState(off, links), hung, emptyOwned()).problems).toEqual([]);
    const v6 = parseConfig('vips: [2001:db8::10]\ninterfaces: [eth0]\n', 'x.yaml');
    expect(planFull(desiredState(v6, links), hung, emptyOwned()).problems).toEqual([]);
  });

  it('repairs a flushed table and a changed set; an intact one is in sync', () => {
    const desired = desiredState(config, [lo([{ address: '192.0.2.10', prefixlen: 32 }]), eth0]);
    const at = (table: { holds: string[]; state: 'intact' | 'altered' }) =>
      planFull(
        desired,
        {
          ...base,
          links: [lo([{ address: '192.0.2.10', prefixlen: 32 }]), eth0],
          routes: [{ dst: '192.0.2.10', prefixlen: 32, family: 4, dev: 'lo' }],
          nft: { 'arp rs_agent': { available: true, table } },
        },
        emptyOwned(),
      )
        .changes.filter((c) => c.kind === 'nft')
        .map((c) => `${describe_(c)} ${c.from}`);
    expect(at({ holds: ['192.0.2.10'], state: 'intact' })).toEqual([]);
    expect(at({ holds: ['192.0.2.10'], state: 'altered' })).toEqual(['nft load table arp rs_agent altered']);
    expect(at({ holds: [], state: 'intact' })).toEqual(['nft load table arp rs_agent vips4 { }']);
  });

  it('set elements: hosts plain, wider prefixes as networks, covered ones dropped', () => {
    expect(
      guardElements([
        { address: '192.0.2.10', prefixlen: 32, dev: 'lo' },
        { address: '192.0.2.77', prefixlen: 24, dev: 'lo' },
        { address: '203.0.113.9', prefixlen: 32, dev: 'tunl0' },
        { address: '10.1.2.3', prefixlen: 32, dev: 'lo' },
      ]),
    ).toEqual(['10.1.2.3', '192.0.2.0/24', '203.0.113.9']);
  });
});
