import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDaemonStatus } from '../../src/daemon/status-file.js';
import { inProcessConfig, useInProcessDaemon, type InProcess } from '../helpers/daemon-in-process.js';

// The flap backoff holds items, through the gate, never the queue: another item is
// repaired meanwhile, and protection (an ARP sysctl, the ARP guard's table) is restored
// in the next pass however long the backoff holds a VIP. Fake timers: every wait below
// is exact.

const VIP10 = 'address 192.0.2.10/32 dev lo';
const VIP11 = 'address 192.0.2.11/32 dev lo';
const daemon = useInProcessDaemon('rsa-backoff-');
const { tempDir } = daemon;

const metrics = () => readFileSync(join(tempDir(), 'rs-agent.prom'), 'utf8');
const at = (line: { time: string }) => Date.parse(line.time);

// Deletes VIP 11 until the backoff holds it (max_repairs 1: the second repair trips it).
async function holdVip11(d: InProcess): Promise<void> {
  for (let i = 0; i < 2; i++) {
    d.deleteVip('192.0.2.11');
    await d.run(5);
  }
  expect(d.events('flap-backoff')).toMatchObject([{ item: VIP11 }]);
  d.deleteVip('192.0.2.11'); // the fight goes on: now it stays away
  await d.run(5);
  expect(d.daemon.currentStats.held).toEqual([VIP11]);
}

// An ordinary pass that finds the held VIP again (so the spacing is at its longest), then
// `reset` at once; returns when it was made.
async function rightAfterHeldPass(d: InProcess, reset: () => void): Promise<number> {
  d.monitors.print('ip', '2: eth0: <BROADCAST,MULTICAST,UP> mtu 1500\n');
  await d.run(3);
  reset();
  return Date.now();
}

describe('flap backoff', () => {
  it('against a loop that keeps deleting a VIP: an error, a backoff, the rest still repaired, the VIP back when the backoff ends and not before', async () => {
    const d = await daemon.start(
      inProcessConfig(tempDir(), '', 'flap: {max_repairs: 3, window: 30s, backoff: 5s, max_backoff: 20s}'),
    );
    while (d.events('flap-backoff').length === 0) {
      d.deleteVip('192.0.2.10');
      await d.run(20);
    }
    const [trip] = d.events('flap-backoff');
    // The first pass added it as a change; the loop made it drift four times.
    expect(trip).toMatchObject({ level: 'error', item: VIP10, repairs: 4, backoff_s: 5 });
    expect(trip?.message).toBe(
      'address 192.0.2.10/32 dev lo keeps drifting: repaired 4 times within 30 s, something else keeps undoing it; not repairing it for 5 s',
    );
    expect(d.events('repair').filter((l) => l.item === VIP10)).toHaveLength(4);
    // When it ends, on the wall clock (the pass logs it later than it tripped, on a real one).
    expect(trip?.held_until).toBe(new Date(at(trip!) + 5_000).toISOString());
    d.deleteVip('192.0.2.10');
    await d.run(20);
    expect(d.events('repair').filter((l) => l.item === VIP10)).toHaveLength(4); // held back
    const status = readDaemonStatus(d.opts.stateDir);
    expect(status).toMatchObject({ flapBackoffs: 1, held: [VIP10] });
    expect(status?.backoffItems.find((i) => i.item === VIP10)?.heldUntil).toBeTruthy();
    expect(metrics()).toMatch(/^rs_agent_flap_backoffs_total 1$/m);
    expect(metrics()).toMatch(/^rs_agent_flap_backoff_items 1$/m);
    expect(metrics()).toMatch(/^rs_agent_in_sync 0$/m);

    // Held back: another item is still repaired (after the spacing of ordinary passes).
    d.deleteVip('192.0.2.11');
    await d.run(510);
    expect(d.events('repair').map((l) => l.item)).toContain(VIP11);

    // The backoff ends 5 s after the trip: the VIP is put back then, without any event.
    await d.run(at(trip!) + 4_990 - Date.now());
    expect(d.kernel.render().addresses).not.toContain('192.0.2.10/32 dev lo label lo:0');
    await d.run(15);
    const back = d.events('repair').filter((l) => l.item === VIP10)[4];
    expect(back?.trigger).toContain('backoff');
    expect(at(back!) - at(trip!)).toBeGreaterThanOrEqual(5_000);
    expect(at(back!) - at(trip!)).toBeLessThanOrEqual(5_005);
  });
});

describe('protection never waits', () => {
  it('an ARP sysctl reset while the backoff holds a VIP is repaired by the next re-read, not after the spacing', async () => {
    const d = await daemon.start(inProcessConfig(tempDir(), '', 'flap: {max_repairs: 1, window: 60s, backoff: 60s}'));
    await holdVip11(d);
    // An ordinary request now waits for the spacing (every pass finds VIP 11 held again).
    d.monitors.print('ip', '2: eth0: <BROADCAST,MULTICAST,UP> mtu 1500\n');
    await d.run(5);
    d.deleteVip('192.0.2.10');
    const deleted = Date.now();
    await d.run(400);
    expect(d.events('repair').filter((l) => l.item === VIP10)).toEqual([]);
    await d.run(200);
    const vip10 = d.events('repair').find((l) => l.item === VIP10);
    expect(at(vip10!) - deleted).toBeGreaterThan(400);

    // Right after a pass that held VIP 11 (the spacing at its longest), a reset of eth0's
    // arp_ignore: found by the next re-read (every 100 ms) and repaired at once.
    const reset = await rightAfterHeldPass(d, () => d.kernel.sysctls.set('net/ipv4/conf/eth0/arp_ignore', '0'));
    await d.run(110);
    const repair = d.events('repair').find((l) => l.item === 'sysctl net.ipv4.conf.eth0.arp_ignore');
    expect(repair).toMatchObject({ from: '0', to: '1' });
    expect(repair?.trigger).toContain('sysctl');
    expect(at(repair!) - reset).toBeLessThanOrEqual(100 + 2);
    expect(d.daemon.currentStats.held).toEqual([VIP11]); // and VIP 11 is still held
  });

  it("the ARP guard's table flushed while the backoff holds a VIP: reloaded at once on the nft monitor event", async () => {
    const d = await daemon.start(
      inProcessConfig(tempDir(), 'arp: {guard: nftables}', 'flap: {max_repairs: 1, window: 60s, backoff: 60s}'),
      (kernel) => void (kernel.nftInstalled = true),
    );
    await holdVip11(d);
    const flushed = await rightAfterHeldPass(d, () => d.kernel.nft.flush('arp rs_agent'));
    d.monitors.print('nft', 'delete rule arp rs_agent input handle 4\ndelete rule arp rs_agent output handle 5\n');
    await d.run(10);
    const repair = d.events('repair').find((l) => l.item === 'nft table arp rs_agent');
    expect(repair).toBeDefined();
    expect(at(repair!) - flushed).toBeLessThanOrEqual(2);
    expect(d.kernel.nft.ruleCount('arp rs_agent')).toBe(2);
  });

  it('a reset of rp_filter (no ARP at stake) waits for the spacing like any ordinary request', async () => {
    const d = await daemon.start(
      'mode: tun\nvips: [198.51.100.7, 198.51.100.8]\ninterfaces: [eth0]\narp: {guard: off}\n' +
        'drift: {schedule: "0 0 1 1 *", sysctl_interval: 100ms, flap: {max_repairs: 1, window: 60s, backoff: 60s}}\n',
      (kernel) => void kernel.availableModules.add('ipip'),
    );
    const fight = () => {
      const tunl0 = d.kernel.links.get('tunl0');
      tunl0?.addresses.splice(
        tunl0.addresses.findIndex((a) => a.local === '198.51.100.8'),
        1,
      );
      d.monitors.print('ip', 'Deleted 5: tunl0    inet 198.51.100.8/32 scope global tunl0\n');
    };
    for (let i = 0; i < 3; i++) {
      fight();
      await d.run(5);
    }
    expect(d.daemon.currentStats.held).toEqual(['address 198.51.100.8/32 dev tunl0']);
    const reset = await rightAfterHeldPass(d, () => d.kernel.sysctls.set('net/ipv4/conf/tunl0/rp_filter', '1'));
    await d.run(600);
    const repair = d.events('repair').find((l) => l.item === 'sysctl net.ipv4.conf.tunl0.rp_filter');
    expect(at(repair!) - reset).toBeGreaterThan(400);
  });
});
