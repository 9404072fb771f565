import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestNamespace } from '../helpers/netns.js';

// Eight mutating commands at once on one host: they serialise on the state-dir lock,
// each succeeds (or says clearly that it gave up waiting), the host ends exactly as
// desired, and the originals recorded are the true pre-start values, never a value
// another rs-agent had just written.

const VIPS = 300;
const ARP = ['all', 'default', 'lo', 'eth0'].flatMap((dev) => [
  `net/ipv4/conf/${dev}/arp_ignore`,
  `net/ipv4/conf/${dev}/arp_announce`,
]);
const config = `vips:\n${Array.from({ length: VIPS }, (_, i) => `  - 10.1.${Math.floor(i / 250)}.${(i % 250) + 1}\n`).join('')}interfaces: [eth0]\n`;

let ns: TestNamespace;
beforeEach(async () => {
  ns = await TestNamespace.create();
  ns.writeConfig(config);
  await ns.setSysctl('net/ipv4/conf/eth0/arp_announce', '1');
  await ns.setSysctl('net/ipv4/conf/all/arp_ignore', '3');
});
afterEach(async () => {
  await ns.destroy();
});

async function sysctls(): Promise<Record<string, string>> {
  const values = (await ns.exec(['cat', ...ARP.map((p) => `/proc/sys/${p}`)])).split('\n');
  return Object.fromEntries(ARP.map((p, i) => [p, values[i] as string]));
}

describe('parallel start, stop and check --fix', () => {
  it.each([
    ['start', 'stop', 'check --fix', 'start', 'stop', 'check --fix', 'start', 'stop'],
    ['stop', 'stop', 'start', 'start', 'check --fix', 'check --fix', 'start', 'stop'],
    ['check --fix', 'start', 'stop', 'check --fix', 'stop', 'start', 'check --fix', 'start'],
  ])('%s, %s, %s, %s, %s, %s, %s, %s', async (...commands) => {
    const pristine = await sysctls();
    const results = await Promise.all(commands.map((c) => ns.cli(c.split(' '))));
    results.forEach((r, i) => {
      const lockGaveUp = /^rs-agent: another rs-agent \(pid \d+\) holds .*\/lock; waited \d+s for it/.test(r.stderr);
      expect(r.exitCode === 0 || (r.exitCode === 2 && lockGaveUp), `${commands[i]}: ${r.exitCode} ${r.stderr}`).toBe(
        true,
      );
      if (r.exitCode === 0) expect(r.stderr, commands[i]).toBe('');
    });

    const final = await ns.cli(['start']);
    expect(final.exitCode).toBe(0);
    expect(await ns.cli(['plan'])).toEqual({
      exitCode: 0,
      stdout: 'nothing to change: the host is in sync',
      stderr: '',
    });
    expect((await ns.addresses('lo')).length).toBe(VIPS + 1);
    const state = JSON.parse(readFileSync(join(ns.stateDir, 'state.json'), 'utf8')) as {
      owned: { sysctls: Record<string, { original: string }>; addresses: unknown[] };
    };
    // Every ARP sysctl differed from the desired value before start: each is recorded, with its true original.
    expect(Object.fromEntries(Object.entries(state.owned.sysctls).map(([p, { original }]) => [p, original]))).toEqual(
      pristine,
    );
    expect(state.owned.addresses).toHaveLength(VIPS);

    expect((await ns.cli(['stop'])).exitCode).toBe(0);
    expect(await sysctls()).toEqual(pristine);
    expect(await ns.addresses('lo')).toEqual([{ local: '127.0.0.1', prefixlen: 8, label: 'lo' }]);
    expect(await ns.routes()).toEqual([]);
  });
});
