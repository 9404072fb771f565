import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { desiredMss as desiredMssOf, MSS_CLAMP_TABLE } from '../../src/objects/nft/mss-clamp.js';
import { egressMtu, resolveMss, type MssClamp } from '../../src/objects/nft/mss-value.js';
import { nftTableKind, rulesetOf } from '../../src/objects/nft-table.js';
import { decodeOwned, emptyOwned, type Owned } from '../../src/objects/registry.js';
import type { ActualLink, ActualNftTable, ActualRoute, ActualState } from '../../src/observe/types.js';
import { placement, NOWHERE } from '../../src/plan/placement.js';
import { desiredState, NOTHING, plan } from '../../src/plan/plan.js';
import { parts } from '../helpers/desired.js';

const link = (name: string, mtu: number, linkType = 'ether', up = true): ActualLink => ({
  name,
  up,
  mtu,
  linkType,
  addresses: [],
});
const lo = link('lo', 65536, 'loopback');
const eth0 = link('eth0', 1500);
const defaultVia = (dev: string, family: 4 | 6 = 4): ActualRoute => ({
  dst: family === 4 ? '0.0.0.0' : '::',
  prefixlen: 0,
  family,
  dev,
});

const ALL_ENCAPS = [
  '  - {address: 192.0.2.1, mode: tun}',
  '  - {address: 192.0.2.2, mode: tun, encap: gue, port: 6080}',
  '  - {address: 192.0.2.3, mode: tun, encap: gre}',
  '  - {address: "2001:db8::1", mode: tun}',
  '  - {address: "2001:db8::2", mode: tun, encap: gue, port: 6080}',
  '  - {address: "2001:db8::3", mode: tun, encap: gre}',
  '  - 192.0.2.9',
].join('\n');
const config = (vips: string, extra = '') => parseConfig(`vips:\n${vips}\n${extra}`, 'x.yaml');
const values = (resolved: { address: string; mss: number }[]) =>
  Object.fromEntries(resolved.map((r) => [r.address, r.mss]));

describe('the MSS a TUN VIP advertises', () => {
  it('auto at MTU 1500: the MTU less the encapsulation, the inner IP header and TCP; DR VIPs are not clamped', () => {
    const resolved = resolveMss(
      parts(desiredState(config(ALL_ENCAPS), [lo, eth0])).mss,
      [lo, eth0],
      [defaultVia('eth0'), defaultVia('eth0', 6)],
    );
    expect(values(resolved)).toEqual({
      '192.0.2.1': 1440, // 1500 - 20 - 20 - 20
      '192.0.2.2': 1428, // GUE: UDP 8 + GUE 4 + IP 20
      '192.0.2.3': 1436, // GRE: 4 + IP 20
      '2001:db8::1': 1400, // 1500 - 40 - 40 - 20
      '2001:db8::2': 1388, // 1500 - 52 - 40 - 20
      '2001:db8::3': 1396, // 1500 - 44 - 40 - 20
    });
    expect(resolved[1]?.why).toBe('auto: MTU 1500 (of eth0, default route) - gue 32 - IPv4 20 - TCP 20');
  });

  it('a number per family, or off for one family', () => {
    const resolved = resolveMss(
      parts(desiredState(config(ALL_ENCAPS, 'tunnel: {mss: {ipv4: 1300, ipv6: off}}'), [lo, eth0])).mss,
      [lo, eth0],
      [],
    );
    expect(values(resolved)).toEqual({ '192.0.2.1': 1300, '192.0.2.2': 1300, '192.0.2.3': 1300 });
    expect(resolved[0]?.why).toBe('tunnel.mss 1300');
    expect(desiredMssOf(placement(config(ALL_ENCAPS, 'tunnel: {mss: off}'), [lo, eth0]))).toEqual([]);
  });

  it('the desired state carries the TUN VIPs to clamp, with their device; stop wants none', () => {
    expect(
      parts(desiredState(config(ALL_ENCAPS), [lo, eth0])).mss.map(
        (m) => `${m.address} ${m.encap} ${m.setting} ${m.dev}`,
      ),
    ).toEqual([
      '192.0.2.1 ipip auto tunl0',
      '192.0.2.2 gue auto tunl0',
      '192.0.2.3 gre auto gre0',
      '2001:db8::1 ipip auto ip6tnl0',
      '2001:db8::2 gue auto ip6tnl0',
      '2001:db8::3 gre auto ip6gre0',
    ]);
    expect(parts(NOTHING).mss).toEqual([]);
  });

  it('a TUN VIP with no device to go on (a named tunnel that is missing) has nothing to clamp', () => {
    const desired = desiredState(
      config('  - {address: 192.0.2.1, mode: tun}\n  - {address: "2001:db8::1", mode: tun}', 'tunnel: {ipv6: tun6}'),
      [lo, eth0],
    );
    expect(parts(desired).mss.map((m) => m.address)).toEqual(['192.0.2.1']);
  });
});

describe('egress MTU', () => {
  const jumbo = link('eth1', 9000);
  it('the default route device of the family, the smallest of several', () => {
    expect(egressMtu(4, [lo, eth0, jumbo], [defaultVia('eth1')])).toEqual({
      mtu: 9000,
      dev: 'eth1',
      via: 'default route',
    });
    expect(egressMtu(4, [lo, eth0, jumbo], [defaultVia('eth1'), defaultVia('eth0')])).toEqual({
      mtu: 1500,
      dev: 'eth0',
      via: 'default route',
    });
    expect(egressMtu(6, [lo, eth0, jumbo], [defaultVia('eth1'), defaultVia('eth0', 6)])).toEqual({
      mtu: 1500,
      dev: 'eth0',
      via: 'default route',
    });
  });

  it('without a default route: the smallest up link that could face the director (not lo, tunnels, down links, gretap0)', () => {
    const links = [
      lo,
      jumbo,
      link('tunl0', 1480, 'ipip'),
      link('ip6tnl0', 1452, 'tunnel6'),
      link('gretap0', 1462),
      link('eth2', 1400, 'ether', false),
    ];
    expect(egressMtu(4, links, [])).toEqual({ mtu: 9000, dev: 'eth1', via: 'smallest link' });
    expect(egressMtu(4, [...links, link('bond0', 4000)], [])).toEqual({
      mtu: 4000,
      dev: 'bond0',
      via: 'smallest link',
    });
  });

  it('nothing known: 1500; a link MTU too small for the family: the family minimum', () => {
    expect(egressMtu(4, [lo], [])).toEqual({ mtu: 1500, dev: null, via: 'assumed' });
    const links = [lo, link('eth0', 576)];
    const tiny = resolveMss(
      parts(desiredState(config('  - {address: 192.0.2.1, mode: tun}\n  - {address: "2001:db8::1", mode: tun}'), links))
        .mss,
      links,
      [],
    );
    expect(values(tiny)).toEqual({ '192.0.2.1': 536, '2001:db8::1': 1220 });
  });
});

// The MSS table's part of a plan, from clamps as resolved, what nft lists and whether
// rs-agent owns the table.
const MSS_KIND = nftTableKind([MSS_CLAMP_TABLE]);
function mssPlan(clamps: readonly (MssClamp & { dev: string })[], actual: ActualNftTable, owned: boolean) {
  const desired = clamps.map((c) => ({ ...c, encap: 'ipip' as const, setting: c.mss }));
  const ctx = {
    actual: { links: [], routes: [], sysctls: {}, nft: { 'inet rs_agent': actual } },
    placement: NOWHERE,
    exposed: [],
  };
  return {
    changes: MSS_KIND.plan([desired], owned ? ['inet rs_agent'] : [], ctx).changes,
    problems: MSS_CLAMP_TABLE.problems?.(desired, ctx) ?? [],
  };
}
const renderMss = (clamps: MssClamp[]) =>
  rulesetOf(
    MSS_CLAMP_TABLE,
    clamps.map((c) => `${c.address} ${c.mss}`),
  );

describe('the MSS clamp table', () => {
  const clamps: (MssClamp & { dev: string })[] = [
    { address: '192.0.2.2', family: 4, mss: 1428, dev: 'tunl0' },
    { address: '192.0.2.1', family: 4, mss: 1440, dev: 'tunl0' },
  ];
  const present = (state: 'intact' | 'flushed' | 'altered', list: MssClamp[] = clamps): ActualNftTable => ({
    available: true,
    table: { state, holds: list.map((c) => `${c.address} ${c.mss}`) },
  });

  it('missing: one load replacing the whole table, clamps sorted, largest value first', () => {
    const [change, ...rest] = mssPlan(clamps, { available: true, table: null }, false).changes;
    expect(rest).toEqual([]);
    expect(change).toMatchObject({
      kind: 'nft',
      action: 'load',
      target: 'table inet rs_agent',
      from: 'absent',
      to: '192.0.2.1 1440, 192.0.2.2 1428',
      safety: { needsAny: ['device:tunl0'] },
    });
    expect(change?.ruleset).toBe(
      [
        'table inet rs_agent {}',
        'delete table inet rs_agent',
        'table inet rs_agent {',
        '  chain output {',
        '    type filter hook output priority mangle; policy accept;',
        '    tcp flags & (syn | ack) == syn | ack ip saddr { 192.0.2.1 } tcp option maxseg size > 1440 tcp option maxseg size set 1440 counter',
        '    tcp flags & (syn | ack) == syn | ack ip saddr { 192.0.2.2 } tcp option maxseg size > 1428 tcp option maxseg size set 1428 counter',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('intact with the same clamps: nothing; flushed, altered or other values: reload', () => {
    expect(mssPlan(clamps, present('intact', [...clamps].reverse()), true).changes).toEqual([]);
    expect(mssPlan(clamps, present('flushed', []), true).changes[0]).toMatchObject({ action: 'load', from: 'flushed' });
    expect(mssPlan(clamps, present('altered', []), true).changes[0]).toMatchObject({ action: 'load', from: 'altered' });
    const other = [{ address: '192.0.2.1', family: 4 as const, mss: 1400 }];
    expect(mssPlan(clamps, present('intact', other), true).changes[0]).toMatchObject({
      action: 'load',
      from: '192.0.2.1 1400',
    });
  });

  it("nothing to clamp: the table rs-agent loaded is deleted, anyone else's left alone", () => {
    expect(mssPlan([], present('intact'), true).changes).toEqual([
      {
        kind: 'nft',
        action: 'delete',
        target: 'table inet rs_agent',
        table: 'inet rs_agent',
        from: '192.0.2.2 1428, 192.0.2.1 1440',
        to: 'absent',
        holds: [],
        ruleset: 'table inet rs_agent {}\ndelete table inet rs_agent\n',
        safety: { provides: [], needs: [] },
      },
    ]);
    expect(mssPlan([], present('intact'), false).changes).toEqual([]);
    expect(mssPlan([], { available: true, table: null }, true).changes).toEqual([]);
  });

  it('without nft: nothing planned, a problem naming the VIPs and the way out', () => {
    const actual: ActualNftTable = { available: false, reason: 'nft: command not found in PATH', table: null };
    const { changes, problems } = mssPlan(clamps, actual, false);
    expect(changes).toEqual([]);
    const [problem, ...rest] = problems;
    expect(rest).toEqual([]);
    expect(problem?.item).toBe('nft table inet rs_agent');
    expect(problem?.message).toBe(
      'MSS clamping for TUN VIPs needs nftables: nft: command not found in PATH; not clamped: 192.0.2.2, 192.0.2.1 ' +
        '(uploads from clients whose path drops ICMP may stall; everything else is in place): install nftables, or set tunnel.mss: off',
    );
    expect(mssPlan([], actual, false).problems).toEqual([]);
    expect(mssPlan(clamps, { available: true, table: null }, false).problems).toEqual([]);
  });

  // A loaded machine: nft is there, its list timed out. Not a missing package.
  it('nft that gave no answer: the problem names what failed, and says nothing of installing it', () => {
    const reason =
      'nft -j list table inet rs_agent: no answer after 10 s; killed it (RS_AGENT_COMMAND_TIMEOUT sets the limit)';
    const { changes, problems } = mssPlan(clamps, { available: false, missing: false, reason, table: null }, false);
    expect(changes).toEqual([]);
    expect(problems.map((p) => p.message)).toEqual([
      `MSS clamping for TUN VIPs could not be read: ${reason}; not clamped: 192.0.2.2, 192.0.2.1 ` +
        '(uploads from clients whose path drops ICMP may stall; everything else is in place); ' +
        'the next start, check --fix or daemon pass tries again',
    ]);
  });

  it('renders IPv6 clamps with ip6 saddr, after the IPv4 ones', () => {
    const file = renderMss([
      { address: '2001:db8::1', family: 6, mss: 1400 },
      { address: '192.0.2.1', family: 4, mss: 1440 },
      { address: '192.0.2.5', family: 4, mss: 1440 },
    ]);
    expect(
      file
        .split('\n')
        .filter((l) => l.includes('saddr'))
        .map((l) => l.trim().split(' maxseg')[0]),
    ).toEqual([
      'tcp flags & (syn | ack) == syn | ack ip saddr { 192.0.2.1, 192.0.2.5 } tcp option',
      'tcp flags & (syn | ack) == syn | ack ip6 saddr { 2001:db8::1 } tcp option',
    ]);
  });
});

describe('the whole plan', () => {
  it("loads the clamp before the VIPs are placed, and it comes out in stop's removals", () => {
    const cfg = config('  - {address: 192.0.2.1, mode: tun}');
    const tunl0 = link('tunl0', 1480, 'ipip', false);
    const actual: ActualState = {
      links: [lo, eth0, tunl0],
      routes: [defaultVia('eth0')],
      sysctls: {},
      nft: { 'inet rs_agent': { available: true, table: null } },
    };
    const changes = plan(desiredState(cfg, actual.links), actual, emptyOwned());
    const steps = changes.map((c) => `${c.kind} ${c.action} ${c.target}`);
    expect(steps.indexOf('nft load table inet rs_agent')).toBeLessThan(
      steps.indexOf('address add 192.0.2.1/32 dev tunl0'),
    );
    const loaded: ActualState = {
      ...actual,
      nft: { 'inet rs_agent': { available: true, table: { state: 'intact', holds: ['192.0.2.1 1440'] } } },
    };
    expect(plan(desiredState(cfg, actual.links), loaded, emptyOwned())).not.toContainEqual(
      expect.objectContaining({ kind: 'nft' }),
    );
    const stop = plan(NOTHING, loaded, decodeOwned({ mss: true }) as Owned);
    expect(stop.map((c) => `${c.kind} ${c.action} ${c.target}`)).toEqual(['nft delete table inet rs_agent']);
  });
});
