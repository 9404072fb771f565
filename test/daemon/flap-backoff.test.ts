import { describe, expect, it } from 'vitest';
import { FlapBackoff } from '../../src/daemon/flap-backoff.js';

const SETTINGS = { maxRepairs: 3, windowMs: 60_000, backoffMs: 1_000, maxBackoffMs: 4_000 };
const VIP = 'address 192.0.2.10/32 dev lo';

function guardAt(start = 1_000_000) {
  const clock = { now: start };
  return { clock, guard: new FlapBackoff(SETTINGS, () => clock.now) };
}

describe('flap backoff', () => {
  it('lets max_repairs repairs through, trips on the next one within the window, and holds the item for the backoff', () => {
    const { clock, guard } = guardAt();
    for (let i = 0; i < 3; i++) {
      expect(guard.record(VIP)).toBeNull();
      clock.now += 100;
    }
    expect(guard.isHeld(VIP)).toBe(false);
    expect(guard.record(VIP)).toEqual({
      item: VIP,
      repairs: 4,
      backoffMs: 1_000,
      until: clock.now + 1_000,
      protective: false,
    });
    expect(guard.isHeld(VIP)).toBe(true);
    expect(guard.isHeld('sysctl net.ipv4.conf.all.arp_ignore')).toBe(false);
    expect(guard.nextRelease()).toBe(clock.now + 1_000);
    clock.now += 1_000;
    expect(guard.isHeld(VIP)).toBe(false);
    expect(guard.totalTrips).toBe(1);
  });

  it('nextRelease(since): a backoff that ended after since is still reported, though already past', () => {
    const { clock, guard } = guardAt();
    for (let i = 0; i < 4; i++) guard.record(VIP);
    const until = clock.now + 1_000;
    const passStart = clock.now + 900; // a pass that found the VIP held back ...
    clock.now += 1_200; // ... and ended after its backoff
    expect(guard.nextRelease()).toBeNull();
    expect(guard.nextRelease(passStart)).toBe(until);
    expect(guard.nextRelease(until)).toBeNull();
  });

  it('repairs spread wider than the window never trip', () => {
    const { clock, guard } = guardAt();
    for (let i = 0; i < 20; i++) {
      expect(guard.record(VIP)).toBeNull();
      clock.now += 21_000;
    }
    expect(guard.totalTrips).toBe(0);
  });

  it('backs off exponentially while the fight goes on, capped at max_backoff', () => {
    const { clock, guard } = guardAt();
    for (let i = 0; i < 3; i++) guard.record(VIP);
    const backoffs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const trip = guard.record(VIP);
      expect(trip).not.toBeNull();
      backoffs.push(trip?.backoffMs ?? 0);
      clock.now = trip?.until ?? 0; // the first repair once the backoff has ended trips again
    }
    expect(backoffs).toEqual([1_000, 2_000, 4_000, 4_000, 4_000]);
  });

  it('starts afresh once the item has been left alone for a whole window after its backoff', () => {
    const { clock, guard } = guardAt();
    for (let i = 0; i < 4; i++) guard.record(VIP);
    const first = guard.record(VIP);
    expect(first?.backoffMs).toBe(2_000);
    clock.now = (first?.until ?? 0) + SETTINGS.windowMs + 1;
    for (let i = 0; i < 3; i++) expect(guard.record(VIP)).toBeNull();
    expect(guard.record(VIP)?.backoffMs).toBe(1_000);
  });

  it('reports items with recent repairs or a backoff, and forgets quiet ones', () => {
    const { clock, guard } = guardAt();
    for (let i = 0; i < 4; i++) guard.record(VIP);
    guard.record('route 192.0.2.10/32 dev lo');
    expect(guard.status()).toEqual([
      { item: VIP, repairsInWindow: 4, trips: 1, heldUntil: clock.now + 1_000 },
      { item: 'route 192.0.2.10/32 dev lo', repairsInWindow: 1, trips: 0, heldUntil: null },
    ]);
    clock.now += 1_000 + SETTINGS.windowMs + 1;
    expect(guard.status()).toEqual([]);
  });

  it('takes new settings on reload', () => {
    const { guard } = guardAt();
    guard.configure({ ...SETTINGS, maxRepairs: 1 });
    expect(guard.record(VIP)).toBeNull();
    expect(guard.record(VIP)).not.toBeNull();
  });

  it('never holds a protective item: its trip is reported once per fight, and again after a quiet window', () => {
    const { clock, guard } = guardAt();
    const ARP = 'sysctl net.ipv4.conf.all.arp_ignore';
    const trips = [];
    for (let i = 0; i < 10; i++) {
      trips.push(guard.record(ARP, { protective: true }));
      expect(guard.isHeld(ARP)).toBe(false);
      clock.now += 1_000;
    }
    expect(trips.filter((t) => t !== null)).toEqual([
      { item: ARP, repairs: 4, backoffMs: 0, until: 1_003_000, protective: true },
    ]);
    expect(guard.nextRelease()).toBeNull();
    expect(guard.totalTrips).toBe(1);
    clock.now += 61_000;
    for (let i = 0; i < 3; i++) expect(guard.record(ARP, { protective: true })).toBeNull();
    expect(guard.record(ARP, { protective: true })?.protective).toBe(true);
    expect(guard.totalTrips).toBe(2);
  });
});
