// End to end: a real LVS cluster (client, IPVS director, two real servers on one bridge) in a
// VM whose kernel has ipip, ip6_tunnel and ip_vs; the real servers are configured by rs-agent
// alone. One VM boot runs every mode (DR before TUN in each family: a TUN mode's start must
// find its tunnel module not yet loaded). E2E_MODES=tun6 runs only that one.
// See README.md in this directory for what runs where and how to reproduce it by hand.
import { beforeAll, describe, expect, it } from 'vitest';
import { type ClusterRun, type Mode, modesToRun, observation, runCluster } from './cluster-run.js';
import {
  type ArpCapture,
  type Neigh,
  type Requests,
  type Responders,
  type Tunnelled,
  answeredOnlyBy,
  neighIsDirector,
  noRealServerArpReply,
  requestsServedByAll,
  tunnelledFrom,
  vip6AsDesigned,
  vipOnDevice,
} from './properties.js';
import { type RawRsState, type RsState, rsStateOf } from './rs-state.js';

const modes = modesToRun();
const ipv4Modes = modes.filter((m) => m === 'dr' || m === 'tun');
const ipv6Modes = modes.filter((m) => m === 'dr6' || m === 'tun6');
const realServers = ['rs1', 'rs2'];

interface Topology {
  vip: string;
  dip: string;
  macs: Record<string, string>;
}
interface RsAgentRun {
  host: string;
  args: string;
  exit: number;
  output: string;
}

let run: ClusterRun;

beforeAll(async () => {
  run = await runCluster(modes);
  console.log(`e2e VM run (${modes.join(' + ')}): ${run.seconds.toFixed(0)} s; console: ${run.consoleLog}`);
}, 80 * 60_000); // above runCluster's cap

// One mode's observations.
function view(mode: Mode) {
  const get = <T>(phase: string, obs: string, host?: string) => observation<T>(run, mode, phase, obs, host);
  const topology = () => get<Topology>('setup', 'topology');
  return {
    get,
    topology,
    director: () => topology().macs.director!,
    rsMacs: () => Object.fromEntries(realServers.map((rs) => [rs, topology().macs[rs]!])),
    rsAgent: (phase: string, host: string) => get<RsAgentRun>(phase, 'rs-agent', host),
    rsState: (phase: string, host: string) => rsStateOf(get<RawRsState>(phase, 'rs-state', host), topology().vip),
  };
}
type View = ReturnType<typeof view>;

function expectServedByAll(v: View, phase: string): void {
  expect(requestsServedByAll(v.get<Requests>(phase, 'requests'), realServers), `requests (${phase})`).toEqual([]);
}

function expectStarted(v: View): void {
  for (const rs of realServers) {
    const start = v.rsAgent('start', rs);
    expect(start.exit, `${rs}: rs-agent start: ${start.output}`).toBe(0);
  }
}

function expectDriftRepaired(v: View): void {
  // The drift must be real: the VIP was there to delete, and requests sent to rs1 failed.
  expect(v.get<{ dev: string }>('drift', 'vip-deleted').dev, 'rs1 had no VIP to delete').not.toBe('');
  const during = v.get<Requests>('drift', 'requests');
  expect(during.answered, 'requests during drift: all answered, so the drift broke nothing').toBeLessThan(during.sent);

  const check = v.rsAgent('drift', 'rs1');
  expect(check.exit, `rs-agent check on drift: ${check.output}`).toBe(1);
  const fix = v.rsAgent('fix', 'rs1');
  expect(fix.exit, `rs-agent check --fix: ${fix.output}`).toBe(0);
  const recheck = v.rsAgent('fixed', 'rs1');
  expect(recheck.exit, `rs-agent check after --fix: ${recheck.output}`).toBe(0);
  expectServedByAll(v, 'fixed');
}

function expectStopRemovesVip(v: View): void {
  const stop = v.rsAgent('stop', 'rs1');
  expect(stop.exit, `rs-agent stop: ${stop.output}`).toBe(0);
  const after = v.rsState('stopped', 'rs1');
  expect(after.vip_addrs, 'VIP addresses left after stop').toEqual([]);
  expect(after.vip_routes, 'routes to the VIP left after stop').toEqual([]);
}

// Sysctls that differ between two observations of one host.
function changedSysctls(before: RsState, after: RsState): Record<string, [number, number | undefined]> {
  return Object.fromEntries(
    Object.entries(before.sysctls)
      .filter(([k, value]) => after.sysctls[k] !== value)
      .map(([k, value]) => [k, [value, after.sysctls[k]]]),
  );
}

// The maintenance case (guest/lib/drain.sh): keepalived checking each real server's
// health endpoint, requests through the VIP all along, a slow download from rs1.
interface RequestCounts {
  sent: number;
  answered: number;
  failed: number;
  by: { rs1: number; rs2: number };
  failures: [number, number][]; // each failed request: seconds after the phase began, seconds it waited
}
interface DrainSteps {
  settled: boolean;
  drain_exit: number;
  drain_output: string;
  drain_seconds: number;
  weight_after_drain: string;
  weight_zero_seconds: number | null;
  download: {
    expected: number;
    bytes: number;
    complete: boolean;
    seconds: number;
    error: string | null;
    held?: number; // seconds it held halfway, until drain's first sample
    ended?: number; // epoch seconds
  };
  stop_exit: number;
  start_exit: number;
  health_after_start: string;
  weight_back_seconds: number | null;
  after_undrain: RequestCounts;
  // each step, seconds after the requests settled: receiving (the download's first bytes),
  // drain (started), drain_sampled (its first progress line), drained, download_ended, ...
  times: Record<string, number>;
}

describe.each(ipv4Modes)('LVS %s cluster configured by rs-agent', (mode) => {
  const v = view(mode);

  it('0. the real servers start as distributions leave them, and rs-agent start succeeds', () => {
    for (const rs of realServers) {
      const before = v.rsState('before', rs);
      expect(before.sysctls, rs).toMatchObject({ 'all.rp_filter': 1, 'default.rp_filter': 1, 'eth0.rp_filter': 1 });
      expect(before.vip_addrs, rs).toEqual([]);
      // rs-agent has to load ipip itself: nothing did before it.
      expect(before.ipip_loaded, `${rs}: ipip loaded before start`).toBe(false);
    }
    expectStarted(v);
  });

  it('1. every request to VIP:80 is answered, and both real servers answer some', () => {
    expectServedByAll(v, 'started');
  });

  it('2. only the director answers ARP for the VIP (arping sees one MAC)', () => {
    expect(answeredOnlyBy(v.get<Responders>('started', 'arping'), v.director(), 'ARP')).toEqual([]);
  });

  it("3. the client's neighbour entry for the VIP is the director's MAC", () => {
    expect(neighIsDirector(v.get<Neigh>('started', 'neigh'), v.director())).toEqual([]);
  });

  it('4. while rs-agent start runs, no real server answers ARP for the VIP', () => {
    expect(noRealServerArpReply(v.get<ArpCapture>('start', 'arp-capture'), v.director(), v.rsMacs())).toEqual([]);
  });

  it('5. drift: a deleted VIP makes check exit 1, check --fix repairs it, all requests answered again', () => {
    expectDriftRepaired(v);
  });

  it('8. maintenance behind keepalived: drain rs1 (weight 0, the download from it completes, drain exits 0), stop, start (still drained), undrain (rs1 answers again): no request fails; stopping without a drain fails some', () => {
    const steps = v.get<DrainSteps>('drain', 'steps');
    const requests = v.get<RequestCounts>('drain', 'requests');
    const control = v.get<RequestCounts>('drain-control', 'requests');
    const controlDownload = v.get<DrainSteps['download']>('drain-control', 'download');
    const { drain_output: _output, ...facts } = steps;
    console.log(
      `${mode} maintenance: requests ${JSON.stringify(requests)}; control ${JSON.stringify(control)}, download ${JSON.stringify(controlDownload)}; ${JSON.stringify(facts)}`,
    );
    expect(steps.settled, 'keepalived settled: requests answered in a row').toBe(true);
    expect(steps.drain_exit, steps.drain_output).toBe(0);
    // The drain saw the download's connection at its first sample (the download, under way
    // before drain started, held halfway until then), waited for it, and ended after it. A
    // request of the loop to VIP:80 may be in flight to rs1 at that sample too: keepalived
    // sets rs1's weight to 0 only once its check has seen the 503.
    const firstProgress = steps.drain_output.split('\n').find((line) => line.startsWith('draining: '));
    expect(firstProgress, steps.drain_output).toMatch(
      /^draining: \d+ connections? left \((192\.0\.2\.100:80 ×\d+, )?192\.0\.2\.100:8080 ×1\)$/,
    );
    expect(steps.drain_output).toMatch(/drained: no connection to a VIP left$/);
    expect(steps.times.receiving, 'the download was under way before drain started').toBeLessThanOrEqual(
      steps.times.drain!,
    );
    // The server's side leaves the count once its last byte is acknowledged; the client still
    // reads the last few KiB from its buffer (a fraction of a second at 64 KiB/s), so drain may
    // exit just before the client is done, never seconds before (the held half takes 8 s).
    expect(steps.times.drained, 'drain exited while the download still had seconds to run').toBeGreaterThan(
      steps.times.download_ended! - 2,
    );
    expect(steps.weight_zero_seconds, 'keepalived set rs1 weight 0').not.toBeNull();
    expect(steps.weight_after_drain).toBe('0');
    expect(steps.download).toMatchObject({ complete: true, error: null });
    expect(steps.stop_exit).toBe(0);
    expect(steps.start_exit).toBe(0);
    expect(steps.health_after_start, 'rs1 after start: still drained').toMatch(/^drained since \S+ +503$/);
    expect(steps.weight_back_seconds, 'keepalived set rs1 weight 1 after undrain').not.toBeNull();
    expect(steps.after_undrain.by.rs1, 'requests answered by rs1 after undrain').toBeGreaterThan(0);
    expect(requests.sent).toBeGreaterThan(10);
    expect(requests.failed, 'failed requests during the maintenance').toBe(0);
    expect(requests.by.rs2).toBeGreaterThan(0);
    // The control: the same download from rs1, rs1 stopped without a drain: it breaks.
    expect(controlDownload.bytes, 'the control download had begun').toBeGreaterThan(0);
    expect(controlDownload.complete, JSON.stringify(controlDownload)).toBe(false);
  });

  it('6. stop removes the VIP and puts every sysctl back to its value before start', () => {
    expectStopRemovesVip(v);
    expect(changedSysctls(v.rsState('before', 'rs1'), v.rsState('stopped', 'rs1'))).toEqual({});
  });

  if (mode === 'tun') {
    it('6. stop leaves tunl0 (created by start) with the values the kernel gives a new interface', () => {
      // tunl0 did not exist before start; modprobe ipip created it with a copy of `default`
      // (DESIGN.md §2). Writing `default` later also rewrites every interface whose key was
      // never written, so an original recorded after that write is not the original.
      const before = v.rsState('before', 'rs1');
      const after = v.rsState('stopped', 'rs1');
      const keys = ['arp_ignore', 'arp_announce', 'rp_filter'];
      expect(Object.fromEntries(keys.map((k) => [k, after.sysctls[`tunl0.${k}`]]))).toEqual(
        Object.fromEntries(keys.map((k) => [k, before.sysctls[`default.${k}`]])),
      );
    });
  }

  it('7. negative control: a naively configured real server makes the same checks fail', () => {
    // rs1 after stop, given the VIP the way hand-written scripts do, without the ARP sysctls
    // (and for TUN with rp_filter left strict). If these checks passed here, they could not
    // tell a correct real server from a broken one.
    expect(answeredOnlyBy(v.get<Responders>('naive', 'arping'), v.director(), 'ARP'), 'arping').not.toEqual([]);
    expect(
      noRealServerArpReply(v.get<ArpCapture>('naive', 'arp-capture'), v.director(), v.rsMacs()),
      'ARP capture while configuring',
    ).not.toEqual([]);
    if (mode === 'tun') {
      // The client is pinned to the director here, so every request goes through the tunnel.
      const naive = v.get<Requests>('naive', 'requests');
      expect(requestsServedByAll(naive, realServers), 'requests').not.toEqual([]);
      expect(naive.by.rs1 ?? 0, 'tunnelled requests answered by the naive rs1').toBe(0);
    }
  });
});

describe.each(ipv6Modes)('LVS %s cluster (IPv6 VIP) configured by rs-agent', (mode) => {
  const v = view(mode);
  const dev = mode === 'tun6' ? 'ip6tnl0' : 'lo';

  it('0. the real servers start without the VIP and without ip6_tunnel, and rs-agent start succeeds', () => {
    for (const rs of realServers) {
      const before = v.rsState('before', rs);
      expect(before.vip_addrs, rs).toEqual([]);
      // For TUN6, rs-agent has to load ip6_tunnel itself: nothing did before it.
      expect(before.ip6_tunnel_loaded, `${rs}: ip6_tunnel loaded before start`).toBe(false);
    }
    expectStarted(v);
  });

  it('1. every request to [VIP]:80 is answered, and both real servers answer some', () => {
    expectServedByAll(v, 'started');
  });

  it("2. the client's neighbour entry for the VIP is the director's MAC, and only the director answers neighbour solicitation", () => {
    expect(neighIsDirector(v.get<Neigh>('started', 'neigh'), v.director())).toEqual([]);
    expect(answeredOnlyBy(v.get<Responders>('started', 'ndisc'), v.director(), 'ND')).toEqual([]);
  });

  it('3. drift: a deleted VIP makes check exit 1, check --fix repairs it, all requests answered again', () => {
    expectDriftRepaired(v);
  });

  it('4. stop removes the VIP and its /128 route', () => {
    expectStopRemovesVip(v);
  });

  it(`5. each real server holds the VIP on ${dev}: /128, nodad, deprecated (preferred_lft 0), noprefixroute, one main-table route; no sysctl changed`, () => {
    const vip = v.topology().vip;
    for (const rs of realServers) {
      const started = v.rsState('started', rs);
      expect(vip6AsDesigned(started.vip_addrs, started.vip_routes, vip, dev), rs).toEqual([]);
      // An IPv6-only config needs no ARP or rp_filter sysctl: rs-agent writes none.
      expect(changedSysctls(v.rsState('before', rs), started), rs).toEqual({});
    }
  });

  if (mode === 'dr6') {
    it('6. DR6 loads no tunnel module and brings no tunnel device up', () => {
      for (const rs of realServers) {
        const started = v.rsState('started', rs);
        expect(started.ip6_tunnel_loaded, rs).toBe(false);
        expect(started.tunnels_up.ip6tnl0 ?? false, rs).toBe(false);
      }
    });
  }

  if (mode === 'tun6') {
    it('6. TUN6: rs-agent loads ip6_tunnel and brings ip6tnl0 up; requests arrive tunnelled from the director; stop brings ip6tnl0 down', () => {
      for (const rs of realServers) {
        const started = v.rsState('started', rs);
        expect(started.ip6_tunnel_loaded, rs).toBe(true);
        expect(started.tunnels_up.ip6tnl0, `${rs}: ip6tnl0 up`).toBe(true);
      }
      const { dip } = v.topology();
      expect(
        tunnelledFrom(v.get<Tunnelled>('started', 'tunnelled'), dip, ['2001:db8:1::11', '2001:db8:1::12']),
      ).toEqual([]);
      expect(v.rsState('stopped', 'rs1').tunnels_up.ip6tnl0, 'rs1: ip6tnl0 up after stop').toBe(false);
    });
  }

  it('7. negative control: a real server with the VIP on eth0 makes the same checks fail', () => {
    // rs1 after stop, the VIP added to eth0 like any service address (and for TUN6 ip6tnl0
    // left down). If these checks passed here, they could not tell it from a correct one.
    const vip = v.topology().vip;
    expect(answeredOnlyBy(v.get<Responders>('naive', 'ndisc'), v.director(), 'ND'), 'ndisc6').not.toEqual([]);
    const naive = v.rsState('naive', 'rs1');
    expect(vip6AsDesigned(naive.vip_addrs, naive.vip_routes, vip, dev), 'VIP flags and route').not.toEqual([]);
    if (mode === 'tun6') {
      // The client is pinned to the director here, so every request goes through the tunnel.
      const requests = v.get<Requests>('naive', 'requests');
      expect(requestsServedByAll(requests, realServers), 'requests').not.toEqual([]);
      expect(requests.by.rs1 ?? 0, 'tunnelled requests answered by the naive rs1').toBe(0);
    }
  });

  if (mode === 'tun6') {
    it("7. negative control: with the director's VIP preferred, it becomes the outer source and no request is answered", () => {
      // DESIGN.md §2: ip6_tunnel drops packets whose outer source is a local address, and the
      // VIP is local on every real server. This is why the director's VIP has preferred_lft 0.
      const { vip } = v.topology();
      expect(
        tunnelledFrom(v.get<Tunnelled>('vip-preferred', 'tunnelled'), vip, ['2001:db8:1::11', '2001:db8:1::12']),
      ).toEqual([]);
      const requests = v.get<Requests>('vip-preferred', 'requests');
      expect(requests.sent).toBeGreaterThan(0);
      expect(requests.answered, 'requests answered with the VIP as outer source').toBe(0);
    });
  }
});

// The encapsulations: the director tunnels with GUE (ipvsadm --tun-type gue --tun-port 6080)
// or GRE (--tun-type gre); the real servers' configs say `encap: gue, port: 6080` or
// `encap: gre` and rs-agent does the rest: modules, the GUE listener, the device up with the
// VIP, rp_filter 0 where the decapsulated packets arrive.
const encapModes = modes.filter((m) => m.includes('-'));

// rs-agent run on rs1 and the encapsulation's drift again (guest/lib/encap.sh).
interface DaemonRepair {
  ready: boolean;
  repaired: boolean;
  ms: number; // from the drift until the piece was back
  exit: number;
  repairs: { item: string; trigger: string }[];
}

describe.each(encapModes)('LVS %s cluster (TUN with another encapsulation) configured by rs-agent', (mode) => {
  const v = view(mode);
  const family = mode.startsWith('tun6') ? 6 : 4;
  const encap = mode.endsWith('gue') ? 'gue' : 'gre';
  const dev = encap === 'gre' ? (family === 4 ? 'gre0' : 'ip6gre0') : family === 4 ? 'tunl0' : 'ip6tnl0';
  const listener = `port 6080 gue${family === 6 ? ' -6' : ''}`;
  const rsIps = family === 4 ? ['192.0.2.11', '192.0.2.12'] : ['2001:db8:1::11', '2001:db8:1::12'];
  const state = (phase: string, rs: string) => v.rsState(phase, rs);

  it('0. rs-agent start succeeds on both real servers, which start without the VIP', () => {
    for (const rs of realServers) expect(v.rsState('before', rs).vip_addrs, rs).toEqual([]);
    expectStarted(v);
  });

  it(`1. every request is answered, by both real servers, and arrives ${encap === 'gue' ? 'in UDP to port 6080' : 'as GRE'} from the director`, () => {
    expectServedByAll(v, 'started');
    expect(tunnelledFrom(v.get<Tunnelled>('started', 'tunnelled'), v.topology().dip, rsIps)).toEqual([]);
  });

  it(`2. rs-agent put the VIP on ${dev}, up${encap === 'gue' ? `, with a GUE listener (${listener})` : ''}, and loaded ${encap === 'gue' ? 'fou' : family === 4 ? 'ip_gre' : 'ip6_gre'}`, () => {
    for (const rs of realServers) {
      const started = state('started', rs);
      expect(vipOnDevice(started.vip_addrs, started.tunnels_up, dev), rs).toEqual([]);
      if (encap === 'gue') {
        expect(started.fou, rs).toEqual([listener]);
        expect(started.fou_loaded, rs).toBe(true);
      } else {
        expect(family === 4 ? started.ip_gre_loaded : started.ip6_gre_loaded, rs).toBe(true);
      }
      if (family === 4)
        expect(started.sysctls, rs).toMatchObject({
          'all.rp_filter': 0,
          [`${dev}.rp_filter`]: 0,
          [`${dev}.arp_ignore`]: 1,
        });
    }
  });

  it(
    family === 4
      ? '3. no real server answers ARP for the VIP, during start or after'
      : '3. only the director answers neighbour solicitation for the VIP',
    () => {
      if (family === 4) {
        expect(answeredOnlyBy(v.get<Responders>('started', 'arping'), v.director(), 'ARP')).toEqual([]);
        expect(noRealServerArpReply(v.get<ArpCapture>('start', 'arp-capture'), v.director(), v.rsMacs())).toEqual([]);
      } else {
        expect(answeredOnlyBy(v.get<Responders>('started', 'ndisc'), v.director(), 'ND')).toEqual([]);
      }
      expect(neighIsDirector(v.get<Neigh>('started', 'neigh'), v.director())).toEqual([]);
    },
  );

  it(`4. drift (${encap === 'gue' ? 'the GUE listener deleted' : `${dev} down`}) breaks rs1, check exits 1, check --fix repairs it`, () => {
    expect(v.get<{ what: string }>('drift', 'encap').what).toBe(
      encap === 'gue' ? 'fou port 6080 deleted' : `${dev} down`,
    );
    const during = v.get<Requests>('drift', 'requests');
    expect(during.answered, 'requests during drift: all answered, so the drift broke nothing').toBeLessThan(
      during.sent,
    );
    expect(v.rsAgent('drift', 'rs1').exit, v.rsAgent('drift', 'rs1').output).toBe(1);
    expect(v.rsAgent('fix', 'rs1').exit, v.rsAgent('fix', 'rs1').output).toBe(0);
    expect(v.rsAgent('fixed', 'rs1').exit, v.rsAgent('fixed', 'rs1').output).toBe(0);
    expectServedByAll(v, 'fixed');
  });

  it(`4b. rs-agent run repairs the same drift by itself, from ${encap === 'gue' ? 'its GUE listener watch (fou sends no event)' : 'ip monitor'}, with no scheduled reconcile to fall back on`, () => {
    const d = v.get<DaemonRepair>('daemon', 'repair');
    console.log(`${mode} daemon repair: ${JSON.stringify(d)}`);
    expect(d.ready, 'the daemon became ready').toBe(true);
    expect(d.repaired, 'the piece came back within 20 s').toBe(true);
    expect(d.repairs).toContainEqual({
      item: encap === 'gue' ? `fou ${listener}` : `link ${dev}`,
      trigger: expect.stringMatching(encap === 'gue' ? /(^|\+)listener(\+|$)/ : /(^|\+)event(\+|$)/),
    });
    expect(d.exit, 'SIGTERM: exit 0').toBe(0);
  });

  it(`5. stop removes the VIP${encap === 'gue' ? ' and the GUE listener it added' : ''}, brings ${dev} down, and restores every sysctl`, () => {
    expectStopRemovesVip(v);
    const after = state('stopped', 'rs1');
    expect(after.fou).toEqual([]);
    expect(after.tunnels_up[dev] ?? false, `${dev} up after stop`).toBe(false);
    expect(changedSysctls(v.rsState('before', 'rs1'), after)).toEqual({});
  });

  it(`6. negative control: rs1 set up by hand without ${encap === 'gue' ? (family === 4 ? 'the GUE listener' : 'the IPv6 GUE listener (an IPv4 one only)') : family === 4 ? 'rp_filter 0 on gre0' : 'ip6gre0 up'} answers none`, () => {
    const naive = v.get<Requests>('naive', 'requests');
    expect(requestsServedByAll(naive, realServers), 'requests').not.toEqual([]);
    expect(naive.by.rs1 ?? 0, 'tunnelled requests answered by the naive rs1').toBe(0);
    expect(naive.by.rs2 ?? 0, 'rs2 (rs-agent) still answers its share').toBeGreaterThan(0);
    const rs1 = state('naive', 'rs1');
    expect(
      rs1.vip_addrs.map((a) => a.dev),
      'the naive rs1 holds the VIP where rs-agent would',
    ).toEqual([dev]);
  });
});

// The MSS case (guest/lib/mss.sh), in the TUN modes with IP-in-IP and GUE: all links at MTU
// 1500, the client dropping ICMP "fragmentation needed" / "packet too big", a second virtual
// service (VIP:8080) to rs2 alone. With rs-agent's default (tunnel.mss auto) the SYN-ACK
// advertises what fits after encapsulation and a 1 MB upload completes; with tunnel.mss off it
// advertises what the link allows, the director's encapsulated segments no longer fit, the
// director's ICMP never reaches the client, and the upload stalls.
const mssModes = modes.filter((m) => ['tun', 'tun6', 'tun-gue', 'tun6-gue'].includes(m));
const CLAMPED: Record<string, number> = { tun: 1440, 'tun-gue': 1428, tun6: 1400, 'tun6-gue': 1388 };

interface Upload {
  bytes: number;
  mss: number | null;
  acked: number | null;
  answer: number | null;
  error: string | null;
  seconds: number;
}
interface NftTables {
  host: string;
  tables: string[];
  mss_rules: string[];
}

describe.each(mssModes)('LVS %s cluster: MSS clamping of TUN VIPs', (mode) => {
  const v = view(mode);
  const family = mode.startsWith('tun6') ? 6 : 4;
  const clamped = CLAMPED[mode] as number;
  const unclamped = family === 4 ? 1460 : 1440;

  it(`a. rs-agent start loads table inet rs_agent on rs2, clamping the VIP's SYN-ACKs to ${clamped}`, () => {
    const nft = v.get<NftTables>('mss-auto', 'nft', 'rs2');
    expect(nft.tables).toContain('table inet rs_agent');
    expect(nft.mss_rules).toEqual([
      `tcp flags syn,ack / syn,ack ${family === 4 ? 'ip' : 'ip6'} saddr ${v.topology().vip} tcp option maxseg size > ${clamped} tcp option maxseg size set ${clamped}`,
    ]);
  });

  it(`b. with the clamp, a 1 MB upload through the tunnel completes (the client is told MSS ${clamped})`, () => {
    for (const phase of ['mss-auto', 'mss-again']) {
      const upload = v.get<Upload>(phase, 'upload');
      console.log(`${mode} ${phase}: ${JSON.stringify(upload)}`);
      expect(upload.error, `${phase}: ${JSON.stringify(upload)}`).toBeNull();
      expect(upload.mss, phase).toBe(clamped);
      expect(upload.answer, `${phase}: bytes rs2 received`).toBe(upload.bytes);
    }
  });

  it(`c. with tunnel.mss off, the table is gone, the client is told ${unclamped}, and the upload stalls`, () => {
    const off = v.rsAgent('mss-off', 'rs2');
    expect(off.exit, off.output).toBe(0);
    expect(off.output).toContain('- nft table inet rs_agent');
    expect(v.get<NftTables>('mss-off', 'nft', 'rs2').tables).not.toContain('table inet rs_agent');
    const upload = v.get<Upload>('mss-off', 'upload');
    console.log(`${mode} mss-off: ${JSON.stringify(upload)}`);
    expect(upload.mss).toBe(unclamped);
    expect(upload.error, 'the upload did not stall').toMatch(/timed out|TimeoutError/);
    expect(upload.answer).toBeNull();
    expect(upload.acked ?? 0, 'bytes acknowledged').toBeLessThan(upload.bytes);
    const again = v.rsAgent('mss-again', 'rs2');
    expect(again.exit, again.output).toBe(0);
    expect(again.output).toContain('+ nft table inet rs_agent: absent');
  });
});
