import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Daemon, eventually } from '../helpers/daemon.js';
import {
  killAt,
  whenAddresses,
  whenChild,
  whenRoutes,
  whenStateFile,
  whenSysctlChanged,
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
// several times that on a busy one.
const SLOW = 120_000;

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
function killDuring(command: string, point: KillPoint, signal: NodeJS.Signals = 'SIGKILL'): Promise<string> {
  return killAt(ns, command, point, ARP, signal);
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
    ['once nft is loading the ARP guard (sysctls set, no VIP yet)', 'stop', whenChild('nft', '-f')],
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
    ['once nft is removing the ARP guard, then start again', 'start', whenChild('nft', '-f')],
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

describe('SIGKILL while ip is still adding: the next pass waits for the orphaned ip', () => {
  // 12 000 addresses take the kernel seconds to add, so the orphaned `ip` is still at
  // work when the next rs-agent starts. Were the lock not to wait for it, stop would
  // remove what is there, restore the ARP sysctls, and ip would go on adding VIPs to
  // an unprotected host.
  it(
    'a stop right after the kill leaves no VIP behind',
    async () => {
      const many = 12_000;
      ns.writeConfig(
        `vips:\n${Array.from({ length: many }, (_, i) => `  - 10.${1 + Math.floor(i / 250)}.${i % 250}.1\n`).join('')}interfaces: [eth0]\n`,
      );
      // Killed once ip has added the first VIP: ip is certainly running, with seconds to go.
      expect(await killDuring('start', whenAddresses(1))).toBe('killed by SIGKILL');
      const stop = await ns.cli(['stop']);
      expect(stop.stderr).toBe('');
      expect(stop.exitCode).toBe(0);
      expect(await ns.addresses('lo')).toEqual([{ local: '127.0.0.1', prefixlen: 8, label: 'lo' }]);
      expect(await sysctls()).toBe(pristine);
      expect(existsSync(join(ns.stateDir, 'state.json'))).toBe(false);
    },
    SLOW,
  );
});

describe('TERM or KILL during a big start, then stop at once', () => {
  // A start killed mid-way must not act after a stop has run: with TERM it takes its
  // ip down with it; with KILL its ip keeps the lock until it has finished, and stop
  // waits for it. Either way, once stop has exited no VIP is left, none comes back,
  // and no process of rs-agent's is left in the namespace.
  it.each(['SIGTERM', 'SIGKILL'] as const)(
    '%s',
    async (signal) => {
      const many = 8000;
      ns.writeConfig(
        `vips:\n${Array.from({ length: many }, (_, i) => `  - 10.${1 + Math.floor(i / 250)}.${i % 250}.1\n`).join('')}interfaces: [eth0]\n`,
      );
      expect(await killDuring('start', whenAddresses(1), signal)).toBe(`killed by ${signal}`);
      const stop = await ns.cli(['stop']);
      expect(stop).toMatchObject({ exitCode: 0, stderr: '' });
      // No process is left that could add a VIP (the lock stop took is held by every command
      // that changes the host until it exits): what is there now stays.
      expect((await execa('ip', ['netns', 'pids', ns.name])).stdout).toBe('');
      expect(await ns.addresses('lo')).toEqual([{ local: '127.0.0.1', prefixlen: 8, label: 'lo' }]);
      expect(await ns.routes()).toEqual([]);
      expect(await sysctls()).toBe(pristine);
    },
    SLOW,
  );
});

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
