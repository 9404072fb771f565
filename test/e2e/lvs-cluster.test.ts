// End to end: a real LVS cluster (client, IPVS director, two real servers on one bridge) in a
// VM whose kernel has ipip and ip_vs; the real servers are configured by rs-agent alone.
// One VM boot runs both modes (DR first: TUN's start must find ipip not yet loaded).
// See README.md in this directory for what runs where and how to reproduce it by hand.
import { beforeAll, describe, expect, it } from 'vitest';
import { type ClusterRun, type Mode, observation, runCluster } from './cluster-run.js';
import {
  type ArpCapture, type Arping, type Neigh, type Requests,
  arpAnsweredOnlyBy, neighIsDirector, noRealServerArpReply, requestsServedByAll,
} from './properties.js';

const modes: Mode[] = ['dr', 'tun'];
const realServers = ['rs1', 'rs2'];

interface Topology { vip: string; macs: Record<string, string> }
interface RsAgentRun { host: string; args: string; exit: number; output: string }
interface RsState {
  host: string;
  ipip_loaded: boolean;
  sysctls: Record<string, number>;
  vip_addrs: unknown[];
  vip_routes: unknown[];
}

let run: ClusterRun;

beforeAll(async () => {
  run = await runCluster(modes);
  console.log(`e2e VM run (${modes.join(' + ')}): ${run.seconds.toFixed(0)} s; console: ${run.consoleLog}`);
}, 30 * 60_000);

describe.each(modes)('LVS %s cluster configured by rs-agent', (mode) => {
  const get = <T>(phase: string, obs: string, host?: string) => observation<T>(run, mode, phase, obs, host);
  const macs = () => get<Topology>('setup', 'topology').macs;
  const director = () => macs().director!;
  const rsMacs = () => Object.fromEntries(realServers.map((rs) => [rs, macs()[rs]!]));
  const rsAgent = (phase: string, host: string) => get<RsAgentRun>(phase, 'rs-agent', host);

  it('0. the real servers start as distributions leave them, and rs-agent start succeeds', () => {
    for (const rs of realServers) {
      const before = get<RsState>('before', 'rs-state', rs);
      expect(before.sysctls, rs).toMatchObject({ 'all.rp_filter': 1, 'default.rp_filter': 1, 'eth0.rp_filter': 1 });
      expect(before.vip_addrs, rs).toEqual([]);
      // rs-agent has to load ipip itself: nothing did before it.
      expect(before.ipip_loaded, `${rs}: ipip loaded before start`).toBe(false);
      const start = rsAgent('start', rs);
      expect(start.exit, `${rs}: rs-agent start: ${start.output}`).toBe(0);
    }
  });

  it('1. every request to VIP:80 is answered, and both real servers answer some', () => {
    expect(requestsServedByAll(get<Requests>('started', 'requests'), realServers)).toEqual([]);
  });

  it('2. only the director answers ARP for the VIP (arping sees one MAC)', () => {
    expect(arpAnsweredOnlyBy(get<Arping>('started', 'arping'), director())).toEqual([]);
  });

  it("3. the client's neighbour entry for the VIP is the director's MAC", () => {
    expect(neighIsDirector(get<Neigh>('started', 'neigh'), director())).toEqual([]);
  });

  it('4. while rs-agent start runs, no real server answers ARP for the VIP', () => {
    expect(noRealServerArpReply(get<ArpCapture>('start', 'arp-capture'), director(), rsMacs())).toEqual([]);
  });

  it('5. drift: a deleted VIP makes check exit 1, check --fix repairs it, all requests answered again', () => {
    // The drift must be real: the VIP was there to delete, and requests sent to rs1 failed.
    expect(get<{ dev: string }>('drift', 'vip-deleted').dev, 'rs1 had no VIP to delete').not.toBe('');
    const during = get<Requests>('drift', 'requests');
    expect(during.answered, 'requests during drift: all answered, so the drift broke nothing').toBeLessThan(during.sent);

    const check = rsAgent('drift', 'rs1');
    expect(check.exit, `rs-agent check on drift: ${check.output}`).toBe(1);
    const fix = rsAgent('fix', 'rs1');
    expect(fix.exit, `rs-agent check --fix: ${fix.output}`).toBe(0);
    const recheck = rsAgent('fixed', 'rs1');
    expect(recheck.exit, `rs-agent check after --fix: ${recheck.output}`).toBe(0);
    expect(requestsServedByAll(get<Requests>('fixed', 'requests'), realServers)).toEqual([]);
  });

  it('6. stop removes the VIP and puts every sysctl back to its value before start', () => {
    const stop = rsAgent('stop', 'rs1');
    expect(stop.exit, `rs-agent stop: ${stop.output}`).toBe(0);
    const before = get<RsState>('before', 'rs-state', 'rs1');
    const after = get<RsState>('stopped', 'rs-state', 'rs1');
    expect(after.vip_addrs, 'VIP addresses left after stop').toEqual([]);
    expect(after.vip_routes, 'routes to the VIP left after stop').toEqual([]);
    const afterOfBefore = Object.fromEntries(Object.keys(before.sysctls).map((k) => [k, after.sysctls[k]]));
    expect(afterOfBefore).toEqual(before.sysctls);
  });

  if (mode === 'tun') {
    it('6. stop leaves tunl0 (created by start) with the values the kernel gives a new interface', () => {
      // tunl0 did not exist before start; modprobe ipip created it with a copy of `default`
      // (DESIGN.md §2). Writing `default` later also rewrites every interface whose key was
      // never written, so an original recorded after that write is not the original.
      const before = get<RsState>('before', 'rs-state', 'rs1');
      const after = get<RsState>('stopped', 'rs-state', 'rs1');
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
    expect(arpAnsweredOnlyBy(get<Arping>('naive', 'arping'), director()), 'arping').not.toEqual([]);
    expect(noRealServerArpReply(get<ArpCapture>('naive', 'arp-capture'), director(), rsMacs()),
      'ARP capture while configuring').not.toEqual([]);
    if (mode === 'tun') {
      // The client is pinned to the director here, so every request goes through the tunnel.
      const naive = get<Requests>('naive', 'requests');
      expect(requestsServedByAll(naive, realServers), 'requests').not.toEqual([]);
      expect(naive.by.rs1 ?? 0, 'tunnelled requests answered by the naive rs1').toBe(0);
    }
  });
});
