import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startInProcess, useInProcessDaemon, type InProcess } from '../helpers/daemon-in-process.js';

// The fleet's store as the daemon's trigger source and input, in-process with a fake
// store: a change from the store is a change, not drift (applied at once, never counted
// by the flap backoff or as a repair), and the store's waits are on the scheduler.

const GROUP = '/rs-agent/groups/web';
const VIP20 = 'address 192.0.2.20/32 dev lo';
const VIP21 = 'address 192.0.2.21/32 dev lo';
const daemon = useInProcessDaemon('rsa-store-');
const { tempDir } = daemon;

function config(drift = ''): string {
  return [
    'source:',
    '  etcd:',
    '    endpoints: [http://192.0.2.250:2379]',
    '    insecure: true',
    `    cache: ${join(tempDir(), 'cache.json')}`,
    '    heartbeat: 60',
    'host: web-1',
    'labels: {pool: web}',
    'interfaces: [eth0]',
    'arp: {guard: off}',
    `drift: {schedule: "0 0 1 1 *", sysctl_interval: 100ms${drift}}`,
    '',
  ].join('\n');
}

const group = (...vips: string[]) => `selector: {pool: web}\nvips: [${vips.join(', ')}]\n`;
const onLo = (d: InProcess) =>
  d.kernel
    .render()
    .addresses.filter((a) => a.startsWith('192.0.2.2'))
    .map((a) => a.split('/')[0]);

describe('store changes are changes, not drift', () => {
  it('eight toggles of one VIP in 10 s never trip the backoff, are logged as changes, and the last value is applied at once', async () => {
    const d = await daemon.start(
      config(),
      (_kernel, store) => void store.put(GROUP, group('192.0.2.20', '192.0.2.21')),
    );
    expect(onLo(d)).toEqual(['192.0.2.20', '192.0.2.21']);
    for (let i = 0; i < 8; i++) {
      const present = i % 2 === 1;
      d.store.put(GROUP, present ? group('192.0.2.20', '192.0.2.21') : group('192.0.2.20'));
      await d.run(3); // the debounce and the pass: no more
      expect(onLo(d)).toEqual(present ? ['192.0.2.20', '192.0.2.21'] : ['192.0.2.20']);
      await d.run(1_247);
    }
    expect(d.events('flap-backoff')).toEqual([]);
    expect(d.events('repair')).toEqual([]);
    const toggles = d.events('change').filter((l) => l.item === VIP21 && l.trigger === 'store');
    expect(toggles.map((l) => l.action)).toEqual(['delete', 'add', 'delete', 'add', 'delete', 'add', 'delete', 'add']);
    expect(d.daemon.currentStats.repairs.address).toBe(0);
    expect(d.daemon.currentStats.changes.address).toBe(2 + 8); // the first pass's two, then the toggles
    expect(d.store.statuses.at(-1)).toMatchObject({ host: 'web-1', repairs: 0, inSync: true });

    // Drift is still drift: another tool deleting the VIP is a repair.
    d.deleteVip('192.0.2.20');
    await d.run(3);
    expect(d.events('repair')).toMatchObject([{ item: VIP20, trigger: 'event' }]);
  });

  it('a VIP the backoff holds is released when the store changes it, and put in place at once as a change', async () => {
    const d = await daemon.start(config(', flap: {max_repairs: 1, window: 60s, backoff: 60s}'), (_kernel, store) =>
      store.put(GROUP, group('192.0.2.20', '192.0.2.21')),
    );
    for (let i = 0; i < 3; i++) {
      d.deleteVip('192.0.2.21');
      await d.run(5);
    }
    expect(d.events('flap-backoff')).toMatchObject([{ item: VIP21 }]);
    expect(d.daemon.currentStats.held).toEqual([VIP21]);
    // The operator takes the VIP out of the store, then puts it back: the fight was over
    // a value no longer wanted, and the new one goes in at once.
    d.store.put(GROUP, group('192.0.2.20'));
    await d.run(5);
    d.store.put(GROUP, group('192.0.2.20', '192.0.2.21'));
    await d.run(5);
    expect(onLo(d)).toEqual(['192.0.2.20', '192.0.2.21']);
    const added = d
      .events('change')
      .filter((l) => l.item === VIP21)
      .at(-1);
    expect(added).toMatchObject({ action: 'add' });
    expect(d.events('repair').filter((l) => l.item === VIP21)).toHaveLength(2); // the fight's, before it
    expect(d.daemon.currentStats.held).toEqual([]);
  });
});

describe("the store's waits are on the scheduler", () => {
  it('the first pass waits 3 s for a first read that does not come, converges from the cache, and takes the read when it comes', async () => {
    // A cache of an earlier run: what the host starts from while the store is silent.
    const first = await startInProcess(config(), (_kernel, store) => void store.put(GROUP, group('192.0.2.20')));
    await first.stop();
    const started = Date.now();
    const d = await daemon.start(config(), (_kernel, store) => {
      store.put(GROUP, group('192.0.2.21'));
      store.firstRead = 'hang';
    });
    const firstPass = d.events('change')[0];
    expect(Date.parse(firstPass!.time) - started).toBeGreaterThanOrEqual(3_000);
    expect(Date.parse(firstPass!.time) - started).toBeLessThan(3_010);
    expect(d.events('store-cache')[0]?.message).toMatch(/: 1 VIPs of store revision/);
    expect(onLo(d)).toEqual(['192.0.2.20']);
    d.store.answerNow();
    await d.run(5);
    expect(onLo(d)).toEqual(['192.0.2.21']);
    expect(
      d
        .events('change')
        .filter((l) => l.trigger === 'store')
        .map((l) => `${l.action} ${l.item}`),
    ).toEqual(expect.arrayContaining([`delete ${VIP20}`, `add ${VIP21}`]));
  });

  it('the status record is written after each pass that changes it and on every heartbeat', async () => {
    const d = await daemon.start(config(), (_kernel, store) => void store.put(GROUP, group('192.0.2.20')));
    const written = d.store.statuses.length;
    expect(written).toBeGreaterThan(0);
    await d.run(59_000);
    expect(d.store.statuses).toHaveLength(written);
    await d.run(1_001);
    expect(d.store.statuses).toHaveLength(written + 1);
  });
});
