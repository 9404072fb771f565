import { execa } from 'execa';
import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Daemon, eventually } from '../helpers/daemon.js';
import { TestNamespace } from '../helpers/netns.js';

// The promise: a real server never answers ARP for a VIP. A real prober in a second
// namespace (the peer end of the veth, an address in eth0's subnet) asks for the VIP
// the way a router does and counts the replies.

const PROBER = resolve(import.meta.dirname, '../helpers/arp-prober.py');
const ARP = ['all', 'default', 'lo', 'eth0'].flatMap((dev) => [
  `net/ipv4/conf/${dev}/arp_ignore`,
  `net/ipv4/conf/${dev}/arp_announce`,
]);

let ns: TestNamespace;
let peer: string;
let daemon: Daemon | null = null;

beforeEach(async () => {
  ns = await TestNamespace.create();
  peer = `${ns.name}-peer`;
  await execa('ip', ['netns', 'add', peer]);
  await ns.ip(['link', 'set', 'eth0-peer', 'netns', peer]);
  await execa('ip', ['-n', peer, 'link', 'set', 'eth0-peer', 'up']);
  await execa('ip', ['-n', peer, 'addr', 'add', '10.99.0.2/24', 'dev', 'eth0-peer']);
  await ns.ip(['addr', 'add', '10.99.0.1/24', 'dev', 'eth0']);
});
afterEach(async () => {
  if (daemon) await daemon.kill(ns);
  daemon = null;
  await execa('ip', ['netns', 'del', peer], { reject: false });
  await ns.destroy();
});

async function probe(vip: string, seconds: number, intervalMs = 50): Promise<{ sent: number; answered: number }> {
  const r = await execa('ip', [
    'netns',
    'exec',
    peer,
    'python3',
    PROBER,
    'eth0-peer',
    '10.99.0.2',
    vip,
    String(intervalMs),
    String(seconds),
  ]);
  return JSON.parse(r.stdout) as { sent: number; answered: number };
}

// Another tool resetting the ARP sysctls on all and eth0 to 0, once a second.
function fight(times: number) {
  const files = ['all', 'eth0'].flatMap((d) => [
    `/proc/sys/net/ipv4/conf/${d}/arp_ignore`,
    `/proc/sys/net/ipv4/conf/${d}/arp_announce`,
  ]);
  const script = `for i in $(seq ${times}); do for f in ${files.join(' ')}; do echo 0 > $f; done; sleep 1; done`;
  return execa('ip', ['netns', 'exec', ns.name, 'sh', '-c', script]);
}

const nftTable = async (): Promise<string> =>
  (await execa('ip', ['netns', 'exec', ns.name, 'nft', 'list', 'table', 'arp', 'rs_agent'], { reject: false })).stdout;

describe('ARP for a VIP on the real kernel', () => {
  it('the probe itself: a VIP on lo with nothing protecting it is answered', async () => {
    await ns.ip(['addr', 'add', '192.0.2.10/32', 'dev', 'lo']);
    expect((await probe('192.0.2.10', 0.5)).answered).toBeGreaterThan(0);
  });

  it('under a fight over the ARP sysctls, with the guard on: no answer, every reset repaired, the fight logged', async () => {
    ns.writeConfig('vips: [192.0.2.10]\ninterfaces: [eth0]\ndrift: {flap: {max_repairs: 2}}\n');
    daemon = new Daemon(ns);
    await daemon.waitFor((l) => l.event === 'ready');
    expect(await nftTable()).toContain('192.0.2.10');
    const [result] = await Promise.all([probe('192.0.2.10', 4), fight(4)]);
    console.log(`guard on, sysctls reset 4 times: ${result.answered} of ${result.sent} requests answered`);
    expect(result.answered).toBe(0);
    await daemon.waitFor((l) => l.event === 'protection-fight');
    // Four resets a second apart: three repaired at least (the last may still be under way).
    const repairs = () => daemon?.repairsOf('sysctl net.ipv4.conf.all.arp_ignore').length ?? 0;
    expect(await eventually(async () => repairs() >= 3, 10_000), `${repairs()} repairs`).toBe(true);
    expect(daemon.lines.filter((l) => l.event === 'flap-backoff')).toEqual([]);
  });

  it('with the guard off, answers stay within the sysctl re-read bound', async () => {
    ns.writeConfig('vips: [192.0.2.10]\ninterfaces: [eth0]\narp: {guard: off}\n');
    daemon = new Daemon(ns);
    await daemon.waitFor((l) => l.event === 'ready');
    const resets = 4;
    const [result] = await Promise.all([probe('192.0.2.10', 4), fight(resets)]);
    console.log(`guard off, sysctls reset ${resets} times: ${result.answered} of ${result.sent} requests answered`);
    // Each reset exposes the VIP for at most the 100 ms re-read plus one pass: with a
    // request every 50 ms that is a few answers a reset. The pass is as slow as the machine
    // is busy, so the bound takes the longest pass the daemon logged (at least 400 ms: 10
    // answers a reset); a repair held back leaves the VIP answered to the end, and fails it.
    expect(
      await eventually(async () => (daemon?.repairsOf('sysctl net.ipv4.conf.all.arp_ignore').length ?? 0) > 0),
    ).toBe(true);
    const passMs = Math.max(400, ...daemon.lines.filter((l) => l.event === 'repair').map((l) => Number(l.duration_ms)));
    const perReset = Math.ceil((100 + passMs) / 50);
    expect(result.answered, `${perReset} answers a reset allowed (the longest pass ${passMs} ms)`).toBeLessThanOrEqual(
      resets * perReset,
    );
    expect(await ns.sysctl('net/ipv4/conf/all/arp_ignore')).toBe('1');
  });

  it('two state directories, one stopped: the other VIP keeps its protection and gets no answer', async () => {
    const other = `${ns.dir}/other.yaml`;
    ns.writeConfig('vips: [192.0.2.10]\ninterfaces: [eth0]\narp: {guard: off}\n');
    await execa('sh', ['-c', `printf 'vips: [192.0.2.20]\\ninterfaces: [eth0]\\narp: {guard: off}\\n' > ${other}`]);
    const otherState = ['--state-dir', `${ns.dir}/state2`];
    expect((await ns.cli(['start'])).exitCode).toBe(0);
    const second = await execa(
      'ip',
      [
        'netns',
        'exec',
        ns.name,
        process.execPath,
        resolve(import.meta.dirname, '../../dist/cli/main.js'),
        'start',
        '--config',
        other,
        ...otherState,
      ],
      { reject: false },
    );
    expect(second.exitCode).toBe(0);
    const stopped = await ns.cli(['stop']);
    expect(stopped.exitCode).toBe(0);
    expect(stopped.stdout).toContain('still needed by 192.0.2.20/32 on lo');
    for (const path of ARP) expect(await ns.sysctl(path), path).toBe(path.endsWith('ignore') ? '1' : '2');
    expect((await probe('192.0.2.20', 1)).answered).toBe(0);
    const json = JSON.parse((await ns.cli(['stop', '--json'])).stdout) as { kept: { neededBy: string[] }[] };
    expect(json.kept.length).toBeGreaterThan(0);
    expect(json.kept[0]?.neededBy).toEqual(['192.0.2.20/32 on lo']);
  });

  it('a VIP added to lo by hand, then stop: the guard and the sysctls stay for it; once it is gone, stop removes them', async () => {
    ns.writeConfig('vips: [192.0.2.10]\ninterfaces: [eth0]\n');
    expect((await ns.cli(['start'])).exitCode).toBe(0);
    await ns.ip(['addr', 'add', '192.0.2.99/32', 'dev', 'lo']);
    const stopped = await ns.cli(['stop']);
    expect(stopped.exitCode).toBe(0);
    expect(stopped.stdout).toContain('nft table arp rs_agent: kept');
    expect(await nftTable()).toMatch(/elements = \{ 192\.0\.2\.99 \}/);
    await ns.setSysctl('net/ipv4/conf/all/arp_ignore', '0'); // the guard alone still protects it
    await ns.setSysctl('net/ipv4/conf/eth0/arp_ignore', '0');
    expect((await probe('192.0.2.99', 1)).answered).toBe(0);
    await ns.ip(['addr', 'del', '192.0.2.99/32', 'dev', 'lo']);
    expect((await ns.cli(['stop'])).exitCode).toBe(0);
    expect(await nftTable()).toBe('');
    expect(await ns.sysctl('net/ipv4/conf/lo/arp_ignore')).toBe('0');
  });

  it('the guard flushed or deleted by someone else is drift, and repaired', async () => {
    ns.writeConfig('vips: [192.0.2.10]\ninterfaces: [eth0]\n');
    expect((await ns.cli(['start'])).exitCode).toBe(0);
    expect((await ns.cli(['check'])).exitCode).toBe(0);
    await ns.exec(['nft', 'flush', 'table', 'arp', 'rs_agent']);
    const drift = await ns.cli(['check']);
    expect(drift.exitCode).toBe(1);
    expect(drift.stdout).toContain('nft table arp rs_agent: altered');
    expect((await ns.cli(['check', '--fix'])).exitCode).toBe(0);
    expect(await nftTable()).toContain('arp operation request arp daddr ip @vips4');
    await ns.exec(['nft', 'delete', 'table', 'arp', 'rs_agent']);
    expect((await ns.cli(['check', '--fix'])).exitCode).toBe(0);
    expect(await nftTable()).toContain('192.0.2.10');
    await ns.setSysctl('net/ipv4/conf/all/arp_ignore', '0');
    await ns.setSysctl('net/ipv4/conf/eth0/arp_ignore', '0');
    expect((await probe('192.0.2.10', 1)).answered).toBe(0);
  });

  it('keeps stricter values: arp_ignore 2 on eth0 and 8 on all are left alone', async () => {
    ns.writeConfig('vips: [192.0.2.10]\ninterfaces: [eth0]\n');
    await ns.setSysctl('net/ipv4/conf/eth0/arp_ignore', '2');
    await ns.setSysctl('net/ipv4/conf/all/arp_ignore', '8');
    expect((await ns.cli(['start'])).exitCode).toBe(0);
    expect(await ns.sysctl('net/ipv4/conf/eth0/arp_ignore')).toBe('2');
    expect(await ns.sysctl('net/ipv4/conf/all/arp_ignore')).toBe('8');
    expect((await ns.cli(['plan'])).stdout).toBe('nothing to change: the host is in sync');
  });
});
