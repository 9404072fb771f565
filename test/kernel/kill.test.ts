import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Daemon, eventually } from '../helpers/daemon.js';
import {
  argvOfChildren,
  holdChildren,
  killAt,
  whenAddresses,
  whenChild,
  whenRoutes,
  whenStateFile,
  whenSysctlChanged,
  type KillOptions,
  type KillPoint,
} from '../helpers/kill-point.js';
import { TestNamespace } from '../helpers/netns.js';

// SIGKILL at any point of a start (or stop) with thousands of VIPs: the next pass
// converges, and stop still restores exactly the values the host had before
// rs-agent first touched it. Only the node process is killed, not its `ip` child:
// the harshest case, where the child may go on changing the host on its own.

const VIPS = 3000;
const ARP = ['all', 'default', 'lo', 'eth0'].flatMap((dev) => [
  `net/ipv4/conf/${dev}/arp_ignore`,
  `net/ipv4/conf/${dev}/arp_announce`,
]);
const config = `vips:\n${Array.from({ length: VIPS }, (_, i) => `  - 10.${1 + Math.floor(i / 250)}.${i % 250}.1\n`).join('')}interfaces: [eth0]\n`;

// A kill, a start and a stop of thousands of VIPs: a few seconds on a quiet 2-core machine,
// up to 98 s seen with stress-ng on both cores beside a load average of 15-23.
const SLOW = 300_000;

let ns: TestNamespace;
let pristine: string;

async function sysctls(): Promise<string> {
  return ns.exec(['cat', ...ARP.map((p) => `/proc/sys/${p}`)]);
}

beforeEach(async () => {
  ns = await TestNamespace.create();
  ns.writeConfig(config);
  // Values an operator set: stop must give these back, not the kernel defaults.
  await ns.setSysctl('net/ipv4/conf/eth0/arp_announce', '1');
  await ns.setSysctl('net/ipv4/conf/all/arp_ignore', '2');
  pristine = await sysctls();
});
afterEach(async () => {
  await ns.destroy();
});

// Starts the CLI and kills it (node itself) as soon as the point is seen; how it ended.
function killDuring(command: string, point: KillPoint, options?: KillOptions): Promise<string> {
  return killAt(ns, command, point, ARP, options);
}

async function expectConvergesAndStopRestores(next: 'start' | 'stop'): Promise<void> {
  if (next === 'start') {
    const start = await ns.cli(['start']);
    expect(start.stderr).toBe('');
    expect(start.exitCode).toBe(0);
    expect(await ns.cli(['plan'])).toEqual({
      exitCode: 0,
      stdout: 'nothing to change: the host is in sync',
      stderr: '',
    });
    expect((await ns.addresses('lo')).length).toBe(VIPS + 1);
  }
  const stop = await ns.cli(['stop']);
  expect(stop.stderr).toBe('');
  expect(stop.exitCode).toBe(0);
  expect(await sysctls()).toBe(pristine);
  expect(await ns.addresses('lo')).toEqual([{ local: '127.0.0.1', prefixlen: 8, label: 'lo' }]);
  expect(await ns.routes()).toEqual([]);
  expect(existsSync(join(ns.stateDir, 'state.json'))).toBe(false);
  expect(await ns.cli(['plan'])).toMatchObject({ exitCode: 0 });
}

// Points through the whole pass, each an event of the command: early (state file written,
// first ARP sysctl set, the ARP guard loading), middle (the ip batch written and running, a
// third of the VIPs added), late (most VIPs added, all of them with their routes being
// added, the last route: ip exiting).
describe(`SIGKILL during start with ${VIPS} VIPs`, () => {
  it.each([
    [
      'as soon as the state file exists (originals recorded, sysctls about to be set)',
      'stop',
      whenStateFile(/^state\.json$/),
    ],
    ['as soon as an ARP sysctl is set', 'start', whenSysctlChanged],
    [
      'once the ARP guard is being loaded (its nft file written, sysctls set, no VIP yet)',
      'stop',
      whenStateFile(/^nft\./),
    ],
    ['as soon as the ip batch file exists (addresses about to be added)', 'stop', whenStateFile(/^ip-batch\./)],
    ['once ip -batch is running, then start again', 'start', whenChild('ip', '-force', '-batch')],
    ['when 1000 VIPs are on lo', 'start', whenAddresses(1000)],
    ['when 2500 VIPs are on lo', 'stop', whenAddresses(2500)],
    ['when every VIP is on lo (their routes being added)', 'stop', whenAddresses(VIPS)],
    ['when the last route is in place (ip exiting)', 'start', whenRoutes(VIPS)],
  ] as const)(
    '%s; next: %s',
    async (_point, next, point) => {
      expect(await killDuring('start', point)).toBe('killed by SIGKILL');
      await expectConvergesAndStopRestores(next);
    },
    SLOW,
  );
});

// Early (the ip batch written and running: routes, then addresses removed), middle (half the
// VIPs removed), late (the ARP sysctls being restored, the guard being removed: every VIP
// already gone).
describe(`SIGKILL during stop with ${VIPS} VIPs`, () => {
  it.each([
    ['as soon as the ip batch file exists (addresses about to be removed)', 'stop', whenStateFile(/^ip-batch\./)],
    ['once ip -batch is running, then start again', 'start', whenChild('ip', '-force', '-batch')],
    ['when 1500 VIPs are gone from lo', 'stop', whenAddresses(-1500)],
    ['as soon as an ARP sysctl is restored', 'stop', whenSysctlChanged],
    ['once the ARP guard is being removed (its nft file written), then start again', 'start', whenStateFile(/^nft\./)],
  ] as const)(
    '%s; next: %s',
    async (_point, next, point) => {
      expect((await ns.cli(['start'])).exitCode).toBe(0);
      expect(await killDuring('stop', point)).toBe('killed by SIGKILL');
      await expectConvergesAndStopRestores(next);
    },
    SLOW,
  );
});

describe('TERM or KILL during a start, then stop at once', () => {
  // A start killed mid-way must not act after a stop has run: with TERM it takes its ip
  // down with it; with KILL its ip goes on adding VIPs and keeps the lock until it has
  // finished, and stop must wait for it: were it not to, stop would remove what is there,
  // restore the ARP sysctls, and ip would go on adding VIPs to an unprotected host. So that
  // ip is held (SIGSTOP) from the kill until stop is waiting for the lock, then let go: it is
  // still at work when stop starts however fast the machine, and done within stop's wait
  // however slow. Once stop has exited no VIP is left, none comes back, and no process of
  // rs-agent's is left in the namespace.
  it.each(['SIGTERM', 'SIGKILL'] as const)(
    '%s',
    async (signal) => {
      let held: number[] = [];
      const beforeKill = (pid: number) => {
        if (signal === 'SIGKILL') held = holdChildren(pid, 'ip');
      };
      // Once ip has added the first VIP: it is running, with thousands to go.
      expect(await killDuring('start', whenAddresses(1), { signal, beforeKill })).toBe(`killed by ${signal}`);
      expect(held).toHaveLength(signal === 'SIGKILL' ? 1 : 0);
      const stop = await stopLettingGo(held);
      expect(stop).toMatchObject({ exitCode: 0, stderr: '' });
      // No process is left that could add a VIP (the lock stop took is held by every command
      // that changes the host until it exits): what is there now stays.
      expect((await execa('ip', ['netns', 'pids', ns.name])).stdout).toBe('');
      expect(await ns.addresses('lo')).toEqual([{ local: '127.0.0.1', prefixlen: 8, label: 'lo' }]);
      expect(await ns.routes()).toEqual([]);
      expect(await sysctls()).toBe(pristine);
      expect(existsSync(join(ns.stateDir, 'state.json'))).toBe(false);
    },
    SLOW,
  );
});

// Runs stop; once it is waiting for the state dir's lock (its `flock --exclusive` child is
// running), lets the held processes go on.
async function stopLettingGo(held: number[]): Promise<{ exitCode?: number; stderr: string }> {
  const stop = execa('ip', ns.cliArgv(['stop']), { reject: false });
  const waitsForLock = () =>
    argvOfChildren(stop.pid as number).some((argv) => argv[0]?.endsWith('flock') && argv[1] === '--exclusive');
  if (held.length > 0) {
    const deadline = Date.now() + 30_000;
    while (!waitsForLock() && stop.exitCode === null && Date.now() < deadline) await sleep(1);
    for (const pid of held) process.kill(pid, 'SIGCONT');
  }
  const { exitCode, stderr } = await stop;
  return { exitCode, stderr };
}

describe('SIGKILL of rs-agent run', () => {
  it('takes its ip monitor child with it: no process is left in the namespace', async () => {
    ns.writeConfig('vips: [192.0.2.10]\n');
    const daemon = new Daemon(ns);
    try {
      await daemon.waitFor((l) => l.event === 'ready');
      const pids = async () => (await execa('ip', ['netns', 'pids', ns.name])).stdout.split('\n').filter(Boolean);
      const monitors = async () =>
        (await pids()).filter((pid) => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('ip\0monitor');
          } catch {
            return false; // exited meanwhile
          }
        });
      expect(await monitors()).toHaveLength(1); // beside the daemon (and a pass's commands, if one runs)
      daemon.signal('SIGKILL');
      await daemon.exit();
      expect(await eventually(async () => (await pids()).length === 0)).toBe(true);
    } finally {
      await daemon.kill(ns);
    }
  });
});
