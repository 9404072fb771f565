import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Daemon, eventually } from '../helpers/daemon.js';
import { FleetNetwork } from '../helpers/etcd-fleet.js';
import type { TestNamespace } from '../helpers/netns.js';

// Real etcd members (Debian's etcd-server) and real agents, each in a namespace of
// its own on one bridge. The cases run in order on one cluster; the disruptive ones last.

const PREFIX = '/rs-agent/';
const HOSTS = [
  { host: 'web-1', labels: { pool: 'web' } },
  { host: 'web-2', labels: { pool: 'web' } },
  { host: 'db-1', labels: { pool: 'db' } },
];

let net: FleetNetwork;
const agents: { ns: TestNamespace; daemon: Daemon; host: string }[] = [];

async function vipsOn(ns: TestNamespace): Promise<string[]> {
  return (await ns.addresses('lo'))
    .filter((a) => a.local.startsWith('192.0.2.'))
    .map((a) => a.local)
    .sort();
}

async function fleet() {
  const r = await net.fleetStatus(agents[1]!.ns);
  if (r.exitCode === 2) throw new Error(r.stderr);
  return r.json!;
}

async function converged(expected: Record<string, string[]>, timeoutMs = 30_000): Promise<boolean> {
  return eventually(async () => {
    for (const a of agents)
      if (JSON.stringify(await vipsOn(a.ns)) !== JSON.stringify(expected[a.host] ?? [])) return false;
    return true;
  }, timeoutMs);
}

beforeAll(async () => {
  net = await FleetNetwork.create(3);
  await net.startAll();
  for (const { host, labels } of HOSTS) {
    const ns = await net.addAgent();
    ns.writeConfig(net.agentConfig(ns, host, labels));
    agents.push({ ns, daemon: new Daemon(ns), host });
  }
  for (const a of agents) await a.daemon.waitFor((l) => l.event === 'ready', 15_000);
}, 60_000);

afterAll(async () => {
  await net?.destroy();
}, 30_000);

describe('a fleet from etcd', () => {
  it('one put reaches the hosts whose labels match, and only them; status comes back', async () => {
    const revision = await net.put(`${PREFIX}groups/web`, 'selector: {pool: web}\nvips: [192.0.2.10]\n');
    expect(await converged({ 'web-1': ['192.0.2.10'], 'web-2': ['192.0.2.10'] })).toBe(true);
    const line = await agents[0]!.daemon.waitFor((l) => l.event === 'store-change' && l.revision === revision);
    expect(line.vips).toBe(1);
    // The web hosts report the revision of the put; db-1, which it does not concern, none.
    const synced = await eventually(async () =>
      (await fleet()).hosts.every((h) => h.state === 'in-sync' && h.revision === (h.host === 'db-1' ? 0 : revision)),
    );
    expect(synced ? true : JSON.stringify(await fleet())).toBe(true);
    expect((await fleet()).hosts.map((h) => h.host)).toEqual(['db-1', 'web-1', 'web-2']);
  });

  it('a host key adds VIPs to that host alone, as JSON too', async () => {
    await net.put(`${PREFIX}hosts/db-1`, '{"vips": ["192.0.2.20"]}');
    expect(await converged({ 'web-1': ['192.0.2.10'], 'web-2': ['192.0.2.10'], 'db-1': ['192.0.2.20'] })).toBe(true);
  });

  it('an invalid value is refused, the last valid one stays, and status names the key and key path', async () => {
    await net.put(`${PREFIX}groups/web`, 'selector: {pool: web}\nvips: [192.0.2.10, 192.0.2.300]\n');
    await agents[0]!.daemon.waitFor((l) => l.event === 'store-invalid');
    const line = agents[0]!.daemon.lines.find((l) => l.event === 'store-invalid')!;
    expect(line.message).toContain(`etcd key ${PREFIX}groups/web: vips[1]: "192.0.2.300"`);
    expect(
      await eventually(async () =>
        (await fleet()).hosts.find((h) => h.host === 'web-1')!.errors.some((e) => e.includes('vips[1]')),
      ),
    ).toBe(true);
    expect(await vipsOn(agents[0]!.ns)).toEqual(['192.0.2.10']);
    await net.put(`${PREFIX}groups/web`, 'selector: {pool: web}\nvips: [192.0.2.10, 192.0.2.11]\n');
    expect(
      await converged({
        'web-1': ['192.0.2.10', '192.0.2.11'],
        'web-2': ['192.0.2.10', '192.0.2.11'],
        'db-1': ['192.0.2.20'],
      }),
    ).toBe(true);
  });

  it('wipe protection: deleting everything leaves every VIP in place until allow-empty says so', async () => {
    await net.etcdctl(['del', '--prefix', `${PREFIX}groups/`]);
    await net.del(`${PREFIX}hosts/db-1`);
    for (const a of agents) await a.daemon.waitFor((l) => l.event === 'wipe-refused');
    expect(await vipsOn(agents[0]!.ns)).toEqual(['192.0.2.10', '192.0.2.11']);
    expect(await vipsOn(agents[2]!.ns)).toEqual(['192.0.2.20']);
    expect(await eventually(async () => (await fleet()).hosts.every((h) => h.state === 'wipe-held'))).toBe(true);
    // A deliberate emptying of one host goes through; the others stay held.
    await net.put(`${PREFIX}allow-empty/db-1`, 'yes');
    expect(
      await converged({ 'web-1': ['192.0.2.10', '192.0.2.11'], 'web-2': ['192.0.2.10', '192.0.2.11'], 'db-1': [] }),
    ).toBe(true);
    await net.del(`${PREFIX}allow-empty/db-1`);
    await net.put(`${PREFIX}groups/all`, 'vips: [192.0.2.30]\n');
    expect(await converged({ 'web-1': ['192.0.2.30'], 'web-2': ['192.0.2.30'], 'db-1': ['192.0.2.30'] })).toBe(true);
  });

  it('the leader of three members goes: agents carry on and take the next change', async () => {
    const leader = await net.leader();
    await leader.stop();
    await net.put(`${PREFIX}groups/web`, 'selector: {pool: web}\nvips: [192.0.2.12]\n');
    expect(
      await converged({
        'web-1': ['192.0.2.12', '192.0.2.30'],
        'web-2': ['192.0.2.12', '192.0.2.30'],
        'db-1': ['192.0.2.30'],
      }),
    ).toBe(true);
    leader.start();
    await net.waitHealthy();
  });

  it('changes made while an agent was cut off, compacted since, are applied when it is back', async () => {
    const cut = agents[0]!.daemon.lines.length;
    await net.setAgentLink(0, false);
    onTestFinished(() => net.setAgentLink(0, true)); // a failure here leaves the next tests a whole fleet
    await net.put(`${PREFIX}groups/web`, 'selector: {pool: web}\nvips: [192.0.2.13]\n');
    const revision = await net.put(`${PREFIX}hosts/web-1`, 'vips: [192.0.2.14]\n');
    await net.etcdctl(['compact', String(revision)]);
    expect(
      await converged({
        'web-1': ['192.0.2.12', '192.0.2.30'],
        'web-2': ['192.0.2.13', '192.0.2.30'],
        'db-1': ['192.0.2.30'],
      }),
    ).toBe(true);
    // Cut off: the fleet view shows it stale once its status is 2.5 heartbeats old, and down
    // once its lease (status_ttl 5) has expired; how much of that a poll of fleet status
    // sees depends on the machine's speed, so either will do (stale alone, for 30 s, is
    // etcd-stale.test.ts). Never in sync.
    const cutOff = await eventually(
      async () => ['stale', 'down'].includes((await fleet()).hosts.find((h) => h.host === 'web-1')!.state),
      15_000,
    );
    expect(cutOff ? true : JSON.stringify((await fleet()).hosts)).toBe(true);
    // Its keepalive pings go unanswered: it notices the store is gone.
    await agents[0]!.daemon.waitFor((l) => l.event === 'store-down', 15_000, cut);
    const from = agents[0]!.daemon.lines.length;
    await net.setAgentLink(0, true);
    expect(
      await converged(
        {
          'web-1': ['192.0.2.13', '192.0.2.14', '192.0.2.30'],
          'web-2': ['192.0.2.13', '192.0.2.30'],
          'db-1': ['192.0.2.30'],
        },
        15_000,
      ),
    ).toBe(true);
    // It resumed from a revision the store had compacted away, so it read the prefix again,
    // saying why (etcd's cancel gives no reason for a compaction).
    const resync = await agents[0]!.daemon.waitFor((l) => l.event === 'store-resync', undefined, from);
    expect(resync.message).not.toMatch(/canceled:\s*\)/);
    const change = await agents[0]!.daemon.waitFor((l) => l.event === 'store-change', undefined, from);
    expect(change.revision).toBeGreaterThanOrEqual(revision);
    expect(await eventually(async () => (await fleet()).hosts.every((h) => h.state === 'in-sync'), 10_000)).toBe(true);
  });

  it('every member stopped: VIPs stay and are repaired locally; the agents catch up when the store is back', async () => {
    await Promise.all(net.members.map((m) => m.stop()));
    const web2 = agents[1]!;
    const from = web2.daemon.lines.length;
    await web2.ns.ip(['addr', 'del', '192.0.2.13/32', 'dev', 'lo']);
    await web2.daemon.waitFor(
      (l) => l.event === 'repair' && l.item === 'address 192.0.2.13/32 dev lo' && l.action === 'add',
      5000,
      from,
    );
    expect(await vipsOn(web2.ns)).toEqual(['192.0.2.13', '192.0.2.30']);
    await agents[0]!.daemon.waitFor((l) => l.event === 'store-down', 15_000);
    net.members.forEach((m) => m.start());
    await net.waitHealthy();
    await net.put(`${PREFIX}groups/db`, 'selector: {pool: db}\nvips: [192.0.2.40]\n');
    expect(
      await converged(
        {
          'web-1': ['192.0.2.13', '192.0.2.14', '192.0.2.30'],
          'web-2': ['192.0.2.13', '192.0.2.30'],
          'db-1': ['192.0.2.30', '192.0.2.40'],
        },
        20_000,
      ),
    ).toBe(true);
  });

  it('an agent SIGKILLed and started again with the store down comes up from its cache', async () => {
    const db = agents[2]!;
    await db.daemon.kill(db.ns);
    await Promise.all(net.members.map((m) => m.stop()));
    // Neither the kernel nor the state file remembers the VIPs now: only the cache does.
    await db.ns.ip(['addr', 'flush', 'dev', 'lo', 'scope', 'global']);
    rmSync(join(db.ns.stateDir, 'state.json'), { force: true });
    db.daemon = new Daemon(db.ns);
    await db.daemon.waitFor(
      (l) => l.event === 'store-cache' && String(l.message).includes('VIPs of store revision'),
      10_000,
    );
    expect(
      await converged({
        'web-1': ['192.0.2.13', '192.0.2.14', '192.0.2.30'],
        'web-2': ['192.0.2.13', '192.0.2.30'],
        'db-1': ['192.0.2.30', '192.0.2.40'],
      }),
    ).toBe(true);
  });

  it('start at boot with the store down converges from the cache, and check agrees', async () => {
    const db = agents[2]!;
    await db.daemon.kill(db.ns);
    await db.ns.ip(['addr', 'flush', 'dev', 'lo', 'scope', 'global']);
    rmSync(join(db.ns.stateDir, 'state.json'), { force: true });
    const start = await db.ns.cli(['start']);
    expect(start.stderr).toContain('unreachable');
    expect(start.exitCode).toBe(0);
    expect(await vipsOn(db.ns)).toEqual(['192.0.2.30', '192.0.2.40']);
    expect((await db.ns.cli(['check'])).exitCode).toBe(0);
  });
});
