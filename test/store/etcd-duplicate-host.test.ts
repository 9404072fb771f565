import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemon, eventually } from '../helpers/daemon.js';
import { FleetNetwork } from '../helpers/etcd-fleet.js';
import type { TestNamespace } from '../helpers/netns.js';

// Two hosts given one host name (a cloned image keeps the system's host name) against a real
// etcd: each agent's status write replaces the other's under status/web-1. Each agent has an id
// of its own, made at its start and written in its status; each finds the other's id where its
// own should be, logs it, and fleet status shows the host as duplicate, naming both.

const PREFIX = '/rs-agent/';
let net: FleetNetwork;
let agents: TestNamespace[];

async function fleet() {
  const r = await net.fleetStatus(agents[0]!);
  return { exitCode: r.exitCode, hosts: r.json!.hosts };
}

beforeAll(async () => {
  net = await FleetNetwork.create(1);
  await net.startAll();
  await net.put(`${PREFIX}groups/web`, 'selector: {pool: web}\nvips: [192.0.2.10]\n');
  agents = [
    await net.addConfiguredAgent('web-1', { pool: 'web' }),
    await net.addConfiguredAgent('web-1', { pool: 'web' }),
  ];
}, 60_000);

afterAll(async () => {
  await net?.destroy();
}, 30_000);

describe('two agents with one host name', () => {
  it('both log the other, fleet status shows the host duplicate; once one stops, the other is in sync again', async () => {
    const daemons = agents.map((ns) => new Daemon(ns));
    try {
      const ids = await Promise.all(
        daemons.map(async (d) => String((await d.waitFor((l) => l.event === 'starting')).instance)),
      );
      expect(ids[0]).toMatch(/^[0-9a-f]{8}$/);
      expect(ids[1]).not.toBe(ids[0]);
      for (const [i, d] of daemons.entries()) {
        const line = await d.waitFor((l) => l.event === 'duplicate-host' && l.level === 'error', 15_000);
        expect(line.other).toBe(ids[1 - i]);
        expect(line.message).toContain(`another agent (instance ${ids[1 - i]}) writes ${PREFIX}status/web-1 too`);
      }
      let last: Awaited<ReturnType<typeof fleet>> | null = null;
      expect(
        await eventually(async () => {
          last = await fleet();
          return last.hosts.length === 1 && last.hosts[0]!.state === 'duplicate';
        }, 10_000),
      ).toBe(true);
      expect(last!.exitCode).toBe(1);
      expect(ids).toContain(last!.hosts[0]!.instance);
      expect(last!.hosts[0]!.errors[0]).toMatch(/^agents [0-9a-f]{8} and [0-9a-f]{8} both write this host's status/);

      // One of them goes: three heartbeats later the other says so, and is in sync again.
      daemons[1]!.signal('SIGTERM');
      await daemons[1]!.exit();
      await daemons[0]!.waitFor((l) => l.event === 'duplicate-host' && l.level === 'info', 15_000);
      expect(
        await eventually(async () => {
          const now = await fleet();
          return now.exitCode === 0 && now.hosts[0]!.state === 'in-sync' && now.hosts[0]!.instance === ids[0];
        }, 10_000),
      ).toBe(true);
    } finally {
      for (const d of daemons) d.signal('SIGTERM');
      await Promise.all(daemons.map((d) => d.exit()));
    }
    for (const d of daemons) expect(d.stderr).toBe('');
  }, 60_000);
});
