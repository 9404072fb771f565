import { execa, type ResultPromise } from 'execa';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemon, eventually } from '../helpers/daemon.js';
import { FleetNetwork } from '../helpers/etcd-fleet.js';
import type { TestNamespace } from '../helpers/netns.js';

// A watch stream broken while the store is still sending what the agent missed: the
// client resumes the watch from the revision of the store when the stream was made,
// past the events not yet delivered. A real etcd, reached through a relay in the
// agent's namespace that the test breaks on purpose (test/helpers/tcp-cutter.mjs).

const CUTTER = resolve(import.meta.dirname, '../helpers/tcp-cutter.mjs');
const PREFIX = '/rs-agent/';

let net: FleetNetwork;
let ns: TestNamespace;
let relay: ResultPromise;
let relayOut = '';

beforeAll(async () => {
  net = await FleetNetwork.create(1);
  await net.startAll();
  ns = await net.addAgent();
  relay = execa(
    'ip',
    ['netns', 'exec', ns.name, process.execPath, CUTTER, '127.0.0.1', '23790', net.members[0]!.ip, '2379'],
    { reject: false, buffer: false },
  );
  relay.stdout?.on('data', (c: Buffer) => (relayOut += c.toString()));
  expect(await eventually(async () => relayOut.includes('ready'))).toBe(true);
}, 60_000);

afterAll(async () => {
  relay?.kill('SIGKILL');
  await relay;
  await net?.destroy();
}, 30_000);

function command(line: string): void {
  relay.stdin?.write(`${line}\n`);
}

async function onLo(): Promise<string[]> {
  return (await ns.addresses('lo')).map((a) => a.local).filter((a) => a.startsWith('192.0.2.'));
}

describe('a watch whose stream breaks while events are on their way', () => {
  it('the event is not lost: the prefix is read again and the VIP arrives', async () => {
    await net.put(`${PREFIX}hosts/skip-1`, 'vips: [192.0.2.10]\n');
    ns.writeConfig(
      net.agentConfig(ns, 'skip-1', {}).replace(/endpoints: \[.*\]/, 'endpoints: [http://127.0.0.1:23790]'),
    );
    const daemon = new Daemon(ns);
    try {
      await daemon.waitFor((l) => l.event === 'ready', 15_000);
      expect(await eventually(async () => (await onLo()).join() === '192.0.2.10')).toBe(true);
      // Cut off; meanwhile a large value and then this host's new VIP are put.
      command('drop');
      await daemon.waitFor((l) => l.event === 'store-down');
      const padding = `# ${'x'.repeat(1_000_000)}\n`;
      await execa(
        'ip',
        ['netns', 'exec', net.storeNs, 'etcdctl', `--endpoints=${net.endpoints[0]}`, 'put', `${PREFIX}groups/filler`],
        {
          input: `selector: {pool: none}\nvips: [192.0.2.99]\n${padding}`,
          env: { ETCDCTL_API: '3' },
        },
      );
      await net.put(`${PREFIX}hosts/skip-1`, 'vips: [192.0.2.30]\n');
      // Back, but the first stream breaks once the watch is created and the missed events
      // are on their way (a few KB into the megabyte).
      command('cut-after 8192');
      expect(await eventually(async () => relayOut.includes('cut 8192'), 20_000)).toBe(true);
      const arrived = await eventually(async () => (await onLo()).join() === '192.0.2.30', 20_000);
      const store = daemon.lines.filter((l) => l.event.startsWith('store')).map((l) => `${l.event}: ${l.message}`);
      expect(arrived ? true : store).toBe(true);
      expect(store).toContainEqual(
        expect.stringMatching(/^store-resync: watch stream resumed: reading \/rs-agent\/ again$/),
      );
    } finally {
      await daemon.kill(ns);
    }
  });
});
