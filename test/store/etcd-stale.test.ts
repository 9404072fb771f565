import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemon, eventually } from '../helpers/daemon.js';
import { FleetNetwork } from '../helpers/etcd-fleet.js';
import type { TestNamespace } from '../helpers/netns.js';

// `stale` with the default status lease (30 s), against a real etcd: a store that keeps the
// host's lease alive but refuses its writes. etcd over its space quota raises the NOSPACE
// alarm and then takes only reads, deletes and lease keep-alives: every agent's status stops
// changing and stays, so fleet status must tell those hosts from the ones writing.

const PREFIX = '/rs-agent/';

let net: FleetNetwork;
let agent: TestNamespace;

beforeAll(async () => {
  net = await FleetNetwork.create(1);
  net.etcdArgs = ['--quota-backend-bytes', String(8 * 1024 * 1024)];
  await net.startAll();
  agent = await net.addAgent();
  agent.writeConfig(net.agentConfig(agent, 'web-1', { pool: 'web' }).replace('status_ttl: 5', 'status_ttl: 30'));
}, 60_000);

afterAll(async () => {
  await net?.destroy();
}, 30_000);

async function fleet() {
  const r = await net.fleetStatus(agent);
  if (r.exitCode === 2) throw new Error(r.stderr);
  return r.json!.hosts;
}

describe('fleet status: a host whose status stops changing while its lease lives', () => {
  it('the store over its quota (NOSPACE): the host is stale after 2.5 heartbeats, not in sync, not down', async () => {
    const daemon = new Daemon(agent);
    try {
      await net.put(`${PREFIX}groups/web`, 'selector: {pool: web}\nvips: [192.0.2.10]\n');
      await daemon.waitFor((l) => l.event === 'ready', 15_000);
      expect(await eventually(async () => (await fleet())[0]?.state === 'in-sync', 10_000)).toBe(true);
      // From here on: the agent's heartbeat may meet the quota before the filling below has
      // seen a put refused (etcdctl starts slowly on a busy machine), and says so once.
      const from = daemon.lines.length;
      // Fill the store past its quota with values of 1 MiB under a key nobody reads.
      const big = 'x'.repeat(1024 * 1024);
      let refused = '';
      for (let i = 0; i < 16 && !refused; i++) {
        const r = await net.etcdctl(['put', `/filler/${i}`], undefined, false, big);
        if (r.exitCode !== 0) refused = r.stderr;
      }
      expect(refused).toMatch(/database space exceeded/);
      // heartbeat 1 s: stale once its status is 2.5 s old; the lease (30 s) keeps it listed.
      const stale = await eventually(async () => (await fleet())[0]?.state === 'stale', 15_000);
      expect(stale ? true : JSON.stringify(await fleet())).toBe(true);
      await daemon.waitFor(
        (l) => /status .* not written/.test(l.message) && /space exceeded/.test(l.message),
        15_000,
        from,
      );
      const r = await net.fleetStatus(agent, []);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toMatch(/^web-1\s+stale\s/m);
    } finally {
      await daemon.kill(agent);
    }
  }, 90_000);
});
