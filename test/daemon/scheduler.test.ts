import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FlapBackoff } from '../../src/daemon/flap-backoff.js';
import { PassQueue } from '../../src/daemon/pass-queue.js';
import { Scheduler } from '../../src/daemon/scheduler.js';
import { backoffRelease } from '../../src/daemon/triggers/backoff-release.js';
import { sysctlReread } from '../../src/daemon/triggers/sysctl-reread.js';
import type { Trigger } from '../../src/daemon/stats.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

function queueOf(scheduler: Scheduler) {
  const passes: Trigger[][] = [];
  const queue = new PassQueue(async (t) => void passes.push([...t]), 1, scheduler);
  return { queue, passes };
}

describe('scheduler', () => {
  it('runs named timers once or repeatedly; a name replaces its timer; close cancels all and refuses new ones', async () => {
    const s = new Scheduler();
    const calls: string[] = [];
    s.after('a', 10, () => calls.push('a'));
    s.after('a', 20, () => calls.push('a2')); // replaces the first
    s.every('tick', 15, () => calls.push('tick'));
    await vi.advanceTimersByTimeAsync(31);
    expect(calls).toEqual(['tick', 'a2', 'tick']);
    expect(s.has('a')).toBe(false);
    s.close();
    s.after('b', 1, () => calls.push('b'));
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toEqual(['tick', 'a2', 'tick']);
  });

  it('the flap backoff and the backoff release count on the monotonic clock: a wall-clock step neither ends nor stretches a backoff', async () => {
    const scheduler = new Scheduler();
    const guard = new FlapBackoff(
      { maxRepairs: 1, windowMs: 60_000, backoffMs: 5_000, maxBackoffMs: 60_000 },
      scheduler.now,
    );
    const { queue, passes } = queueOf(scheduler);
    const release = backoffRelease(queue, scheduler, guard);
    release.start();
    guard.record('address 192.0.2.10/32 dev lo');
    expect(guard.record('address 192.0.2.10/32 dev lo')).not.toBeNull(); // tripped: held 5 s
    release.arm(scheduler.now());
    vi.setSystemTime(Date.now() + 86_400_000); // a day forward
    await vi.advanceTimersByTimeAsync(4_000);
    expect(guard.isHeld('address 192.0.2.10/32 dev lo')).toBe(true);
    expect(passes).toEqual([]);
    vi.setSystemTime(Date.now() - 172_800_000); // two days back
    await vi.advanceTimersByTimeAsync(1_002);
    expect(guard.isHeld('address 192.0.2.10/32 dev lo')).toBe(false);
    expect(passes).toEqual([['backoff']]);
    release.stop();
    await queue.close();
  });

  it("sysctl re-read: asks for a pass when a value differs from the last pass's, every interval, and not after stop", async () => {
    const scheduler = new Scheduler();
    const { queue, passes } = queueOf(scheduler);
    const values: Record<string, string> = { 'net/ipv4/conf/all/arp_ignore': '1' };
    const fs = { read: (p: string) => values[p] ?? null, write: () => {} };
    const reread = sysctlReread(queue, scheduler, fs, () => 100);
    reread.rebase(Object.keys(values));
    reread.start();
    await vi.advanceTimersByTimeAsync(250);
    expect(passes).toEqual([]);
    values['net/ipv4/conf/all/arp_ignore'] = '0';
    await vi.advanceTimersByTimeAsync(49);
    expect(passes).toEqual([]); // read at 300 ms, not before
    await vi.advanceTimersByTimeAsync(2);
    expect(passes).toEqual([['sysctl']]);
    reread.stop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(passes).toHaveLength(1);
    await queue.close();
  });
});
