import { execa } from 'execa';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemon, eventually } from '../helpers/daemon.js';
import { FleetNetwork } from '../helpers/etcd-fleet.js';
import type { TestNamespace } from '../helpers/netns.js';

// The host's lifelines against VIPs that would take them, on the real kernel with a real
// etcd: an agent (eth0 10.77.0.N/24, default route via 10.77.0.254) whose store is at
// 10.77.0.1 is given VIPs equal to its own address, its gateway and its store's address,
// from the file and from the store. Each is refused; the host keeps answering ARP for
// its own address (a real prober in the store's namespace asks as a router does), its
// gateway and store stay off lo, and a later put still reaches it.

const PROBER = resolve(import.meta.dirname, '../helpers/arp-prober.py');
const PREFIX = '/rs-agent/';
const GATEWAY = '10.77.0.254';
const STORE = '10.77.0.1';
const refused = (own: string) => [
  `VIP ${own} is eth0's own address (${own}/24): refused, it would take the host off its network`,
  `VIP ${GATEWAY} is the default route's gateway: refused, the host would take its gateway's address for its own and never reach its gateway again`,
  `VIP ${STORE} is an address of the store, source.etcd.endpoints[0]: http://${STORE}:2379: refused, the host would answer for its store itself and be cut off from it`,
];

let net: FleetNetwork;

beforeAll(async () => {
  net = await FleetNetwork.create(1);
  await net.startAll();
}, 60_000);

afterAll(async () => {
  await net?.destroy();
}, 30_000);

// An agent's namespace, and its own address (each agent has one of its own on the bridge).
async function agent(host: string, vips: (own: string) => string[]): Promise<{ ns: TestNamespace; own: string }> {
  const ns = await net.addAgent();
  const own = (await ns.addresses('eth0'))[0]!.local;
  await ns.ip(['route', 'add', 'default', 'via', GATEWAY]);
  ns.writeConfig(`${net.agentConfig(ns, host, {})}vips: [${vips(own).join(', ')}]\n`);
  return { ns, own };
}

async function onLo(ns: TestNamespace): Promise<string[]> {
  return (await ns.addresses('lo')).map((a) => a.local).filter((a) => a !== '127.0.0.1');
}

// How the kernel routes to each address: "local" once it is on lo.
async function routeTypes(ns: TestNamespace): Promise<string[]> {
  const out: string[] = [];
  for (const address of [GATEWAY, STORE]) {
    const [route] = JSON.parse(await ns.ip(['-json', 'route', 'get', address])) as { type?: string }[];
    out.push(`${address} ${route?.type ?? 'unicast'}`);
  }
  return out;
}

// ARP requests for the agent's own address from the store's side of the bridge.
async function probe(own: string): Promise<{ sent: number; answered: number }> {
  const r = await execa('ip', ['netns', 'exec', net.storeNs, 'python3', PROBER, 'eth0', STORE, own, '50', '1']);
  return JSON.parse(r.stdout) as { sent: number; answered: number };
}

async function guardSet(ns: TestNamespace): Promise<string> {
  return (await ns.exec(['nft', 'list', 'set', 'arp', 'rs_agent', 'vips4'])).replace(/\s+/g, ' ');
}

describe("VIPs that are the host's own address, gateway or store", () => {
  it('from the file: each refused by name, exit 2; the host still answers ARP for itself and reaches its store', async () => {
    const { ns, own } = await agent('file-1', (own) => [own, GATEWAY, STORE, '192.0.2.10']);
    const start = await ns.cli(['start']);
    expect(start.exitCode).toBe(2);
    expect(start.stderr.split('\n')).toEqual(refused(own).map((line) => `rs-agent: not in place: ${line}`));
    expect(await onLo(ns)).toEqual(['192.0.2.10']);
    expect(await guardSet(ns)).toContain('elements = { 192.0.2.10 }');
    expect(await routeTypes(ns)).toEqual([`${GATEWAY} unicast`, `${STORE} unicast`]);
    expect((await probe(own)).answered).toBeGreaterThan(0);
    // The store is still reached: a VIP put for this host arrives at the next start.
    await net.put(`${PREFIX}hosts/file-1`, 'vips: [192.0.2.20]\n');
    expect((await ns.cli(['start'])).exitCode).toBe(2);
    expect(await onLo(ns)).toEqual(['192.0.2.10', '192.0.2.20']);
  });

  it('from the store, under the daemon: each refused and logged; the watch goes on and a later put arrives', async () => {
    const { ns, own } = await agent('store-1', () => ['192.0.2.10']);
    const daemon = new Daemon(ns);
    try {
      await daemon.waitFor((l) => l.event === 'ready', 15_000);
      await net.put(`${PREFIX}hosts/store-1`, `vips: [${own}, ${GATEWAY}, ${STORE}, 192.0.2.11]\n`);
      for (const line of refused(own)) await daemon.waitFor((l) => l.event === 'unavailable' && l.error === line);
      expect(await eventually(async () => (await onLo(ns)).join() === '192.0.2.10,192.0.2.11')).toBe(true);
      expect(await guardSet(ns)).toContain('elements = { 192.0.2.10, 192.0.2.11 }');
      expect(await routeTypes(ns)).toEqual([`${GATEWAY} unicast`, `${STORE} unicast`]);
      expect((await probe(own)).answered).toBeGreaterThan(0);
      await net.put(`${PREFIX}hosts/store-1`, 'vips: [192.0.2.12]\n');
      expect(await eventually(async () => (await onLo(ns)).join() === '192.0.2.10,192.0.2.12')).toBe(true);
    } finally {
      await daemon.kill(ns);
    }
  });
});
