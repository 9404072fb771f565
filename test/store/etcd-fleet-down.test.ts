import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemon, eventually } from '../helpers/daemon.js';
import { FleetNetwork } from '../helpers/etcd-fleet.js';
import type { TestNamespace } from '../helpers/netns.js';

// fleet status never hides a host, against a real etcd: a dead agent's status lease
// expires, and it is listed down with when it was last seen; no host at all is not "in
// sync"; a fleet whose records add up to more than gRPC's 4 MiB is read in pages.

const PREFIX = '/rs-agent/';

let net: FleetNetwork;
let agents: TestNamespace[] = [];

beforeAll(async () => {
  net = await FleetNetwork.create(1);
  await net.startAll();
  agents = [
    await net.addConfiguredAgent('web-1', { pool: 'web' }),
    await net.addConfiguredAgent('web-2', { pool: 'web' }),
  ];
}, 60_000);

afterAll(async () => {
  await net?.destroy();
}, 30_000);

async function fleet() {
  const r = await net.fleetStatus(agents[0]!);
  if (r.exitCode === 2) throw new Error(r.stderr);
  return { exitCode: r.exitCode, hosts: r.json!.hosts };
}

describe('fleet status never hides a host', () => {
  it('no host at all: exit 1, saying no host has reported', async () => {
    const r = await net.fleetStatus(agents[0]!, []);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^0 hosts at store revision \d+: no host has reported$/m);
  });

  it('an agent killed: once its status lease expires it is listed down with when it was last seen, exit 1', async () => {
    const daemons = agents.map((ns) => new Daemon(ns));
    try {
      await net.put(`${PREFIX}groups/web`, 'selector: {pool: web}\nvips: [192.0.2.10]\n');
      for (const d of daemons) await d.waitFor((l) => l.event === 'ready', 15_000);
      expect(await eventually(async () => (await fleet()).hosts.every((h) => h.state === 'in-sync'), 10_000)).toBe(
        true,
      );
      await daemons[1]!.kill(agents[1]!);
      const killedAt = Date.now();
      // status_ttl 5: the lease is gone within a few seconds.
      const down = await eventually(
        async () => (await fleet()).hosts.find((h) => h.host === 'web-2')?.state === 'down',
        20_000,
      );
      expect(down ? true : JSON.stringify(await fleet())).toBe(true);
      const now = await fleet();
      expect(now.exitCode).toBe(1);
      expect(now.hosts.map((h) => [h.host, h.state])).toEqual([
        ['web-1', 'in-sync'],
        ['web-2', 'down'],
      ]);
      const lastSeen = Date.parse(now.hosts[1]!.updatedAt);
      expect(lastSeen).toBeLessThanOrEqual(killedAt);
      expect(lastSeen).toBeGreaterThan(killedAt - 5_000); // heartbeat 1 s
    } finally {
      for (const [i, d] of daemons.entries()) await d.kill(agents[i]!);
    }
  }, 90_000);

  it('records adding up to more than 4 MiB are read in pages: every host is listed', async () => {
    // 4 600 synthetic status records of ~1 KiB, written 100 to a transaction.
    const padding = 'x'.repeat(1000);
    for (let batch = 0; batch < 46; batch++) {
      const puts = Array.from({ length: 100 }, (_, i) => {
        const host = `bulk-${batch * 100 + i}`;
        // etcdctl's txn splits a line at blanks and unquotes only a "..." word: the JSON,
        // which has no blank, goes as one bare word.
        return `put ${PREFIX}tracked/${host} {"host":"${host}","seenAt":"2030-01-01T00:00:00Z","pad":"${padding}"}`;
      });
      const r = await execa('ip', ['netns', 'exec', net.storeNs, 'etcdctl', `--endpoints=${net.endpoints[0]}`, 'txn'], {
        input: `\n${puts.join('\n')}\n\n\n`,
        env: { ETCDCTL_API: '3' },
      });
      expect(r.stdout).toContain('SUCCESS');
    }
    const started = Date.now();
    const { hosts } = await fleet();
    console.log(`fleet status over ${hosts.length} hosts (~4.7 MB): ${Date.now() - started} ms`);
    expect(hosts.length).toBeGreaterThanOrEqual(4600);
    expect(hosts.filter((h) => h.host.startsWith('bulk-') && h.state === 'down').length).toBe(4600);
  }, 180_000);
});
