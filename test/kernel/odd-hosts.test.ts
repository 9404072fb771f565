import { execa } from 'execa';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Daemon, eventually } from '../helpers/daemon.js';
import { TestNamespace } from '../helpers/netns.js';

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
  const cli = ['ip', ...ns.cliArgv(args)];
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

describe('a VIP already on lo at another prefix', () => {
  it('IPv6 /64: start changes everything else, names lo, the address and prefix, exits 2; check and the daemon agree and never "repair" it', async () => {
    ns.writeConfig('mode: dr\nvips: [2001:db8::10]\ninterfaces: [eth0]\n');
    await ns.ip(['address', 'add', '2001:db8::10/64', 'dev', 'lo']);
    const start = await ns.cli(['start']);
    expect(start.exitCode).toBe(2);
    // Left out: no address or route of it. The traffic table counts SYNs to it all the
    // same (the operator's address on lo receives them), which changes nothing about it.
    const mentions = start.stdout.split('\n').filter((l) => l.includes('2001:db8::10'));
    expect(mentions).toEqual(['+ nft table inet rs_agent_traffic: absent → counting SYNs to { 2001:db8::10 }']);
    expect(start.stderr).toBe(
      "rs-agent: not added: VIP 2001:db8::10 is already on lo as 2001:db8::10/64, not rs-agent's /128: " +
        'the kernel keeps one 2001:db8::10 per device, and this one can be picked as a source address; remove it (ip address del 2001:db8::10/64 dev lo) and rs-agent adds the VIP',
    );
    const check = await ns.cli(['check', '--fix']);
    expect(check.exitCode).toBe(1);
    expect(check.stdout).toMatch(/^drift: VIP 2001:db8::10 is already on lo as 2001:db8::10\/64/);
    const daemon = new Daemon(ns);
    try {
      expect(await daemon.waitFor((l) => l.event === 'ready')).toMatchObject({ in_sync: false });
      expect(daemon.lines.filter((l) => l.event === 'conflict')).toHaveLength(1);
      expect(daemon.lines.filter((l) => l.event === 'repair' || l.event === 'change')).toEqual([]);
    } finally {
      await daemon.kill(ns);
    }
    // Once the operator removes it, rs-agent adds its VIP.
    await ns.ip(['address', 'del', '2001:db8::10/64', 'dev', 'lo']);
    const again = await ns.cli(['start']);
    expect(again).toMatchObject({ exitCode: 0, stderr: '' });
    expect(again.stdout).toContain('+ address 2001:db8::10/128 dev lo');
  });

  it('IPv4 /24: the kernel keeps both, so the /32 is added beside it, and stop removes only the /32', async () => {
    ns.writeConfig('mode: dr\nvips: [192.0.2.10]\ninterfaces: [eth0]\n');
    await ns.ip(['address', 'add', '192.0.2.10/24', 'dev', 'lo']);
    expect((await ns.cli(['start'])).exitCode).toBe(0);
    expect((await ns.addresses('lo')).map((a) => `${a.local}/${a.prefixlen}`)).toEqual([
      '127.0.0.1/8',
      '192.0.2.10/24',
      '192.0.2.10/32',
    ]);
    expect((await ns.cli(['check'])).exitCode).toBe(0);
    expect((await ns.cli(['stop'])).exitCode).toBe(0);
    expect((await ns.addresses('lo')).map((a) => `${a.local}/${a.prefixlen}`)).toEqual([
      '127.0.0.1/8',
      '192.0.2.10/24',
    ]);
  });
});

describe('a full state directory (ENOSPC)', () => {
  it('start lists what it applied, then the failure naming the directory and errno; exit 2; no temp file left', async () => {
    // No ARP guard: its nft file would take the space first; the ip batch file is the case here.
    ns.writeConfig('mode: dr\nvips: [192.0.2.10]\narp: {guard: off}\n');
    mkdirSync(ns.stateDir);
    // A tmpfs of two pages in a mount namespace of the command's own: the state file
    // takes one, so the ip batch file and the next state file write find none.
    const script = `mount -t tmpfs -o size=8k,mode=0700 tmpfs '${ns.stateDir}' && "$@"; status=$?; ls -A '${ns.stateDir}'; exit $status`;
    const r = await execa('ip', ns.cliArgv(['start'], ['unshare', '-m', 'sh', '-c', script, 'sh']), { reject: false });
    expect(r.exitCode).toBe(2);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 6)).toEqual(
      ['all', 'default', 'lo'].flatMap((dev) => [
        `~ sysctl net.ipv4.conf.${dev}.arp_ignore: 0 → 1`,
        `~ sysctl net.ipv4.conf.${dev}.arp_announce: 0 → 2`,
      ]),
    );
    const listed = lines.filter((l) => !/^[~+-] /.test(l));
    expect(lines.slice(6, lines.length - listed.length).every((l) => l.startsWith('~ sysctl '))).toBe(true);
    expect(listed, r.stdout + r.stderr).toEqual(['lock', 'state.json']); // ls: no ip-batch or state temp file left
    const batch = `cannot write the ip batch in ${ns.stateDir}: ENOSPC: no space left on device, write`;
    expect(r.stderr.split('\n')).toEqual([
      `rs-agent: failed: + nft table inet rs_agent_traffic: absent → counting SYNs to { 192.0.2.10 }: cannot write the nft ruleset in ${ns.stateDir}: ENOSPC: no space left on device, write`,
      expect.stringMatching(
        new RegExp(`^rs-agent: failed: \\+ address 192\\.0\\.2\\.10/32 dev lo label lo:0: ${batch}$`),
      ),
      expect.stringMatching(new RegExp(`^rs-agent: failed: \\+ route 192\\.0\\.2\\.10/32 dev lo: ${batch}$`)),
      `rs-agent: state file ${ns.stateDir}/state.json: cannot write: ENOSPC: no space left on device, write`,
    ]);
    expect(await ns.sysctl('net/ipv4/conf/lo/arp_ignore')).toBe('1');
  });
});

describe('stop with the state file deleted', () => {
  it('changes nothing, says it has no record, and names the VIPs still on lo; exit 0', async () => {
    ns.writeConfig('mode: dr\nvips: [192.0.2.10, 2001:db8::10]\ninterfaces: [eth0]\n');
    expect((await ns.cli(['start'])).exitCode).toBe(0);
    rmSync(join(ns.stateDir, 'state.json'));
    const before = await ns.ip(['-json', 'address', 'show', 'dev', 'lo']);
    const stop = await ns.cli(['stop']);
    expect(stop).toEqual({
      exitCode: 0,
      stderr: '',
      stdout: [
        `nothing to undo: rs-agent has no record of adding anything (no state file in ${ns.stateDir})`,
        'left in place: 192.0.2.10/32 on lo: rs-agent has no record of adding it; if it did before its state file was lost, remove it with "ip address del 192.0.2.10/32 dev lo"',
        'left in place: 2001:db8::10/128 on lo: rs-agent has no record of adding it; if it did before its state file was lost, remove it with "ip address del 2001:db8::10/128 dev lo"',
      ].join('\n'),
    });
    expect(await ns.ip(['-json', 'address', 'show', 'dev', 'lo'])).toBe(before);
  });

  it('on a clean host: nothing to undo, nothing named', async () => {
    ns.writeConfig('mode: dr\nvips: [192.0.2.10]\n');
    expect(await ns.cli(['stop'])).toEqual({ exitCode: 0, stderr: '', stdout: 'nothing to undo' });
  });
});

describe('a NIC renamed after start', () => {
  const state = () =>
    JSON.parse(readFileSync(join(ns.stateDir, 'state.json'), 'utf8')) as {
      version: number;
      owned: { sysctls: Record<string, { original: string; ifindex?: number }> };
    };
  const rename = async (from: string, to: string) => {
    await ns.ip(['link', 'set', from, 'down']);
    await ns.ip(['link', 'set', from, 'name', to]);
    await ns.ip(['link', 'set', to, 'up']);
  };

  beforeEach(async () => {
    ns.writeConfig('mode: dr\nvips: [192.0.2.10]\n');
    await ns.setSysctl('net/ipv4/conf/eth0/arp_announce', '1');
    expect((await ns.cli(['start'])).exitCode).toBe(0);
  });

  it('keeps its originals under the new name: stop restores them there', async () => {
    const ifindex = (JSON.parse(await ns.ip(['-json', 'link', 'show', 'eth0'])) as { ifindex: number }[])[0]?.ifindex;
    expect(state().owned.sysctls['net/ipv4/conf/eth0/arp_announce']).toEqual({ original: '1', ifindex });
    await rename('eth0', 'lan0');
    expect(await ns.cli(['check'])).toMatchObject({ exitCode: 0, stdout: 'in sync' });
    const stop = await ns.cli(['stop']);
    expect(stop.stdout).toContain('~ sysctl net.ipv4.conf.lan0.arp_announce: 2 → 1 (restore original)');
    expect(await ns.sysctl('net/ipv4/conf/lan0/arp_announce')).toBe('1');
    expect(await ns.sysctl('net/ipv4/conf/lan0/arp_ignore')).toBe('0');
  });

  it('renamed and back, with passes in between: stop restores the originals', async () => {
    await rename('eth0', 'lan0');
    expect((await ns.cli(['start'])).stdout).toBe('in sync: nothing to change');
    await rename('lan0', 'eth0');
    expect((await ns.cli(['start'])).stdout).toBe('in sync: nothing to change');
    expect((await ns.cli(['stop'])).exitCode).toBe(0);
    expect(await ns.sysctl('net/ipv4/conf/eth0/arp_announce')).toBe('1');
  });

  it('a state file of the released format (version 1, no ifindex) is read, and gains the ifindex on the next pass', async () => {
    const old = state();
    for (const entry of Object.values(old.owned.sysctls)) delete entry.ifindex;
    writeFileSync(join(ns.stateDir, 'state.json'), `${JSON.stringify(old)}\n`);
    expect(await ns.cli(['check'])).toMatchObject({ exitCode: 0, stdout: 'in sync' });
    expect((await ns.cli(['start'])).exitCode).toBe(0);
    expect(state().version).toBe(1);
    expect(state().owned.sysctls['net/ipv4/conf/eth0/arp_announce']?.ifindex).toEqual(expect.any(Number));
    expect(state().owned.sysctls['net/ipv4/conf/all/arp_announce']).toEqual({ original: '0' });
  });
});
