import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Daemon, eventually } from '../helpers/daemon.js';
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

// Starts the CLI and kills it (node itself: `ip netns exec` and env exec it in place)
// when `when` resolves. Returns whether it was still running when killed.
async function killDuring(
  command: string,
  when: () => Promise<void>,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<boolean> {
  const child = execa('ip', ns.cliArgv([command]), { reject: false });
  let finished = false;
  void child.then(() => (finished = true));
  await Promise.race([when(), child]);
  const killed = !finished && child.kill(signal);
  await child;
  return killed;
}

function after(ms: number) {
  return () => sleep(ms);
}

// Polls for the i-th VIP of the config on lo (ip adds them in the config's order).
function whenVip(i: number) {
  const vip = `10.${1 + Math.floor(i / 250)}.${i % 250}.1/32`;
  return async () => {
    while ((await ns.ip(['-4', 'addr', 'show', 'dev', 'lo', 'to', vip])) === '') await sleep(2);
  };
}

// Polls for a file in the state dir: a precise point in the pass.
function whenFile(pattern: RegExp) {
  return async () => {
    for (;;) {
      if (existsSync(ns.stateDir) && readdirSync(ns.stateDir).some((f) => pattern.test(f))) return;
      await sleep(1);
    }
  };
}

// Polls for the pass's `ip -force -batch -` in the namespace: it reads its batch from a
// file already unlinked, so there is no file to wait for.
function whenBatchRuns() {
  return async () => {
    const netns = `net:[${statSync(`/run/netns/${ns.name}`).ino}]`;
    for (;;) {
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          if (
            readFileSync(`/proc/${pid}/cmdline`, 'utf8') === 'ip\0-force\0-batch\0-\0' &&
            readlinkSync(`/proc/${pid}/ns/net`) === netns
          )
            return;
        } catch {
          // exited meanwhile
        }
      }
      await sleep(1);
    }
  };
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

describe(`SIGKILL during start with ${VIPS} VIPs`, () => {
  it.each([
    ['as soon as the state file exists (originals recorded, sysctls being set)', 'stop', whenFile(/^state\.json$/)],
    ['as soon as ip -batch runs (addresses being added)', 'stop', whenBatchRuns()],
    ['as soon as ip -batch runs, then start again', 'start', whenBatchRuns()],
    ['after 300 ms', 'start', after(300)],
    ['after 450 ms', 'stop', after(450)],
    ['when VIP 1000 is on lo', 'start', whenVip(1000)],
    ['when VIP 2500 is on lo', 'stop', whenVip(2500)],
  ] as const)('%s; next: %s', async (_point, next, when) => {
    expect(await killDuring('start', when)).toBe(true);
    await expectConvergesAndStopRestores(next);
  });
});

describe(`SIGKILL during stop with ${VIPS} VIPs`, () => {
  it.each([
    ['as soon as ip -batch runs (addresses being removed)', 'stop', whenBatchRuns()],
    ['as soon as ip -batch runs, then start again', 'start', whenBatchRuns()],
    ['after 350 ms', 'stop', after(350)],
  ] as const)('%s; next: %s', async (_point, next, when) => {
    expect((await ns.cli(['start'])).exitCode).toBe(0);
    expect(await killDuring('stop', when)).toBe(true);
    await expectConvergesAndStopRestores(next);
  });
});

describe('SIGKILL while ip is still adding: the next pass waits for the orphaned ip', () => {
  // 12 000 addresses take the kernel seconds to add, so the orphaned `ip` is still at
  // work when the next rs-agent starts. Were the lock not to wait for it, stop would
  // remove what is there, restore the ARP sysctls, and ip would go on adding VIPs to
  // an unprotected host.
  it('a stop right after the kill leaves no VIP behind', async () => {
    const many = 12_000;
    ns.writeConfig(
      `vips:\n${Array.from({ length: many }, (_, i) => `  - 10.${1 + Math.floor(i / 250)}.${i % 250}.1\n`).join('')}interfaces: [eth0]\n`,
    );
    // Killed once ip has added the first VIP: ip is certainly running, with seconds to go.
    const firstVipAdded = async () => {
      while ((await ns.ip(['-4', 'addr', 'show', 'dev', 'lo', 'to', '10.1.0.1/32'])) === '') await sleep(5);
    };
    expect(await killDuring('start', firstVipAdded)).toBe(true);
    const stop = await ns.cli(['stop']);
    expect(stop.stderr).toBe('');
    expect(stop.exitCode).toBe(0);
    expect(await ns.addresses('lo')).toEqual([{ local: '127.0.0.1', prefixlen: 8, label: 'lo' }]);
    expect(await sysctls()).toBe(pristine);
    expect(existsSync(join(ns.stateDir, 'state.json'))).toBe(false);
  }, 60_000);
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
      const firstVipAdded = async () => {
        while ((await ns.ip(['-4', 'addr', 'show', 'dev', 'lo', 'to', '10.1.0.1/32'])) === '') await sleep(5);
      };
      expect(await killDuring('start', firstVipAdded, signal)).toBe(true);
      const stop = await ns.cli(['stop']);
      expect(stop).toMatchObject({ exitCode: 0, stderr: '' });
      const onlyLoopback = [{ local: '127.0.0.1', prefixlen: 8, label: 'lo' }];
      expect(await ns.addresses('lo')).toEqual(onlyLoopback);
      expect(await sysctls()).toBe(pristine);
      await sleep(1000);
      expect(await ns.addresses('lo')).toEqual(onlyLoopback);
      expect(await ns.routes()).toEqual([]);
      expect((await execa('ip', ['netns', 'pids', ns.name])).stdout).toBe('');
    },
    60_000,
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
