import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestNamespace } from '../helpers/netns.js';

// The real CLI against the real kernel, each test in a network namespace of its own.

const ARP = ['all', 'default', 'lo', 'eth0'].flatMap((dev) => [
  `net/ipv4/conf/${dev}/arp_ignore`,
  `net/ipv4/conf/${dev}/arp_announce`,
]);

let ns: TestNamespace;
beforeEach(async () => {
  ns = await TestNamespace.create();
});
afterEach(async () => {
  await ns.destroy();
});

async function sysctls(paths: string[]): Promise<Record<string, string>> {
  return Object.fromEntries(await Promise.all(paths.map(async (p) => [p, await ns.sysctl(p)] as const)));
}

describe('DR on the real kernel', () => {
  beforeEach(() => {
    ns.writeConfig('mode: dr\nvips:\n  - 192.0.2.10\n  - 192.0.2.11\ninterfaces: [eth0]\n');
  });

  it('start converges with ARP suppression, and a second start changes nothing', async () => {
    const first = await ns.cli(['start']);
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    expect(await ns.addresses('lo')).toEqual([
      { local: '127.0.0.1', prefixlen: 8, label: 'lo' },
      { local: '192.0.2.10', prefixlen: 32, label: 'lo:0' },
      { local: '192.0.2.11', prefixlen: 32, label: 'lo:1' },
    ]);
    expect(await ns.routes()).toEqual(
      expect.arrayContaining([
        { dst: '192.0.2.10', dev: 'lo' },
        { dst: '192.0.2.11', dev: 'lo' },
      ]),
    );
    for (const [path, value] of Object.entries(await sysctls(ARP))) {
      expect(value, path).toBe(path.endsWith('arp_ignore') ? '1' : '2');
    }
    const second = await ns.cli(['start']);
    expect(second).toEqual({ exitCode: 0, stdout: 'in sync: nothing to change', stderr: '' });
    expect((await ns.cli(['plan'])).stdout).toBe('nothing to change: the host is in sync');
    expect((await ns.cli(['check'])).exitCode).toBe(0);
  });

  it('plan prints the order start follows and changes nothing; --json carries kinds and from/to', async () => {
    const text = await ns.cli(['plan']);
    expect(text.exitCode).toBe(0);
    const lines = text.stdout.split('\n');
    const lastSysctl = lines.map((l) => l.includes(' sysctl ')).lastIndexOf(true);
    const firstAddress = lines.findIndex((l) => l.includes(' address '));
    expect(lastSysctl).toBeGreaterThanOrEqual(0);
    expect(firstAddress).toBeGreaterThan(lastSysctl);
    const json = JSON.parse((await ns.cli(['plan', '--json'])).stdout) as {
      changes: { kind: string; from: unknown; to: unknown }[];
    };
    expect(new Set(json.changes.map((c) => c.kind))).toEqual(new Set(['sysctl', 'nft', 'address', 'route']));
    expect(json.changes.every((c) => 'from' in c && 'to' in c)).toBe(true);
    expect(await ns.addresses('lo')).toHaveLength(1);
    expect(await ns.sysctl('net/ipv4/conf/all/arp_ignore')).toBe('0');
    expect(existsSync(ns.stateDir)).toBe(false);
  });

  it('check finds drift (a deleted VIP, a reset sysctl), exits 1 naming each, and check --fix repairs it', async () => {
    await ns.cli(['start']);
    await ns.ip(['addr', 'del', '192.0.2.11/32', 'dev', 'lo']);
    await ns.setSysctl('net/ipv4/conf/eth0/arp_ignore', '0');
    const drift = await ns.cli(['check']);
    expect(drift.exitCode).toBe(1);
    expect(drift.stdout.split('\n')).toEqual([
      'drift: sysctl net.ipv4.conf.eth0.arp_ignore: 0 → 1',
      'drift: address 192.0.2.11/32 dev lo: missing',
    ]);
    const json = JSON.parse((await ns.cli(['check', '--json'])).stdout) as { inSync: boolean; drift: unknown[] };
    expect(json.inSync).toBe(false);
    expect(json.drift).toHaveLength(2);
    const fix = await ns.cli(['check', '--fix']);
    expect(fix.exitCode).toBe(0);
    expect(fix.stdout).toContain('repaired: 2 drifted items, now in sync');
    expect(await ns.sysctl('net/ipv4/conf/eth0/arp_ignore')).toBe('1');
    expect((await ns.addresses('lo')).map((a) => a.local)).toContain('192.0.2.11');
    expect((await ns.cli(['check'])).exitCode).toBe(0);
  });

  it('stop leaves foreign addresses on lo alone, keeps ARP protection while they stay, and then restores non-default originals exactly', async () => {
    await ns.setSysctl('net/ipv4/conf/eth0/arp_announce', '1');
    await ns.setSysctl('net/ipv4/conf/all/arp_ignore', '2');
    await ns.ip(['addr', 'add', '203.0.113.5/32', 'dev', 'lo', 'label', 'lo:0']);
    await ns.ip(['route', 'add', '203.0.113.5/32', 'dev', 'lo']);
    const before = await sysctls(ARP);
    expect((await ns.cli(['start'])).exitCode).toBe(0);
    expect((await ns.addresses('lo')).map((a) => `${a.local} ${a.label}`)).toEqual([
      '127.0.0.1 lo',
      '203.0.113.5 lo:0',
      '192.0.2.10 lo:1',
      '192.0.2.11 lo:2',
    ]);
    const stop = await ns.cli(['stop']);
    expect(stop.exitCode).toBe(0);
    expect(stop.stdout.split('\n')).toContain('- route 192.0.2.10/32 dev lo');
    expect(stop.stdout).toContain(
      'sysctl net.ipv4.conf.lo.arp_ignore: kept at 1, still needed by 203.0.113.5/32 on lo',
    );
    expect(await ns.sysctl('net/ipv4/conf/lo/arp_ignore')).toBe('1');
    expect((await ns.addresses('lo')).map((a) => a.local)).toEqual(['127.0.0.1', '203.0.113.5']);
    expect(await ns.routes()).toEqual([{ dst: '203.0.113.5', dev: 'lo' }]);
    await ns.ip(['addr', 'del', '203.0.113.5/32', 'dev', 'lo']);
    expect((await ns.cli(['stop'])).exitCode).toBe(0);
    expect(await sysctls(ARP)).toEqual(before);
    expect(await ns.cli(['stop'])).toEqual({ exitCode: 0, stdout: 'nothing to undo', stderr: '' });
  });

  it("a VIP already on lo before start is not rs-agent's: stop leaves it", async () => {
    await ns.ip(['addr', 'add', '192.0.2.10/32', 'dev', 'lo', 'label', 'lo:0']);
    await ns.cli(['start']);
    await ns.cli(['stop']);
    expect((await ns.addresses('lo')).map((a) => a.local)).toEqual(['127.0.0.1', '192.0.2.10']);
  });

  it('the same commands spelled so that yargs parses them act the same (the fast path is only a shortcut)', async () => {
    const viaYargs = async (args: string[]) => ns.cli([...args, '--fix=false']);
    const plain = await ns.cli(['check', '--json']);
    expect(plain.exitCode).toBe(1);
    expect(await ns.cli(['check', '--json=true'])).toEqual(plain);
    expect(await ns.cli(['start', '--no-json'])).toMatchObject({
      exitCode: 2,
      stdout: '',
      stderr: expect.stringContaining('Unknown argument: json'),
    });
    expect((await ns.cli(['start'])).exitCode).toBe(0);
    expect(await viaYargs(['check'])).toEqual({ exitCode: 0, stdout: 'in sync', stderr: '' });
    expect(await ns.cli(['--version'])).toEqual({ exitCode: 0, stdout: '0.1.0', stderr: '' });
  });

  it('status shows VIPs, sysctls and recorded originals; --json parses', async () => {
    await ns.setSysctl('net/ipv4/conf/eth0/arp_announce', '1');
    await ns.cli(['start']);
    const text = (await ns.cli(['status'])).stdout;
    expect(text).toMatch(/in sync: yes/);
    expect(text).toMatch(/192\.0\.2\.10\s+dr\s+on lo\s+address ok\s+route ok\s+added by rs-agent/);
    expect(text).toMatch(/net\.ipv4\.conf\.eth0\.arp_announce\s+2\s+2\s+1/);
    expect(text).toContain(
      'ARP guard (nftables table arp rs_agent): arp.guard auto: on; table present, vips4 { 192.0.2.10, 192.0.2.11 } (loaded by rs-agent)',
    );
    const json = JSON.parse((await ns.cli(['status', '--json'])).stdout) as {
      inSync: boolean;
      owned: { addresses: number };
      arpGuard: { applies: boolean };
    };
    expect(json.inSync).toBe(true);
    expect(json.arpGuard.applies).toBe(true);
    expect(json.owned.addresses).toBe(2);
  });
});

describe('errors on the real kernel: exit 2, one line, nothing changed', () => {
  async function expectUntouched(
    run: () => Promise<{ exitCode: number; stdout: string; stderr: string }>,
    message: RegExp,
  ) {
    const before = { lo: await ns.addresses('lo'), sysctls: await sysctls(ARP) };
    const result = await run();
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect({ lo: await ns.addresses('lo'), sysctls: await sysctls(ARP) }).toEqual(before);
    expect(existsSync(join(ns.stateDir, 'state.json'))).toBe(false);
  }

  it('TUN where loading ipip is not permitted (a syscall filter): says so, not that the module is missing', async () => {
    ns.writeConfig('mode: tun\nvips: [198.51.100.7]\n');
    const env = ns.stubCommand(
      'modprobe',
      'echo "modprobe: ERROR: could not insert \'$1\': Operation not permitted" >&2; exit 1',
    );
    const result = await ns.cli(['start'], env);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /kernel module ipip could not be loaded: not permitted \(modprobe ipip: modprobe: ERROR: could not insert 'ipip': Operation not permitted\)/,
    );
    expect((await ns.cli(['stop'], env)).exitCode).toBe(0);
  });

  it('TUN without the ipip module (modprobe stubbed to fail as it does where the module is missing)', async () => {
    ns.writeConfig('mode: tun\nvips: [198.51.100.7]\n');
    const env = ns.stubCommand(
      'modprobe',
      'echo "modprobe: FATAL: Module $1 not found in directory /lib/modules/$(uname -r)" >&2; exit 1',
    );
    const result = await ns.cli(['start'], env);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /^rs-agent: failed: \+ module ipip \(load; creates tunl0\): kernel module ipip is not available \(modprobe ipip: modprobe: FATAL: Module ipip not found/m,
    );
    // Nothing was put on tunl0 (it does not exist); the host's ARP protection is in place
    // for when it does, and stop takes it back.
    expect(result.stderr).toMatch(/not attempted: .*ipip failed first/);
    expect((await ns.addresses('lo')).map((a) => a.local)).toEqual(['127.0.0.1']);
    expect(await ns.sysctl('net/ipv4/conf/all/arp_ignore')).toBe('1');
    expect((await ns.cli(['stop'], env)).exitCode).toBe(0);
    expect(await sysctls(ARP)).toEqual(Object.fromEntries(ARP.map((p) => [p, '0'])));
  });

  it('a bad config', async () => {
    ns.writeConfig('vips: [192.0.2.300]\n');
    await expectUntouched(
      () => ns.cli(['start']),
      /^rs-agent: config .*: vips\[0\]: "192\.0\.2\.300" is not an IP address$/,
    );
    expect((await ns.cli(['validate'])).exitCode).toBe(2);
  });

  it('the config file missing', async () => {
    await expectUntouched(() => ns.cli(['start']), /rs-agent\.yaml: no such file/);
  });

  it('ip missing from PATH', async () => {
    ns.writeConfig('vips: [192.0.2.10]\n');
    await expectUntouched(
      () => ns.cli(['start'], { PATH: '/nonexistent' }),
      /^rs-agent: ip: command not found in PATH \(install iproute2\)$/,
    );
  });

  it('not root (no CAP_NET_ADMIN)', async () => {
    ns.writeConfig('vips: [192.0.2.10]\n');
    await expectUntouched(
      () => ns.cliWithoutNetAdmin(['start']),
      /^rs-agent: rs-agent start must run as root or with CAP_NET_ADMIN \(it changes addresses/,
    );
  });
});

describe('a configured NIC that is missing or named by an altname', () => {
  it('missing: start converges everything else, names the NIC, exits 2; check exits 1 naming it; plan shows it', async () => {
    ns.writeConfig('vips: [192.0.2.10]\ninterfaces: [eth0, eth9]\n');
    const plan = await ns.cli(['plan']);
    expect(plan.exitCode).toBe(2); // what start would say
    expect(plan.stderr.trim()).toMatch(
      /^rs-agent: not in place: config .*: interfaces\[1\]: "eth9": no such network interface on this host/,
    );
    const start = await ns.cli(['start']);
    expect(start.exitCode).toBe(2);
    expect(start.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^rs-agent: not in place: config .*interfaces\[1\]: "eth9": no such network interface/),
    ]);
    expect((await ns.addresses('lo')).map((a) => a.local)).toContain('192.0.2.10');
    expect(await ns.sysctl('net/ipv4/conf/eth0/arp_ignore')).toBe('1');
    const check = await ns.cli(['check']);
    expect(check.exitCode).toBe(1);
    expect(check.stdout).toMatch(/^drift: .*"eth9": no such network interface/m);
    // The NIC appears: the next pass sets its sysctls, and nothing is missing any more.
    await ns.ip(['link', 'add', 'eth9', 'type', 'veth', 'peer', 'name', 'eth9-peer']);
    await ns.setSysctl('net/ipv4/conf/eth9/arp_ignore', '0');
    expect((await ns.cli(['check', '--fix'])).exitCode).toBe(0);
    expect(await ns.sysctl('net/ipv4/conf/eth9/arp_ignore')).toBe('1');
    expect((await ns.cli(['check'])).exitCode).toBe(0);
  });

  it('an altname stands for its device', async () => {
    await ns.ip(['link', 'property', 'add', 'dev', 'eth0', 'altname', 'uplink0']);
    ns.writeConfig('vips: [192.0.2.10]\ninterfaces: [uplink0]\n');
    const start = await ns.cli(['start']);
    expect(start.stderr).toBe('');
    expect(start.exitCode).toBe(0);
    expect(start.stdout).toMatch(/sysctl net\.ipv4\.conf\.eth0\.arp_ignore/);
    expect((await ns.cli(['check'])).exitCode).toBe(0);
  });
});
