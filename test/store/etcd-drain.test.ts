import { execa, type ResultPromise } from 'execa';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemon, eventually } from '../helpers/daemon.js';
import { FleetNetwork } from '../helpers/etcd-fleet.js';
import type { TestNamespace } from '../helpers/netns.js';

// The fleet's drain against a real etcd: drain/<host> drains that host as `rs-agent drain`
// would (the health endpoint answers 503, the VIPs stay) and deleting it undrains; the
// operator's own drain is apart from it; drain-budget/<group> lets at most so many hosts of
// a group drain at once, by a transaction each agent makes; a value that is not a drain is
// refused by name and the host stays pooled; fleet status shows every host's drain.

const PREFIX = '/rs-agent/';
const VIP = '192.0.2.10';
const HOSTS = ['web-1', 'web-2', 'web-3'];
let net: FleetNetwork;
const agents: { ns: TestNamespace; daemon: Daemon; host: string; ip: string }[] = [];
const holders: ResultPromise[] = [];

const drainKey = (host: string) => `${PREFIX}drain/${host}`;

// GET /health from the store's namespace, as a director on the same network would.
async function health(i: number): Promise<{ status: number; body: string }> {
  const r = await execa(
    'ip',
    [
      'netns',
      'exec',
      net.storeNs,
      'curl',
      '-s',
      '-m',
      '5',
      '-w',
      '%{http_code}',
      `http://${agents[i]!.ip}:9100/health`,
    ],
    { reject: false },
  );
  return { status: Number(r.stdout.slice(-3)), body: r.stdout.slice(0, -3) };
}

async function statuses(): Promise<number[]> {
  return Promise.all(agents.map((_, i) => health(i).then((h) => h.status)));
}

const fleet = (json = true) => net.fleetStatus(agents[0]!.ns, json ? ['--json'] : []);

type Row = { host: string; drain: string | null; connections: number | null; errors: string[] };
async function rows(): Promise<Row[]> {
  return (JSON.parse((await fleet()).stdout) as { hosts: Row[] }).hosts;
}

async function vipsOn(ns: TestNamespace): Promise<string[]> {
  return (await ns.addresses('lo')).filter((a) => a.local === VIP).map((a) => a.local);
}

async function activeSlots(): Promise<string[]> {
  const r = await net.etcdctl(['get', '--prefix', '--keys-only', `${PREFIX}drain-active/`]);
  return r.stdout.split('\n').filter(Boolean);
}

beforeAll(async () => {
  net = await FleetNetwork.create(1);
  await net.startAll();
  await net.put(`${PREFIX}groups/web`, `selector: {pool: web}\nvips: [${VIP}]\n`);
  for (const host of HOSTS) {
    const ns = await net.addAgent();
    const ip = `10.77.0.${9 + net.agents.length}`;
    ns.writeConfig(
      net.agentConfig(ns, host, { pool: 'web' }) +
        `health: {listen: "${ip}:9100"}\ndrain: {quiet: 1, file: ${join(ns.dir, 'lib', 'drain')}}\n`,
    );
    agents.push({ ns, daemon: new Daemon(ns), host, ip });
  }
  for (const a of agents) await a.daemon.waitFor((l) => l.event === 'ready', 20_000);
  expect(await eventually(async () => (await statuses()).every((s) => s === 200), 20_000)).toBe(true);
}, 90_000);

afterAll(async () => {
  for (const h of holders) h.kill('SIGKILL');
  await net?.destroy();
}, 30_000);

describe('the fleet drain', () => {
  it('drain/<host> drains that host (503, VIPs stay, fleet status drained); deleting it undrains', async () => {
    await net.put(drainKey('web-1'), '{"reason": "kernel update"}');
    expect(await eventually(async () => (await health(0)).body.startsWith('drained since'), 15_000)).toBe(true);
    expect((await health(0)).status).toBe(503);
    expect((await health(0)).body).toContain('(the store drains it: kernel update)');
    expect(await vipsOn(agents[0]!.ns)).toEqual([VIP]);
    expect((await health(1)).status).toBe(200);
    expect(
      await eventually(async () => (await rows()).map((r) => r.drain).join() === 'drained,pooled,pooled', 10_000),
    ).toBe(true);
    expect((await agents[0]!.ns.cli(['status', '--json'])).stdout).toContain('"by": "store"');

    await net.del(drainKey('web-1'));
    expect(await eventually(async () => (await health(0)).status === 200, 15_000)).toBe(true);
    expect(await eventually(async () => (await rows()).every((r) => r.drain === 'pooled'), 10_000)).toBe(true);
    expect(await vipsOn(agents[0]!.ns)).toEqual([VIP]);
  });

  it("the operator's drain and the store's are apart: neither lifts the other; undrain says the store still drains", async () => {
    const ns = agents[0]!.ns;
    expect((await ns.cli(['drain', '--no-wait'])).exitCode).toBe(0);
    await net.put(drainKey('web-1'), '');
    await agents[0]!.daemon.waitFor((l) => l.event === 'fleet-drain' && /asks for it/.test(l.message));
    await net.del(drainKey('web-1'));
    await agents[0]!.daemon.waitFor((l) => l.event === 'fleet-drain' && /undrained by the store/.test(l.message));
    expect((await health(0)).status).toBe(503); // the operator's drain stays

    const from = agents[0]!.daemon.lines.length;
    await net.put(drainKey('web-1'), '');
    await agents[0]!.daemon.waitFor((l) => l.event === 'fleet-drain' && /asks for it/.test(l.message), 15_000, from);
    const undrain = await ns.cli(['undrain']);
    expect(undrain.exitCode).toBe(0);
    expect(undrain.stdout).toContain(`the store still drains this host (etcd key ${drainKey('web-1')})`);
    expect((await health(0)).status).toBe(503); // the store's drain stays
    const again = await ns.cli(['undrain']);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain(`the store drains this host (etcd key ${drainKey('web-1')}): delete that key`);
    await net.del(drainKey('web-1'));
    expect(await eventually(async () => (await health(0)).status === 200, 15_000)).toBe(true);
  });

  it('a value that is not a drain (huge, binary, not JSON, an unknown field) is refused by name: pooled, VIPs kept', async () => {
    const hostile: [string, string][] = [
      ['x'.repeat(2000), 'is larger than 1024 bytes'],
      ['\u0000\u00ff\u001b[31mred', 'is not JSON'],
      ['drain it please', 'is not JSON'],
      ['{"reason": "x", "weight": 0}', '"weight" is not a known field'],
      ['{"reason": 5}', 'reason: not a string'],
    ];
    for (const [value, why] of hostile) {
      await net.etcdctl(['put', drainKey('web-2')], undefined, true, value);
      const seen = await eventually(
        async () => (await rows()).find((r) => r.host === 'web-2')!.errors.some((e) => e.includes(why)),
        10_000,
      );
      expect(seen ? true : JSON.stringify(await rows())).toBe(true);
      const row = (await rows()).find((r) => r.host === 'web-2')!;
      expect(row.errors.find((e) => e.includes(why))).toContain(`etcd key ${drainKey('web-2')}: `);
      expect(row.drain).toBe('pooled');
      expect((await health(1)).status).toBe(200);
      expect(await vipsOn(agents[1]!.ns)).toEqual([VIP]);
    }
    // The table escapes what it shows: the escape character reaches no terminal.
    await net.etcdctl(['put', drainKey('web-2')], undefined, true, '\u001b[31m{');
    expect(
      await eventually(async () => (await fleet(false)).stdout.includes('"\\u001b[31m{" is not JSON'), 10_000),
    ).toBe(true);
    expect((await fleet(false)).stdout).not.toContain('\u001b');
    await net.del(drainKey('web-2'));
    expect(await eventually(async () => (await rows()).every((r) => r.errors.length === 0), 10_000)).toBe(true);
  });

  it('a bulk drain under drain-budget/web = 1: one host drains, the others are refused and take the slot in turn', async () => {
    await net.put(`${PREFIX}drain-budget/web`, '1');
    const from = agents.map((a) => a.daemon.lines.length);
    // All three in one transaction: the agents see them at one revision and race for the slot.
    await net.etcdctl(['txn'], undefined, true, `\n${HOSTS.map((h) => `put ${drainKey(h)} ""`).join('\n')}\n\n\n`);
    expect(await eventually(async () => (await statuses()).filter((s) => s === 503).length === 1, 15_000)).toBe(true);
    const refused = () =>
      rows().then((r) => r.filter((h) => h.errors.includes('drain refused: budget 1 of group web in use')));
    expect(await eventually(async () => (await refused()).length === 2, 10_000)).toBe(true);
    // Stable: a moment later still one, and one slot key.
    await new Promise((r) => setTimeout(r, 2000));
    expect((await statuses()).filter((s) => s === 503)).toHaveLength(1);
    expect(await activeSlots()).toHaveLength(1);
    const first = (await statuses()).indexOf(503);

    // The first is done: its key deleted, its slot freed, one of the other two takes it.
    await net.del(drainKey(HOSTS[first]!));
    expect(
      await eventually(async () => {
        const s = await statuses();
        return s[first] === 200 && s.filter((x) => x === 503).length === 1;
      }, 15_000),
    ).toBe(true);
    const second = (await statuses()).indexOf(503);
    expect(second).not.toBe(first);
    // The one still waiting logged its refusal once.
    const third = [0, 1, 2].find((i) => i !== first && i !== second)!;
    const said = agents[third]!.daemon.lines.slice(from[third]).filter((l) => l.event === 'drain-refused');
    expect(said).toHaveLength(1);
    expect(said[0]!.message).toContain('drain refused: budget 1 of group web in use');

    // The second's agent dies: its lease expires, its slot with it, and the third drains.
    await agents[second]!.daemon.kill(agents[second]!.ns);
    expect(await eventually(async () => (await health(third)).status === 503, 20_000)).toBe(true);
    for (const h of HOSTS) await net.del(drainKey(h));
    expect(await eventually(async () => (await health(third)).status === 200, 15_000)).toBe(true);
    expect(await eventually(async () => (await activeSlots()).length === 0, 10_000)).toBe(true);
    // The dead agent's store record stays on its disk; a new run finds no key and lifts it.
    agents[second]!.daemon = new Daemon(agents[second]!.ns);
    expect(await eventually(async () => (await health(second)).status === 200, 20_000)).toBe(true);
    await net.del(`${PREFIX}drain-budget/web`);
  }, 90_000);

  it('fleet status shows pooled, draining (with its connections) and drained hosts', async () => {
    // web-3 holds a connection to the VIP on itself: its drain waits on it.
    const ns = agents[2]!.ns;
    const hold = execa(
      'ip',
      [
        'netns',
        'exec',
        ns.name,
        process.execPath,
        '-e',
        `const net = require('node:net');
         const server = net.createServer(() => {}).listen(8080, '${VIP}', () => {
           net.connect(8080, '${VIP}', () => console.log('open'));
         });`,
      ],
      { reject: false, buffer: false },
    );
    holders.push(hold);
    await new Promise<void>((resolve) => hold.stdout?.once('data', () => resolve()));
    await net.put(drainKey('web-2'), '');
    await net.put(drainKey('web-3'), '');
    const want = (r: Row[]) =>
      r.map((h) => `${h.host} ${h.drain}`).join() === 'web-1 pooled,web-2 drained,web-3 draining' &&
      (r[2]!.connections ?? 0) >= 1;
    expect(await eventually(async () => want(await rows()), 20_000)).toBe(true);
    const table = (await fleet(false)).stdout;
    expect(table).toMatch(/^HOST\s+STATE\s+DRAIN\s+CONNS\s/);
    expect(table).toMatch(/^web-1\s+in-sync\s+pooled\s+0\s/m);
    expect(table).toMatch(/^web-2\s+in-sync\s+drained\s+0\s/m);
    expect(table).toMatch(/^web-3\s+in-sync\s+draining\s+[1-9]\d*\s/m);
    expect(table).toMatch(/\(1 pooled, 1 drained, 1 draining\)$/m);
    hold.kill('SIGKILL');
    expect(
      await eventually(async () => (await rows()).find((r) => r.host === 'web-3')!.drain === 'drained', 20_000),
    ).toBe(true);
  }, 60_000);
});
