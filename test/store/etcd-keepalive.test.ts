import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemon } from '../helpers/daemon.js';
import { FleetNetwork } from '../helpers/etcd-fleet.js';
import type { TestNamespace } from '../helpers/netns.js';

// etcd ends the connection of a client that pings it more often than --grpc-keepalive-min-time
// ("too many pings": a ping early by a millisecond counts, the third strike hangs up, and the
// watch on that connection breaks). Against a real etcd whose minimum is 9 s, an idle agent
// (its status lease renewed every 40 s, nothing else sent its way to reset the count) is never
// hung up on: no grpc message, no lost store, no read again, nothing outside the JSON log.

const PREFIX = '/rs-agent/';
const IDLE_MS = 35_000;
let net: FleetNetwork;
let agent: TestNamespace;

beforeAll(async () => {
  net = await FleetNetwork.create(1);
  net.etcdArgs = ['--grpc-keepalive-min-time', '9s'];
  await net.startAll();
  await net.put(`${PREFIX}groups/web`, 'selector: {pool: web}\nvips: [192.0.2.10]\n');
  agent = await net.addAgent();
  agent.writeConfig(
    [
      'source:',
      '  etcd:',
      `    endpoints: [${net.endpoints.join(', ')}]`,
      '    insecure: true',
      `    cache: ${join(agent.dir, 'cache.json')}`,
      '    heartbeat: 60',
      '    status_ttl: 120',
      'host: web-1',
      'labels: {pool: web}',
      'interfaces: [eth0]',
      '',
    ].join('\n'),
  );
}, 60_000);

afterAll(async () => {
  await net?.destroy();
}, 30_000);

describe('keep-alive pings etcd accepts', () => {
  it(`an idle agent keeps its connection for ${IDLE_MS / 1000} s`, async () => {
    const daemon = new Daemon(agent);
    try {
      await daemon.waitFor((l) => l.event === 'ready', 20_000);
      const from = daemon.lines.length;
      await sleep(IDLE_MS);
      const events = daemon.lines.slice(from).map((l) => l.event);
      expect(events.filter((e) => ['grpc', 'store-down', 'store-resync', 'store-refused'].includes(e))).toEqual([]);
      // Still watching on that connection: a put arrives.
      await net.put(`${PREFIX}groups/web`, 'selector: {pool: web}\nvips: [192.0.2.10, 192.0.2.11]\n');
      await daemon.waitFor((l) => l.event === 'store-change' && l.vips === 2, 10_000, from);
    } finally {
      daemon.signal('SIGTERM');
      await daemon.exit();
    }
    expect(daemon.stderr).toBe('');
  }, 90_000);
});
