import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Daemon, eventually } from '../helpers/daemon.js';
import { argvOfChildren } from '../helpers/kill-point.js';
import { TestNamespace } from '../helpers/netns.js';

// `rs-agent run` against the real kernel, each test in a network namespace of its own:
// what only the real kernel and a real process show (events delivered by ip monitor, the
// re-read of the real /proc, a slow ip holding the lock, a monitor child killed, signals,
// systemd's readiness notice). The daemon's logic (backoff, hold, urgency, reload of the
// file and of `source:`, the store, shutdown mid-pass) is tested in-process, on fake
// timers: test/daemon/. Waits here are for log lines, with deadlines that only say when to
// give up, never how fast something must be.

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

// The sysctls re-read every 100 ms with the ARP guard in force too, as they are with it off:
// the guarded cadence has tests of its own (below).
function config(extra = ''): string {
  return `vips: [192.0.2.10, 192.0.2.11]\ninterfaces: [eth0]\ndrift:\n  sysctl_interval: 100ms\n  sysctl_interval_guarded: 100ms\n${extra}metrics: {file: ${join(ns.dir, 'rs-agent.prom')}}\n`;
}

async function startDaemon(env: Record<string, string> = {}): Promise<Daemon> {
  daemon = new Daemon(ns, env);
  await daemon.waitFor((l) => l.event === 'ready', 20_000);
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
    const repair = await d.waitFor((l) => l.event === 'repair' && l.item === VIP10, 20_000, mark);
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
        20_000,
        from,
      );
      if (String(sysctl.trigger).includes('sysctl')) break;
    }
    expect(sysctl).toMatchObject({ from: '0', to: '1' });
    expect(sysctl?.trigger).toMatch(/sysctl/);
    expect(await ns.sysctl('net/ipv4/conf/eth0/arp_ignore')).toBe('1');
    expect((await ns.cli(['check'])).exitCode).toBe(0);

    expect(metrics()).toMatch(/^rs_agent_in_sync 1$/m);
    expect(metrics()).toMatch(/^rs_agent_repairs_total\{kind="address"\} 1$/m);
    expect(metrics()).toMatch(/^rs_agent_changes_total\{kind="address"\} 2$/m); // the first pass's
    const status = JSON.parse((await ns.cli(['status', '--json'])).stdout) as {
      daemon: { running: boolean; pid: number; repairs: Record<string, number> };
    };
    expect(status.daemon).toMatchObject({ running: true, pid: d.pid });
    expect(status.daemon.repairs.address).toBe(1);
    expect((await ns.cli(['status'])).stdout).toMatch(new RegExp(`daemon:  running \\(pid ${d.pid}\\)`));
  });

  it('SIGTERM: exits 0 and leaves the VIPs in place', async () => {
    ns.writeConfig(config());
    const d = await startDaemon();
    d.signal('SIGTERM');
    expect(await d.exit()).toEqual({ exitCode: 0, signal: undefined });
    expect(d.lines.at(-1)).toMatchObject({ event: 'stopped', signal: 'SIGTERM' });
    expect(await vipsOnLo()).toEqual(['127.0.0.1', '192.0.2.10', '192.0.2.11']);
    expect((await ns.cli(['check'])).exitCode).toBe(0);
    const status = JSON.parse((await ns.cli(['status', '--json'])).stdout) as { daemon: { running: boolean } };
    expect(status.daemon.running).toBe(false);
    // Its `ip monitor` child is gone too: no process is left in the namespace.
    expect(await eventually(async () => (await execa('ip', ['netns', 'pids', ns.name])).stdout === '', 20_000)).toBe(
      true,
    );
  });

  it('lock: check --fix during a daemon reconcile waits for it, then works on fresh observations', async () => {
    // An `ip` that, when given the line of the daemon's batch that adds 192.0.2.11, waits
    // for a gate the test opens before passing it on to the real ip: the daemon's reconcile
    // holds the lock, after it has observed, for as long as the test needs, however fast or
    // slow the machine. A line, not a process: the daemon's passes feed one long-lived `ip`
    // started with it (daemon/ip-session.ts), and one-off batches read their lines the same.
    const bin = join(ns.dir, 'bin');
    const marker = join(ns.dir, 'applying');
    const gate = join(ns.dir, 'gate');
    mkdirSync(bin);
    const realIp = (await execa('sh', ['-c', 'command -v ip'])).stdout;
    writeFileSync(
      join(bin, 'ip'),
      [
        '#!/bin/sh',
        `case " $* " in *" -force "*) ;; *) exec ${realIp} "$@";; esac`,
        'while IFS= read -r line; do',
        `  case "$line" in "address add 192.0.2.11/32 "*) touch ${marker}; while [ ! -e ${gate} ]; do sleep 0.05; done;; esac`,
        `  printf '%s\\n' "$line"`,
        `done | ${realIp} "$@"`,
        '',
      ].join('\n'),
    );
    chmodSync(join(bin, 'ip'), 0o755);
    ns.writeConfig(config());
    writeFileSync(gate, ''); // the start-up reconcile goes through
    const d = await startDaemon({ PATH: `${bin}:${process.env.PATH ?? ''}` });
    await execa('rm', ['-f', marker, gate]);

    const mark = d.lines.length;
    await ns.ip(['addr', 'del', '192.0.2.11/32', 'dev', 'lo']);
    expect(await eventually(async () => existsSync(marker), 20_000)).toBe(true);
    expect(readFileSync(join(ns.stateDir, 'lock'), 'utf8').trim().split(/\s+/)[0]).toBe(String(d.pid));
    const check = execa('ip', ns.cliArgv(['check', '--fix']), { reject: false });
    // The check waits in flock for the daemon's lock (its flock child is there, the daemon's
    // batch still held); only then does the daemon's batch go on.
    const waiting = await eventually(
      async () => argvOfChildren(check.pid!).some((argv) => basename(argv[0] ?? '') === 'flock'),
      20_000,
    );
    expect(waiting, 'check --fix waiting in flock for the lock').toBe(true);
    expect(d.repairsOf(VIP11).filter((l) => d.lines.indexOf(l) >= mark)).toHaveLength(0);
    writeFileSync(gate, '');
    const r = await check;
    // It observed after the daemon's repair: nothing left for it to do.
    expect({ exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr }).toEqual({
      exitCode: 0,
      stdout: 'in sync',
      stderr: '',
    });
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
    const ended = await d.waitFor((l) => l.event === 'monitor-ended', 20_000);
    expect(ended.message).toMatch(/ip monitor address route link ended: signal SIGKILL; restarting it in 1 s/);
    const mark = d.lines.indexOf(ended);
    const repair = await d.waitFor((l) => l.event === 'repair' && l.item === VIP10, 20_000, mark);
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
});

// `nft monitor` hears of a change only once it has read the ruleset and joined the kernel's
// nftables events; on a loaded host that takes a while after it starts. Here the daemon's
// nft is a stand-in that holds each `nft monitor` before it runs the real one until the test
// opens its gate, so the gap is as long as the test wants: the ARP guard flushed in it has
// no event. The daemon must list its tables on every pass until the monitor has joined, and
// the join must ask for a pass, at start and after a restart; the schedule is a year away.

const GUARD = 'nft table arp rs_agent';
const GUARDED =
  'vips: [192.0.2.10]\ninterfaces: [eth0]\narp: {guard: nftables}\n' +
  'drift: {schedule: "0 0 1 1 *", sysctl_interval: 100ms}\n';

// nft, except that the n-th `nft monitor` writes its pid to started.N and waits for open.N.
function heldMonitors(gates: string, realNft: string): Record<string, string> {
  mkdirSync(gates);
  return ns.stubCommand(
    'nft',
    [
      'if [ "$1" = monitor ]; then',
      `  n=$(ls ${gates} | grep -c '^started')`,
      `  echo $$ > ${gates}/started.$n`,
      `  while [ ! -e ${gates}/open.$n ]; do sleep 0.05; done`,
      'fi',
      `exec ${realNft} "$@"`,
    ].join('\n'),
  );
}

// Until the count of passes has stood still for half a second (what the kernel test can
// know of a pass that logs nothing).
async function quiet(count: () => number): Promise<void> {
  for (let last = -1; count() !== last;) {
    last = count();
    await sleep(500);
  }
}

describe('the daemon and an nft monitor that has not joined yet', () => {
  it('a guard flushed before nft monitor joined is repaired by the next pass and by the join, at start and after a restart', async () => {
    const realNft = (await execa('sh', ['-c', 'command -v nft'])).stdout.trim();
    const gates = join(ns.dir, 'gates');
    ns.writeConfig(GUARDED);
    daemon = new Daemon(ns, heldMonitors(gates, realNft));
    const d = daemon;
    const ready = await d.waitFor((l) => l.event === 'ready', 20_000);
    expect(ready.not_watching, 'ready names the held nft monitor').toBe('nft monitor');
    const passes = () =>
      (JSON.parse(readFileSync(join(ns.stateDir, 'daemon.json'), 'utf8')) as { reconciles: Record<string, number> })
        .reconciles.event ?? 0;
    const allPasses = () =>
      Object.values(
        (JSON.parse(readFileSync(join(ns.stateDir, 'daemon.json'), 'utf8')) as { reconciles: Record<string, number> })
          .reconciles,
      ).reduce((sum, n) => sum + n, 0);
    // While the monitor is held, nothing hears the flush: the table stays empty. A pass asked
    // for before it (the event of the daemon's own repair of a VIP) would list the table and
    // repair it, heard or not: the daemon is let fall quiet first. Once the monitor has
    // joined, the repair may come before `nft list` could show the flush, so it is not looked at.
    const flushGuard = async (heard = false) => {
      if (!heard) await quiet(allPasses);
      await ns.exec(['nft', 'flush', 'table', 'arp', 'rs_agent']);
      if (!heard) expect(await ns.exec(['nft', 'list', 'table', 'arp', 'rs_agent'])).not.toContain('drop');
    };
    for (const n of [0, 1]) {
      expect(await eventually(async () => existsSync(join(gates, `started.${n}`)), 20_000)).toBe(true);
      // Held: a pass for a VIP's kernel event lists the guard's table too.
      await flushGuard();
      let mark = d.lines.length;
      await ns.ip(['addr', 'del', '192.0.2.10/32', 'dev', 'lo']);
      await d.waitFor((l) => l.event === 'repair' && l.item === VIP10, 20_000, mark);
      const withVip = await d.waitFor((l) => l.event === 'repair' && l.item === GUARD, 20_000, mark);
      expect(withVip.trigger).toMatch(/event/);
      // Still held: flushed again, nothing else happens; the join asks for a pass.
      await flushGuard();
      mark = d.lines.length;
      writeFileSync(join(gates, `open.${n}`), '');
      const onJoin = await d.waitFor((l) => l.event === 'repair' && l.item === GUARD, 20_000, mark);
      expect(onJoin.from).toBe('altered');
      if (n === 0) {
        // Ready came before the join: once the join's pass has run, the daemon says it watches.
        const watching = await d.waitFor((l) => l.event === 'watching', 20_000, mark);
        expect(d.lines.indexOf(watching)).toBeGreaterThan(d.lines.indexOf(onJoin));
      }
      // Joined: its events are heard.
      mark = d.lines.length;
      await flushGuard(true);
      await d.waitFor((l) => l.event === 'repair' && l.item === GUARD, 20_000, mark);
      if (n === 1) break;
      // The monitor killed: the daemon restarts it after 1 s, and that restart's own pass
      // is let end before the guard is flushed again.
      await quiet(passes);
      const before = passes();
      const pid = Number(readFileSync(join(gates, 'started.0'), 'utf8'));
      mark = d.lines.length;
      process.kill(pid, 'SIGKILL');
      await d.waitFor((l) => l.event === 'monitor-ended', 20_000, mark);
      expect(await eventually(async () => existsSync(join(gates, 'started.1')), 20_000)).toBe(true);
      expect(await eventually(async () => passes() > before, 20_000)).toBe(true);
      await quiet(passes);
    }
  }, 120_000);
});

// The sysctl re-read slows down while the ARP guard is in force and nft monitor listens
// (drift.sysctl_interval_guarded, a minute here so that a repair in the test's time can only
// have another cause), and is back at drift.sysctl_interval (100 ms) when either lapses. What
// is asserted is which trigger repaired a reset `arp_ignore`, never how fast.
const IGNORE = 'sysctl net.ipv4.conf.eth0.arp_ignore';
const SLOW_GUARDED =
  'vips: [192.0.2.10]\ninterfaces: [eth0]\narp: {guard: nftables}\n' +
  'drift: {schedule: "0 0 1 1 *", sysctl_interval: 100ms, sysctl_interval_guarded: 60s}\n';

describe('the sysctl re-read and the ARP guard', () => {
  it('re-reads at sysctl_interval until nft monitor listens, then a reset waits while the guard drops ARP; a guard deleted with it brings both back at once; nft monitor ended: 100 ms again', async () => {
    const realNft = (await execa('sh', ['-c', 'command -v nft'])).stdout.trim();
    const gates = join(ns.dir, 'gates');
    ns.writeConfig(SLOW_GUARDED);
    daemon = new Daemon(ns, heldMonitors(gates, realNft));
    const d = daemon;
    await d.waitFor((l) => l.event === 'ready', 20_000);
    const passes = () =>
      (JSON.parse(readFileSync(join(ns.stateDir, 'daemon.json'), 'utf8')) as { reconciles: Record<string, number> })
        .reconciles.event ?? 0;
    const resetFoundBy = async (trigger: RegExp) => {
      const from = d.lines.length;
      await ns.setSysctl('net/ipv4/conf/eth0/arp_ignore', '0');
      const repair = await d.waitFor((l) => l.event === 'repair' && l.item === IGNORE, 20_000, from);
      expect(repair.trigger).toMatch(trigger);
      expect(await ns.sysctl('net/ipv4/conf/eth0/arp_ignore')).toBe('1');
    };

    // nft monitor held back: a flush of the guard would go unheard, so the sysctls are read
    // at 100 ms.
    await resetFoundBy(/sysctl/);

    // Joined: the guard is in force and watched. A reset is left to the guarded re-read (a
    // minute away): what a kernel event's pass may repair meanwhile is no re-read of it.
    writeFileSync(join(gates, 'open.0'), '');
    await d.waitFor((l) => l.event === 'watching', 20_000);
    await quiet(passes);
    let from = d.lines.length;
    await ns.setSysctl('net/ipv4/conf/eth0/arp_ignore', '0');
    await sleep(2_000);
    expect(d.lines.slice(from).filter((l) => l.event === 'repair' && String(l.trigger).includes('sysctl'))).toEqual([]);
    // The guard deleted too: nft monitor's event asks for the pass that repairs both.
    from = d.lines.length;
    await ns.exec(['nft', 'delete', 'table', 'arp', 'rs_agent']);
    const guard = await d.waitFor((l) => l.event === 'repair' && l.item === GUARD, 20_000, from);
    expect(guard.trigger).toMatch(/event/);
    expect(await ns.sysctl('net/ipv4/conf/eth0/arp_ignore')).toBe('1');
    await quiet(passes);

    // nft monitor killed and its successor held back: the re-read is at 100 ms again. The
    // restart's own pass is let end first, so the reset is the re-read's to find.
    const pid = Number(readFileSync(join(gates, 'started.0'), 'utf8'));
    from = d.lines.length;
    process.kill(pid, 'SIGKILL');
    await d.waitFor((l) => l.event === 'monitor-ended', 20_000, from);
    expect(await eventually(async () => existsSync(join(gates, 'started.1')), 20_000)).toBe(true);
    await quiet(passes);
    await resetFoundBy(/sysctl/);
  }, 120_000);

  it('with arp.guard off, re-reads at sysctl_interval whatever sysctl_interval_guarded says', async () => {
    ns.writeConfig(SLOW_GUARDED.replace('guard: nftables', 'guard: off'));
    const d = await startDaemon();
    await d.waitFor((l) => l.event === 'watching' || l.event === 'ready', 20_000);
    let repair;
    // A kernel event's pass may repair it first (IPv6 settling on eth0): then again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const from = d.lines.length;
      await ns.setSysctl('net/ipv4/conf/eth0/arp_ignore', '0');
      repair = await d.waitFor((l) => l.event === 'repair' && l.item === IGNORE, 20_000, from);
      if (String(repair.trigger).includes('sysctl')) break;
    }
    expect(repair?.trigger).toMatch(/sysctl/);
  });
});
