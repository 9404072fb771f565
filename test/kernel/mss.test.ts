import { execa, type ResultPromise } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Daemon } from '../helpers/daemon.js';
import { TestNamespace } from '../helpers/netns.js';

// The MSS clamp on the real kernel: a TCP server in the namespace listens on the TUN
// VIPs, a client in a peer namespace connects, and the MSS it is told (TCP_MAXSEG after
// the handshake, with timestamps off so no option eats into it) is what the SYN-ACK
// carried. This kernel has no ipip or ip6_tunnel, and nothing may be loaded for the host:
// modprobe is stubbed to succeed without loading anything, so tunl0 and ip6tnl0 never
// appear and the VIPs cannot go there (start exits 2 naming them); the test puts them on
// lo itself. The clamp matches the SYN-ACK's source address, wherever the VIP sits (a
// modprobe that fails would rightly skip the clamp of VIPs that cannot be placed: see
// test/apply/mss.test.ts). The tunnelled path itself runs in the VM (test/e2e).

const VIP4 = '192.0.2.100';
const VIP6 = '2001:db8::100';
const CONFIG = `vips:\n  - {address: ${VIP4}, mode: tun}\n  - {address: "${VIP6}", mode: tun, encap: gue, port: 6080}\ninterfaces: [eth0]\n`;

const SERVER = [
  'import socket',
  's = socket.socket(socket.AF_INET6)',
  's.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
  's.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)',
  "s.bind(('::', 8080))",
  's.listen(64)',
  'print("listening", flush=True)',
  'while True:',
  '    c, _ = s.accept()',
  '    c.close()',
].join('\n');
const CLIENT =
  'import socket, sys\ns = socket.create_connection((sys.argv[1], 8080), timeout=3)\nprint(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG))';

let ns: TestNamespace;
let peer: string;
let server: ResultPromise | null = null;
let daemon: Daemon | null = null;
let noModules: Record<string, string>; // modprobe that loads nothing

beforeEach(async () => {
  ns = await TestNamespace.create();
  peer = `${ns.name}-peer`;
  await execa('ip', ['netns', 'add', peer]);
  await ns.ip(['link', 'set', 'eth0-peer', 'netns', peer]);
  const inPeer = (args: string[]) => execa('ip', ['-n', peer, ...args]);
  await inPeer(['link', 'set', 'lo', 'up']);
  await inPeer(['link', 'set', 'eth0-peer', 'up']);
  await inPeer(['addr', 'add', '10.99.0.2/24', 'dev', 'eth0-peer']);
  await inPeer(['addr', 'add', 'fd00::2/64', 'dev', 'eth0-peer', 'nodad']);
  await inPeer(['route', 'add', `${VIP4}/32`, 'via', '10.99.0.1']);
  await inPeer(['-6', 'route', 'add', `${VIP6}/128`, 'via', 'fd00::1']);
  await execa('ip', ['netns', 'exec', peer, 'sh', '-c', 'echo 0 > /proc/sys/net/ipv4/tcp_timestamps']);
  await ns.ip(['addr', 'add', '10.99.0.1/24', 'dev', 'eth0']);
  await ns.ip(['addr', 'add', 'fd00::1/64', 'dev', 'eth0', 'nodad']);
  await ns.ip(['route', 'add', 'default', 'via', '10.99.0.2']);
  await ns.ip(['-6', 'route', 'add', 'default', 'via', 'fd00::2']);
  await ns.ip(['addr', 'add', `${VIP4}/32`, 'dev', 'lo']);
  await ns.ip(['addr', 'add', `${VIP6}/128`, 'dev', 'lo', 'nodad']);
  server = execa('ip', ['netns', 'exec', ns.name, 'python3', '-c', SERVER], { reject: false, buffer: false });
  await new Promise<void>((resolve) => server?.stdout?.once('data', () => resolve()));
  noModules = ns.stubCommand('modprobe', 'exit 0');
});
afterEach(async () => {
  if (daemon) await daemon.kill(ns);
  daemon = null;
  server?.kill('SIGKILL');
  await server;
  await execa('ip', ['netns', 'del', peer], { reject: false });
  await ns.destroy();
});

// The MSS the client was told, connecting to a VIP.
async function mssSeen(vip: string): Promise<number> {
  const r = await execa('ip', ['netns', 'exec', peer, 'python3', '-c', CLIENT, vip]);
  return Number(r.stdout.trim());
}

const table = async (): Promise<string> =>
  (await execa('ip', ['netns', 'exec', ns.name, 'nft', 'list', 'table', 'inet', 'rs_agent'], { reject: false })).stdout;

describe('MSS clamping for TUN VIPs on the real kernel', () => {
  it('unclamped, the client is told what the link allows: 1460 (IPv4), 1440 (IPv6)', async () => {
    expect(await mssSeen(VIP4)).toBe(1460);
    expect(await mssSeen(VIP6)).toBe(1440);
  });

  it('start clamps IPIP over IPv4 to 1440 and GUE over IPv6 to 1388; flushed: check reports it, --fix repairs; stop removes it', async () => {
    ns.writeConfig(CONFIG);
    const started = await ns.cli(['start'], noModules);
    // Exit 2: tunl0 and ip6tnl0 never appear here; the clamp is loaded all the same.
    expect(started.exitCode).toBe(2);
    expect(started.stdout).toContain(`+ nft table inet rs_agent: absent → ${VIP4} 1440, ${VIP6} 1388`);
    expect(await mssSeen(VIP4)).toBe(1440);
    expect(await mssSeen(VIP6)).toBe(1388);
    const status = await ns.cli(['status'], noModules);
    expect(status.stdout).toMatch(
      new RegExp(
        `^  ${VIP4}: mss 1440 in force \\(auto: MTU 1500 \\(of eth0, default route\\) - ipip 20 - IPv4 20 - TCP 20\\)$`,
        'm',
      ),
    );
    expect(status.stdout).toMatch(
      /^MSS clamp \(nftables table inet rs_agent\): tunnel\.mss auto; table present \(loaded by rs-agent\)$/m,
    );

    await ns.exec(['nft', 'flush', 'table', 'inet', 'rs_agent']);
    expect(await mssSeen(VIP4)).toBe(1460);
    const drift = await ns.cli(['check'], noModules);
    expect(drift.exitCode).toBe(1);
    expect(drift.stdout).toContain(`drift: nft table inet rs_agent: flushed → ${VIP4} 1440, ${VIP6} 1388`);
    expect((await ns.cli(['status'], noModules)).stdout).toContain(`${VIP4}: mss 1440 NOT IN FORCE`);
    const fixed = await ns.cli(['check', '--fix'], noModules);
    expect(fixed.stdout).toContain(`+ nft table inet rs_agent: flushed → ${VIP4} 1440, ${VIP6} 1388`);
    expect(await mssSeen(VIP4)).toBe(1440);
    expect((await ns.cli(['check'], noModules)).stdout).not.toContain('nft table inet');

    const stopped = await ns.cli(['stop'], noModules);
    expect(stopped.exitCode).toBe(0);
    expect(stopped.stdout).toContain(`- nft table inet rs_agent: ${VIP4} 1440, ${VIP6} 1388 → absent`);
    expect(await table()).toBe('');
    expect(await mssSeen(VIP4)).toBe(1460);
  });

  it('a number per family; the ARP guard keeps its own arp table beside the inet one (and the traffic counters theirs)', async () => {
    ns.writeConfig(`${CONFIG}tunnel: {mss: {ipv4: 1300}}\n`);
    await ns.cli(['start'], noModules);
    expect(await mssSeen(VIP4)).toBe(1300);
    expect(await mssSeen(VIP6)).toBe(1388);
    expect((await ns.exec(['nft', 'list', 'tables'])).split('\n').sort()).toEqual([
      'table arp rs_agent',
      'table inet rs_agent',
      'table inet rs_agent_traffic',
    ]);
  });

  it('tunnel.mss off: no table, the client is told 1460', async () => {
    ns.writeConfig(`${CONFIG}tunnel: {mss: off}\n`);
    const started = await ns.cli(['start'], noModules);
    expect(started.stdout).not.toContain('mss');
    expect(await table()).toBe('');
    expect(await mssSeen(VIP4)).toBe(1460);
  });

  // The scheduled reconcile is every 30 s by default and no sysctl changes: a repair within
  // seconds can only come from the daemon's `nft monitor` source.
  it('the daemon repairs a deleted or flushed table at once: the MSS clamp and the ARP guard', async () => {
    ns.writeConfig(CONFIG);
    daemon = new Daemon(ns, noModules);
    await daemon.waitFor((l) => l.event === 'ready', 20_000);
    expect(await mssSeen(VIP4)).toBe(1440);
    const cases = [
      ['delete', 'inet', 'nft table inet rs_agent', 'absent'],
      ['flush', 'inet', 'nft table inet rs_agent', 'flushed'],
      ['flush', 'arp', 'nft table arp rs_agent', 'altered'],
      ['delete', 'arp', 'nft table arp rs_agent', 'absent'],
    ] as const;
    for (const [verb, family, item, from] of cases) {
      const mark = daemon.lines.length;
      const t0 = Date.now();
      await ns.exec(['nft', verb, 'table', family, 'rs_agent']);
      const repair = await daemon.waitFor((l) => l.event === 'repair' && l.item === item, 8_000, mark);
      console.log(
        `nft ${verb} table ${family} rs_agent: repaired after ${Date.now() - t0} ms (trigger ${String(repair.trigger)})`,
      );
      expect(repair.from).toBe(from);
      expect(repair.trigger).toMatch(/event/);
    }
    expect(await mssSeen(VIP4)).toBe(1440);
  });
});
