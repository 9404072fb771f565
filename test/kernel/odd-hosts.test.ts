import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Daemon, eventually } from '../helpers/daemon.js';
import { CLI, TestNamespace } from '../helpers/netns.js';

// What rs-agent says must be true on hosts that are not the common case.

let ns: TestNamespace;
beforeEach(async () => {
  ns = await TestNamespace.create();
});
afterEach(async () => {
  await ns.destroy();
});

// The CLI inside the namespace with its stdout into `sh -c pipeline`; returns the CLI's own exit status.
async function piped(args: string[], reader: string): Promise<{ status: number; stderr: string }> {
  const cli = ['ip', 'netns', 'exec', ns.name, process.execPath, CLI, ...args, '--config', ns.configPath, '--state-dir', ns.stateDir];
  const quoted = cli.map((a) => `'${a}'`).join(' ');
  const r = await execa('bash', ['-c', `${quoted} 2>"$0" | ${reader}; echo \${PIPESTATUS[0]}`, join(ns.dir, 'stderr')]);
  return { status: Number(r.stdout.trim().split('\n').pop()), stderr: readFileSync(join(ns.dir, 'stderr'), 'utf8') };
}

describe('a reader that closes the pipe', () => {
  beforeEach(async () => {
    ns.writeConfig('mode: dr\nvips: [192.0.2.10]\ninterfaces: [eth0]\n');
    expect((await ns.cli(['start'])).exitCode).toBe(0);
  });

  // `true` is gone before node has started: every write meets a closed pipe.
  it('status | true and status | head -1 end quietly with status 0', async () => {
    expect(await piped(['status'], 'true')).toEqual({ status: 0, stderr: '' });
    expect(await piped(['status'], 'head -1 >/dev/null')).toEqual({ status: 0, stderr: '' });
  });

  it('check | true on a host in sync exits 0, and 1 when it drifted', async () => {
    expect(await piped(['check'], 'true')).toEqual({ status: 0, stderr: '' });
    await ns.ip(['address', 'del', '192.0.2.10/32', 'dev', 'lo']);
    expect(await piped(['check'], 'true')).toEqual({ status: 1, stderr: '' });
  });
});

describe('a NIC whose name is not plain ASCII', () => {
  it('start records it, and check and stop read the state file back', async () => {
    await ns.ip(['link', 'add', 'vé0', 'type', 'veth', 'peer', 'name', 'vé0-p']);
    ns.writeConfig('mode: dr\nvips: [192.0.2.10]\ninterfaces: [eth0, vé0]\n');
    const start = await ns.cli(['start']);
    expect(start.stderr).toBe('');
    expect(start.stdout).toContain('sysctl net.ipv4.conf.vé0.arp_ignore: 0 → 1');
    expect(await ns.sysctl('net/ipv4/conf/vé0/arp_ignore')).toBe('1');
    expect(await ns.cli(['check'])).toMatchObject({ exitCode: 0, stdout: 'in sync' });
    const stop = await ns.cli(['stop']);
    expect(stop.stderr).toBe('');
    expect(stop.exitCode).toBe(0);
    expect(await ns.sysctl('net/ipv4/conf/vé0/arp_ignore')).toBe('0');
  });
});

describe('the daemon with its stdout closed', () => {
  it('goes on repairing, and its status file still says so', async () => {
    ns.writeConfig('mode: dr\nvips: [192.0.2.10]\ninterfaces: [eth0]\n');
    const daemon = new Daemon(ns);
    try {
      await daemon.waitFor((l) => l.event === 'ready');
      daemon.closeStdout();
      const vip = async () => (await ns.addresses('lo')).some((a) => a.local === '192.0.2.10');
      for (let i = 0; i < 3; i++) {
        await ns.ip(['address', 'del', '192.0.2.10/32', 'dev', 'lo']);
        expect(await eventually(vip)).toBe(true);
      }
      const status = await ns.cli(['status', '--json']);
      const report = JSON.parse(status.stdout) as { daemon: { running: boolean; repairs: { address: number } } };
      expect(report.daemon.running).toBe(true);
      expect(report.daemon.repairs.address).toBeGreaterThanOrEqual(3);
      daemon.signal('SIGTERM');
      expect((await daemon.exit()).exitCode).toBe(0);
      expect(daemon.stderr).toBe('');
    } finally {
      await daemon.kill(ns);
    }
  });
});
