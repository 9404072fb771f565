import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Daemon } from '../helpers/daemon.js';
import { TestNamespace, type CliResult } from '../helpers/netns.js';

// A hostile environment, on the real kernel: a read-only /proc/sys, a config file
// that is unreadable or that others could have written, a damaged state file, and
// VIPs the host already holds on a NIC. Each: a clear line and exit status; nothing
// changed, or (a VIP on a NIC) everything but that VIP.

const ARP = ['all', 'default', 'lo', 'eth0'].flatMap((dev) => [
  `net/ipv4/conf/${dev}/arp_ignore`,
  `net/ipv4/conf/${dev}/arp_announce`,
]);
const DR = 'vips: [192.0.2.10, 192.0.2.11]\ninterfaces: [eth0]\n';

let ns: TestNamespace;
beforeEach(async () => {
  ns = await TestNamespace.create();
  ns.writeConfig(DR);
});
afterEach(async () => {
  await ns.destroy();
});

async function host(): Promise<string> {
  const addrs = JSON.stringify([await ns.addresses('lo'), await ns.addresses('eth0'), await ns.routes()]);
  return [addrs, await ns.exec(['cat', ...ARP.map((p) => `/proc/sys/${p}`)])].join('\n');
}

function statePath(): string {
  return join(ns.stateDir, 'state.json');
}

async function expectRefused(run: () => Promise<CliResult>, message: RegExp, status = 2): Promise<CliResult> {
  const before = await host();
  const state = existsSync(statePath()) ? readFileSync(statePath(), 'utf8') : null;
  const result = await run();
  expect(result.stderr).toMatch(message);
  expect(result.exitCode).toBe(status);
  expect(result.stderr).not.toContain('\n');
  expect(result.stderr).not.toMatch(/\s+at |internal error/);
  expect(await host()).toBe(before);
  expect(existsSync(statePath()) ? readFileSync(statePath(), 'utf8') : null).toBe(state);
  return result;
}

describe('the environment', () => {
  it("/proc/sys mounted read-only (a private mount namespace; the host's is never remounted)", async () => {
    // unshare -m makes mounts private; the bind mount and its read-only remount stay in it.
    const ro = [
      'unshare',
      '-m',
      'sh',
      '-c',
      'mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && exec "$@"',
      'ro',
    ];
    for (const command of ['start', 'stop', 'check --fix']) {
      await expectRefused(
        () => ns.cliWith(ro, command.split(' ')),
        new RegExp(
          `^rs-agent: rs-agent ${command} cannot write /proc/sys/net/ipv4/conf/all/arp_ignore: read-only file system; /proc/sys/net must be writable`,
        ),
      );
    }
    expect(existsSync(ns.stateDir)).toBe(false);
  });

  it('a config that others could have written is refused until --allow-insecure-config', async () => {
    chmodSync(ns.configPath, 0o666);
    await expectRefused(
      () => ns.cli(['start']),
      /rs-agent\.yaml: is writable by its group \(mode 0666\).*--allow-insecure-config$/,
    );
    await expectRefused(() => ns.cli(['validate']), /is writable by its group/);
    const allowed = await ns.cli(['start', '--allow-insecure-config']);
    expect(allowed.exitCode).toBe(0);
    expect((await ns.addresses('lo')).map((a) => a.local)).toContain('192.0.2.10');
    // What rs-agent keeps is root's alone.
    expect(statSync(ns.stateDir).mode & 0o777).toBe(0o700);
    expect(statSync(statePath()).mode & 0o777).toBe(0o600);
  });

  it('a config in a directory others can write to', async () => {
    const open = join(ns.dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const path = join(open, 'rs-agent.yaml');
    writeFileSync(path, DR, { mode: 0o644 });
    await expectRefused(
      () => ns.cli(['start'], {}, path),
      new RegExp(`: directory ${open} is writable by its group \\(mode 0777\\)`),
    );
  });

  it('a config that cannot be read (root without CAP_DAC_OVERRIDE) or is a directory', async () => {
    chmodSync(ns.configPath, 0o000);
    const noDac = [
      'setpriv',
      '--bounding-set=-dac_override,-dac_read_search',
      '--inh-caps=-dac_override,-dac_read_search',
    ];
    await expectRefused(() => ns.cliWith(noDac, ['start']), /rs-agent\.yaml: cannot read: permission denied/);
    const dir = join(ns.dir, 'conf.d');
    mkdirSync(dir);
    await expectRefused(() => ns.cli(['start'], {}, dir), /conf\.d: is a directory, not a file$/);
  });
});

describe('a damaged state file', () => {
  it.each([
    [
      'corrupt',
      '{"version": 1, "owned": {',
      /is corrupt \(not JSON\); it holds the sysctl values to restore on stop\. Inspect it, then move it aside/,
    ],
    [
      'from another version',
      '{"version": 2, "owned": {}}\n',
      /has version 2, this rs-agent reads version 1; stop with the rs-agent that wrote it, or move the file aside/,
    ],
    ['not an object', '[]\n', /has version null, this rs-agent reads version 1/],
    [
      'a sysctl path out of /proc/sys/net',
      '{"version": 1, "owned": {"sysctls": {"net/ipv4/conf/../../../../etc/motd": {"original": "0"}}}}\n',
      /is damaged \(owned\.sysctls: "net\/ipv4\/conf\/\.\.\/.*" is not a net\.ipv4\/ipv6 conf sysctl\)/,
    ],
    [
      'a crafted device name',
      '{"version": 1, "owned": {"addresses": [{"address": "192.0.2.10", "prefixlen": 32, "family": 4, "dev": "lo\\naddress flush"}]}}\n',
      /is damaged \(owned\.addresses\[0\]\.dev is not an interface name\)/,
    ],
    ['a wrong type', '{"version": 1, "owned": {"routes": 5}}\n', /is damaged \(owned\.routes is not a list\)/],
  ])(
    '%s: every command says so, names the file and what to do, and leaves it as it was',
    async (_name, text, message) => {
      mkdirSync(ns.stateDir, { mode: 0o700 });
      writeFileSync(statePath(), text);
      for (const command of ['start', 'stop', 'check', 'check --fix', 'status', 'plan']) {
        const result = await expectRefused(() => ns.cli(command.split(' ')), message);
        expect(result.stderr).toContain(`state file ${statePath()} `);
      }
    },
  );
});

describe('a VIP the host already holds on a NIC', () => {
  it('on eth0 as a /32 (the host own address, or a stray VIP): start adds everything else and fails naming eth0, check and the daemon agree', async () => {
    await ns.ip(['addr', 'add', '192.0.2.11/32', 'dev', 'eth0']);
    const line =
      "VIP 192.0.2.11 is on eth0 (192.0.2.11/32): refused, it may be eth0's own address, and guarding that would take the host off its network; " +
      'if it is a VIP put on eth0 by mistake, remove it (ip address del 192.0.2.11/32 dev eth0) and rs-agent puts it on lo';
    const plan = await ns.cli(['plan']);
    expect(plan.exitCode).toBe(2);
    expect(plan.stdout).not.toContain('192.0.2.11'); // nor in the ARP guard's set
    expect(plan.stderr).toBe(`rs-agent: not in place: ${line}`);
    const start = await ns.cli(['start']);
    expect(start.exitCode).toBe(2);
    expect(start.stdout).toContain('+ address 192.0.2.10/32 dev lo');
    expect(start.stdout).not.toContain('192.0.2.11');
    expect(start.stderr).toBe(`rs-agent: not in place: ${line}`);
    expect((await ns.addresses('lo')).map((a) => a.local)).toEqual(['127.0.0.1', '192.0.2.10']);
    expect(await ns.routes()).not.toContainEqual({ dst: '192.0.2.11', dev: 'lo' });
    const check = await ns.cli(['check']);
    expect(check.exitCode).toBe(1);
    expect(check.stdout).toBe(`drift: ${line}`);
    const fix = await ns.cli(['check', '--fix']);
    expect(fix.exitCode).toBe(1);
    expect((await ns.addresses('lo')).map((a) => a.local)).toEqual(['127.0.0.1', '192.0.2.10']);
    const json = JSON.parse((await ns.cli(['check', '--json'])).stdout) as {
      inSync: boolean;
      problems: { item: string; message: string }[];
    };
    expect(json.inSync).toBe(false);
    expect(json.problems).toEqual([{ item: 'VIP 192.0.2.11', message: line }]);
    const daemon = new Daemon(ns);
    try {
      const refused = await daemon.waitFor((l) => l.event === 'unavailable');
      expect(refused).toMatchObject({ level: 'error', error: line });
      expect(await daemon.waitFor((l) => l.event === 'ready')).toMatchObject({ in_sync: false });
      expect(daemon.lines.filter((l) => l.event === 'repair' || l.event === 'change')).toEqual([]);
    } finally {
      await daemon.kill(ns);
    }
    expect((await ns.addresses('lo')).map((a) => a.local)).toEqual(['127.0.0.1', '192.0.2.10']);
  });

  it("equal to the NIC's own address: start fails naming it and eth0, adds the other VIP", async () => {
    await ns.ip(['addr', 'add', '192.0.2.10/24', 'dev', 'eth0']);
    const start = await ns.cli(['start']);
    expect(start.exitCode).toBe(2);
    expect(start.stderr).toBe(
      "rs-agent: not in place: VIP 192.0.2.10 is eth0's own address (192.0.2.10/24): refused, it would take the host off its network",
    );
    expect((await ns.addresses('lo')).map((a) => a.local)).toEqual(['127.0.0.1', '192.0.2.11']);
  });

  it('appearing after start: rs-agent takes its own copy off lo, --fix repairs the rest, stop still undoes everything', async () => {
    await ns.setSysctl('net/ipv4/conf/eth0/arp_announce', '1');
    const before = await ns.exec(['cat', ...ARP.map((p) => `/proc/sys/${p}`)]);
    expect((await ns.cli(['start'])).exitCode).toBe(0);
    await ns.ip(['addr', 'add', '192.0.2.10/32', 'dev', 'eth0']);
    await ns.setSysctl('net/ipv4/conf/eth0/arp_ignore', '0');
    const fix = await ns.cli(['check', '--fix']);
    expect(fix.exitCode).toBe(1);
    expect(fix.stdout).toContain('drift: VIP 192.0.2.10 is on eth0');
    // arp_ignore, the guard's set, the traffic table's set, lo's address and route
    expect(fix.stdout).toContain('repaired: 5 drifted items');
    expect(fix.stdout).not.toContain('now in sync');
    expect(await ns.sysctl('net/ipv4/conf/eth0/arp_ignore')).toBe('1');
    expect((await ns.addresses('eth0')).map((a) => a.local)).toEqual(['192.0.2.10']);
    expect((await ns.addresses('lo')).map((a) => a.local)).toEqual(['127.0.0.1', '192.0.2.11']);
    expect((await ns.cli(['stop'])).exitCode).toBe(0);
    expect((await ns.addresses('lo')).map((a) => a.local)).toEqual(['127.0.0.1']);
    expect(await ns.exec(['cat', ...ARP.map((p) => `/proc/sys/${p}`)])).toBe(before);
  });
});

describe('a change the kernel refuses halfway', () => {
  it('lo down: addresses are added, routes refused; each failure reported, exit 2; the next pass picks up', async () => {
    await ns.ip(['link', 'set', 'lo', 'down']);
    const first = await ns.cli(['start']);
    expect(first.exitCode).toBe(2);
    expect(first.stdout).toContain('+ address 192.0.2.10/32 dev lo');
    expect(first.stderr.split('\n')).toEqual([
      expect.stringMatching(
        /^rs-agent: failed: \+ route 192\.0\.2\.10\/32 dev lo: ip route add 192\.0\.2\.10\/32 dev lo: .*not up/,
      ),
      expect.stringMatching(
        /^rs-agent: failed: \+ route 192\.0\.2\.11\/32 dev lo: ip route add 192\.0\.2\.11\/32 dev lo: .*not up/,
      ),
    ]);
    expect((await ns.addresses('lo')).map((a) => a.local)).toEqual(['127.0.0.1', '192.0.2.10', '192.0.2.11']);
    const drift = await ns.cli(['check']);
    expect(drift.exitCode).toBe(1);
    expect(drift.stdout.split('\n')).toEqual([
      'drift: route 192.0.2.10/32 dev lo: missing',
      'drift: route 192.0.2.11/32 dev lo: missing',
    ]);
    await ns.ip(['link', 'set', 'lo', 'up']);
    expect((await ns.cli(['start'])).exitCode).toBe(0);
    expect((await ns.cli(['plan'])).stdout).toBe('nothing to change: the host is in sync');
    expect((await ns.cli(['stop'])).exitCode).toBe(0);
    expect(await ns.addresses('lo')).toEqual([{ local: '127.0.0.1', prefixlen: 8, label: 'lo' }]);
  });
});
