import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Daemon, eventually } from '../helpers/daemon.js';
import { TestNamespace } from '../helpers/netns.js';

// `rs-agent run` against the real kernel, each test in a network namespace of its own.

const VIP10 = 'address 192.0.2.10/32 dev lo';
const VIP11 = 'address 192.0.2.11/32 dev lo';

let ns: TestNamespace;
let daemon: Daemon | null = null;
beforeEach(async () => {
  ns = await TestNamespace.create();
});
afterEach(async () => {
  await daemon?.kill(ns);
  daemon = null;
  await ns.destroy();
});

function config(extra = ''): string {
  return `vips: [192.0.2.10, 192.0.2.11]\ninterfaces: [eth0]\ndrift:\n  sysctl_interval: 100ms\n${extra}metrics: {file: ${join(ns.dir, 'rs-agent.prom')}}\n`;
}

async function startDaemon(env: Record<string, string> = {}): Promise<Daemon> {
  daemon = new Daemon(ns, env);
  await daemon.waitFor((l) => l.event === 'ready');
  return daemon;
}

const vipsOnLo = async () => (await ns.addresses('lo')).map((a) => a.local);
const hasVip = (vip: string) => async () => (await vipsOnLo()).includes(vip);
const metrics = () => readFileSync(join(ns.dir, 'rs-agent.prom'), 'utf8');

describe('rs-agent run on the real kernel', () => {
  it('converges on start, puts back a deleted VIP and a reset sysctl, and logs each repair as one JSON line', async () => {
    ns.writeConfig(config());
    const d = await startDaemon();
    expect(await vipsOnLo()).toEqual(['127.0.0.1', '192.0.2.10', '192.0.2.11']);
    expect(await ns.sysctl('net/ipv4/conf/all/arp_ignore')).toBe('1');

    const mark = d.lines.length;
    await ns.ip(['addr', 'del', '192.0.2.10/32', 'dev', 'lo']);
    const repair = await d.waitFor((l) => l.event === 'repair' && l.item === VIP10, 5_000, mark);
    expect(repair).toMatchObject({ level: 'info', kind: 'address', action: 'add', from: 'absent', to: 'present' });
    expect(repair.trigger).toMatch(/event/);
    expect(typeof repair.duration_ms).toBe('number');
    expect(await hasVip('192.0.2.10')()).toBe(true);

    // Found by the sysctl re-read, well before the schedule (every 30 s). A kernel event
    // (IPv6 settling on eth0) can start a pass that repairs it first: then try again.
    let sysctl;
    for (let attempt = 0; attempt < 3; attempt++) {
      const from = d.lines.length;
      await ns.setSysctl('net/ipv4/conf/eth0/arp_ignore', '0');
      sysctl = await d.waitFor(
        (l) => l.event === 'repair' && l.item === 'sysctl net.ipv4.conf.eth0.arp_ignore',
        5_000,
        from,
      );
      if (String(sysctl.trigger).includes('sysctl')) break;
    }
    expect(sysctl).toMatchObject({ from: '0', to: '1' });
    expect(sysctl?.trigger).toMatch(/sysctl/);
    expect(await ns.sysctl('net/ipv4/conf/eth0/arp_ignore')).toBe('1');
    expect((await ns.cli(['check'])).exitCode).toBe(0);

    expect(metrics()).toMatch(/^rs_agent_in_sync 1$/m);
    expect(metrics()).toMatch(/^rs_agent_repairs_total\{kind="address"\} 3$/m); // 2 at start, 1 repair
    const status = JSON.parse((await ns.cli(['status', '--json'])).stdout) as {
      daemon: { running: boolean; pid: number; repairs: Record<string, number> };
    };
    expect(status.daemon).toMatchObject({ running: true, pid: d.pid });
    expect(status.daemon.repairs.address).toBe(3);
    expect((await ns.cli(['status'])).stdout).toMatch(new RegExp(`daemon:  running \\(pid ${d.pid}\\)`));
  });

  it('SIGTERM: exits 0 promptly and leaves the VIPs in place', async () => {
    ns.writeConfig(config());
    const d = await startDaemon();
    const t0 = Date.now();
    d.signal('SIGTERM');
    expect(await d.exit()).toEqual({ exitCode: 0, signal: undefined });
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(d.lines.at(-1)).toMatchObject({ event: 'stopped', signal: 'SIGTERM' });
    expect(await vipsOnLo()).toEqual(['127.0.0.1', '192.0.2.10', '192.0.2.11']);
    expect((await ns.cli(['check'])).exitCode).toBe(0);
    const status = JSON.parse((await ns.cli(['status', '--json'])).stdout) as { daemon: { running: boolean } };
    expect(status.daemon.running).toBe(false);
    // Its `ip monitor` child is gone too: no process is left in the namespace.
    expect(await eventually(async () => (await execa('ip', ['netns', 'pids', ns.name])).stdout === '')).toBe(true);
  });

  it('SIGHUP with a broken config keeps the old one in force; with a valid one it takes the new one', async () => {
    ns.writeConfig(config());
    const d = await startDaemon();
    ns.writeConfig('vips: [192.0.2.10]\narp: {ignore: 0}\n');
    d.signal('SIGHUP');
    const rejected = await d.waitFor((l) => l.event === 'reload-rejected');
    expect(rejected.level).toBe('error');
    expect(rejected.message).toMatch(/arp\.ignore: 0 must be 1 or 2/);
    const mark = d.lines.length;
    await ns.ip(['addr', 'del', '192.0.2.11/32', 'dev', 'lo']);
    await d.waitFor((l) => l.event === 'repair' && l.item === VIP11, 5_000, mark);
    expect(await eventually(hasVip('192.0.2.11'))).toBe(true);

    ns.writeConfig(config().replace('192.0.2.11]', '192.0.2.11, 192.0.2.12]'));
    d.signal('SIGHUP');
    await d.waitFor((l) => l.event === 'reloaded');
    await d.waitFor(
      (l) => l.event === 'repair' && l.item === 'address 192.0.2.12/32 dev lo' && String(l.trigger).includes('reload'),
    );
    expect(await vipsOnLo()).toEqual(['127.0.0.1', '192.0.2.10', '192.0.2.11', '192.0.2.12']);
    expect(JSON.parse((await ns.cli(['status', '--json'])).stdout).daemon.reloads).toEqual({ applied: 1, rejected: 1 });
  });

  it('flap backoff: against a loop that keeps deleting a VIP it logs an error, backs off, and keeps repairing the rest', async () => {
    ns.writeConfig(config('  flap: {max_repairs: 3, window: 30s, backoff: 5s, max_backoff: 20s}\n'));
    const d = await startDaemon();
    const loop = execa(
      'ip',
      [
        'netns',
        'exec',
        ns.name,
        'sh',
        '-c',
        'while :; do ip addr del 192.0.2.10/32 dev lo 2>/dev/null; sleep 0.02; done',
      ],
      { reject: false },
    );
    let trip;
    try {
      trip = await d.waitFor((l) => l.event === 'flap-backoff');
      // The start pass added it once, the loop made it drift three more times.
      expect(trip).toMatchObject({ level: 'error', item: VIP10, repairs: 4, backoff_s: 5 });
      expect(trip.message).toMatch(/address 192\.0\.2\.10\/32 dev lo keeps drifting: repaired 4 times within 30 s/);
      expect(d.repairsOf(VIP10)).toHaveLength(4);

      const status = JSON.parse((await ns.cli(['status', '--json'])).stdout) as {
        daemon: { flapTrips: number; held: { item: string; heldUntil: string | null }[] };
      };
      expect(status.daemon.flapTrips).toBe(1);
      expect(status.daemon.held.find((h) => h.item === VIP10)?.heldUntil).toBeTruthy();
      expect((await ns.cli(['status'])).stdout).toMatch(/address 192\.0\.2\.10\/32 dev lo: HELD BACK until/);
      expect(metrics()).toMatch(/^rs_agent_flap_backoffs_total 1$/m);
      expect(metrics()).toMatch(/^rs_agent_flap_backoff_items 1$/m);

      // Held back: other items are still repaired meanwhile.
      const mark = d.lines.length;
      await ns.ip(['addr', 'del', '192.0.2.11/32', 'dev', 'lo']);
      await d.waitFor((l) => l.event === 'repair' && l.item === VIP11, 5_000, mark);
    } finally {
      loop.kill('SIGKILL');
      await loop;
    }
    // Once the backoff ends, the VIP is put back without waiting for an event, and not before.
    const back = await d.waitFor(
      (l) => l.event === 'repair' && l.item === VIP10 && String(l.trigger).includes('backoff'),
      15_000,
    );
    expect(Date.parse(back.time) - Date.parse(trip.time)).toBeGreaterThanOrEqual(5_000);
    expect(d.repairsOf(VIP10)).toHaveLength(5);
    expect(await eventually(hasVip('192.0.2.10'))).toBe(true);
  });

  it('lock: check --fix during a daemon reconcile waits for it, then works on fresh observations', async () => {
    // An `ip` that takes a second for every mutating batch, for the daemon only: its
    // reconcile holds the lock that long, after it has observed.
    const bin = join(ns.dir, 'bin');
    const marker = join(ns.dir, 'applying');
    mkdirSync(bin);
    const realIp = (await execa('sh', ['-c', 'command -v ip'])).stdout;
    writeFileSync(
      join(bin, 'ip'),
      `#!/bin/sh\ncase " $* " in *" -force "*) touch ${marker}; sleep 1;; esac\nexec ${realIp} "$@"\n`,
    );
    chmodSync(join(bin, 'ip'), 0o755);
    ns.writeConfig(config());
    const d = await startDaemon({ PATH: `${bin}:${process.env.PATH ?? ''}` });
    await execa('rm', ['-f', marker]);

    const mark = d.lines.length;
    await ns.ip(['addr', 'del', '192.0.2.11/32', 'dev', 'lo']);
    expect(await eventually(async () => existsSync(marker))).toBe(true);
    expect(readFileSync(join(ns.stateDir, 'lock'), 'utf8').trim().split(/\s+/)[0]).toBe(String(d.pid));
    const t0 = Date.now();
    const check = await ns.cli(['check', '--fix']);
    const waited = Date.now() - t0;
    // It observed after the daemon's repair: nothing left for it to do.
    expect(check).toEqual({ exitCode: 0, stdout: 'in sync', stderr: '' });
    expect(waited).toBeGreaterThan(500);
    expect(d.repairsOf(VIP11).filter((l) => d.lines.indexOf(l) >= mark)).toHaveLength(1);
    expect((await ns.addresses('lo')).filter((a) => a.local === '192.0.2.11')).toHaveLength(1);
  });

  it('restarts its ip monitor child when that dies, and repairs what changed meanwhile', async () => {
    ns.writeConfig(config('  schedule: "0 0 1 1 *"\n')); // no scheduled pass to repair it first
    const d = await startDaemon();
    const pids = (await execa('ip', ['netns', 'pids', ns.name])).stdout.split('\n').filter(Boolean);
    const monitor = pids.find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('ip\0monitor'));
    expect(monitor).toBeDefined();
    process.kill(Number(monitor), 'SIGKILL');
    await ns.ip(['addr', 'del', '192.0.2.10/32', 'dev', 'lo']); // while no one watches
    const ended = await d.waitFor((l) => l.event === 'monitor-ended');
    expect(ended.message).toMatch(/ip monitor address route link ended: signal SIGKILL; restarting it in 1 s/);
    const mark = d.lines.indexOf(ended);
    const repair = await d.waitFor((l) => l.event === 'repair' && l.item === VIP10, 10_000, mark);
    expect(repair.trigger).toMatch(/event/); // the pass asked for when the new child started
    expect(await hasVip('192.0.2.10')()).toBe(true);
  });

  it('tells systemd it is ready after the first convergence (READY=1 on $NOTIFY_SOCKET)', async () => {
    ns.writeConfig(config());
    const socket = join(ns.dir, 'notify.sock');
    const listener = execa('python3', [
      '-c',
      [
        'import socket, sys',
        's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
        `s.bind(${JSON.stringify(socket)})`,
        'print("listening", flush=True)',
        's.settimeout(20)',
        'print(s.recv(4096).decode(), flush=True)',
      ].join('\n'),
    ]);
    await eventually(async () => existsSync(socket));
    const d = await startDaemon({ NOTIFY_SOCKET: socket });
    const received = (await listener).stdout;
    expect(received).toMatch(/READY=1/);
    expect(received).toMatch(new RegExp(`MAINPID=${d.pid}`));
    // Sent only once converged.
    expect(await vipsOnLo()).toContain('192.0.2.10');
  });

  it('a config that does not validate: exit 2 with one line naming the key, nothing changed', async () => {
    ns.writeConfig('vips: [192.0.2.10]\ndrift: {schedule: "61 * * * *"}\n');
    const r = await ns.cli(['run']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^rs-agent: config .*: drift\.schedule: "61 \* \* \* \*" is not a valid cron expression/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(await vipsOnLo()).toEqual(['127.0.0.1']);
    await sleep(0);
  });

  it('a configured NIC that vanishes: logged once, everything else still repaired; when it returns it is set up at once', async () => {
    await ns.ip(['link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1-peer']);
    ns.writeConfig(
      `vips: [192.0.2.10, 192.0.2.11]\ninterfaces: [eth0, eth1]\ndrift:\n  sysctl_interval: 100ms\n  schedule: "0 0 1 1 *"\n`,
    );
    const d = await startDaemon();
    expect(await ns.sysctl('net/ipv4/conf/eth1/arp_ignore')).toBe('1');
    let mark = d.lines.length;
    await ns.ip(['link', 'del', 'eth1']); // a VLAN or bond rebuilt, a card unplugged
    const gone = await d.waitFor((l) => l.event === 'unavailable', 5_000, mark);
    expect(gone).toMatchObject({ level: 'error' });
    expect(gone.message).toMatch(/interfaces\[1\]: "eth1": no such network interface/);

    // Still guarding: a deleted VIP and a reset sysctl on eth0 are repaired.
    mark = d.lines.length;
    await ns.ip(['addr', 'del', '192.0.2.10/32', 'dev', 'lo']);
    await d.waitFor((l) => l.event === 'repair' && l.item === VIP10, 5_000, mark);
    await ns.setSysctl('net/ipv4/conf/eth0/arp_ignore', '0');
    await d.waitFor((l) => l.event === 'repair' && l.item === 'sysctl net.ipv4.conf.eth0.arp_ignore', 5_000, mark);
    expect(await ns.sysctl('net/ipv4/conf/eth0/arp_ignore')).toBe('1');
    expect(d.lines.slice(mark).filter((l) => l.event === 'unavailable')).toEqual([]); // not once per pass
    expect((await ns.cli(['check'])).exitCode).toBe(1);

    // Back: the kernel's link event brings a pass that sets its sysctls.
    mark = d.lines.length;
    await ns.ip(['link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1-peer']);
    await ns.setSysctl('net/ipv4/conf/eth1/arp_ignore', '0');
    await d.waitFor((l) => l.event === 'available', 5_000, mark);
    await eventually(async () => (await ns.sysctl('net/ipv4/conf/eth1/arp_ignore')) === '1');
    expect((await ns.cli(['check'])).exitCode).toBe(0);
  });
});
