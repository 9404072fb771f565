import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemon } from '../helpers/daemon.js';
import { FleetNetwork } from '../helpers/etcd-fleet.js';
import type { TestNamespace } from '../helpers/netns.js';

// A desired state past gRPC's default 4 MiB answer against a real etcd: three group values of
// 1.4 MB each, each within etcd's own limit (1.5 MiB). Read in one answer it was refused
// ("Received message larger than max"), and since the watch starts only after a read, no
// later put reached a restarted agent either. Now the read is whole, each oversized document is
// refused naming its key (rs-agent takes documents of 256 KiB at most), and the others apply.

const PREFIX = '/rs-agent/';
const VALUE_BYTES = 1_400_000;
let net: FleetNetwork;
let agent: TestNamespace;

// A valid group document padded with a YAML comment to `bytes`.
function bigGroup(vip: string, bytes: number): string {
  const doc = `selector: {pool: web}\nvips: [${vip}]\n# `;
  return `${doc}${'x'.repeat(bytes - doc.length - 1)}\n`;
}

beforeAll(async () => {
  net = await FleetNetwork.create(1);
  await net.startAll();
  // Too long for a command line argument (128 KiB at most): etcdctl put reads it from stdin.
  for (const [i, vip] of ['192.0.2.21', '192.0.2.22', '192.0.2.23'].entries())
    await net.etcdctl(['put', `${PREFIX}groups/big-${i}`], undefined, true, bigGroup(vip, VALUE_BYTES));
  await net.put(`${PREFIX}groups/web`, 'selector: {pool: web}\nvips: [192.0.2.10]\n');
  agent = await net.addConfiguredAgent('web-1', { pool: 'web' });
}, 60_000);

afterAll(async () => {
  await net?.destroy();
}, 30_000);

describe('a desired state over 4 MiB', () => {
  it('start reads all of it: the small group applies, each large one is refused naming its key', async () => {
    const start = await agent.cli(['start']);
    expect(start.stderr.split('\n')).toEqual(
      [0, 1, 2].map(
        (i) =>
          `rs-agent: config etcd key ${PREFIX}groups/big-${i}: is larger than 256 KiB (revision ${i + 2}; ignored)`,
      ),
    );
    expect(start.exitCode).toBe(0);
    expect(start.stdout).toContain('+ address 192.0.2.10/32 dev lo');
    expect(start.stdout).not.toContain('192.0.2.21');
  });

  it('run reads it at start and a later put reaches it', async () => {
    const daemon = new Daemon(agent);
    try {
      await daemon.waitFor((l) => l.event === 'ready', 20_000);
      expect(daemon.lines.some((l) => l.event === 'store-down' || l.event === 'store-refused')).toBe(false);
      await net.put(`${PREFIX}hosts/web-1`, 'vips: [192.0.2.24]\n');
      const change = await daemon.waitFor((l) => l.event === 'store-change' && l.vips === 2, 15_000);
      expect(change.cause).toBe('watch');
    } finally {
      daemon.signal('SIGTERM');
      await daemon.exit();
    }
    expect(daemon.stderr).toBe('');
  }, 60_000);
});
