import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PassQueue } from '../../src/daemon/pass-queue.js';
import { Scheduler } from '../../src/daemon/scheduler.js';
import type { Trigger } from '../../src/daemon/trigger.js';

// Fake timers throughout: the queue's waits are asserted exactly, whatever the load.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// A queue whose passes take passMs and record when they started (monotonic ms).
function recorder(passMs: number, debounceMs: number, onPass?: (queue: PassQueue) => void) {
  const scheduler = new Scheduler();
  const t0 = scheduler.now();
  const passes: { at: number; triggers: Trigger[] }[] = [];
  const queue: PassQueue = new PassQueue(
    async (triggers) => {
      passes.push({ at: scheduler.now() - t0, triggers: [...triggers] });
      onPass?.(queue);
      await sleep(passMs);
    },
    debounceMs,
    scheduler,
  );
  return { queue, passes, scheduler };
}

describe('pass queue', () => {
  it('runs one pass for a burst, and one follow-up for everything requested while a pass runs', async () => {
    const { queue, passes } = recorder(30, 2);
    queue.request('event');
    queue.request('event');
    queue.request('sysctl');
    await vi.advanceTimersByTimeAsync(10);
    queue.request('event');
    queue.request('schedule');
    await vi.advanceTimersByTimeAsync(100);
    expect(passes).toEqual([
      { at: 2, triggers: ['event', 'sysctl'] },
      { at: 34, triggers: ['event', 'schedule'] }, // 2 + 30 for the pass, then the debounce
    ]);
  });

  it('spaceOut delays the next ordinary pass; close waits for the pass under way and refuses new ones', async () => {
    const { queue, passes } = recorder(20, 1);
    queue.spaceOut(80);
    queue.request('event');
    await vi.advanceTimersByTimeAsync(79);
    expect(passes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(passes).toEqual([{ at: 80, triggers: ['event'] }]);
    const closed = queue.close();
    queue.request('event');
    await vi.advanceTimersByTimeAsync(50);
    await closed;
    expect(passes).toHaveLength(1);
  });

  it('an urgent request (protection, a backoff ending) is not spaced out, whether it comes while a timer waits or while a pass runs', async () => {
    const { queue, passes } = recorder(20, 1, (q) => q.spaceOut(300)); // as the daemon does while a VIP is held back
    queue.spaceOut(300);
    queue.request('event'); // waits for the spacing
    await vi.advanceTimersByTimeAsync(10);
    queue.request('sysctl', { urgent: true });
    await vi.advanceTimersByTimeAsync(1);
    expect(passes).toEqual([{ at: 11, triggers: ['event', 'sysctl'] }]);

    // Arriving during a pass that spaces out again: the follow-up runs right after it.
    await vi.advanceTimersByTimeAsync(20);
    queue.request('backoff', { urgent: true });
    await vi.advanceTimersByTimeAsync(5);
    queue.request('backoff', { urgent: true });
    await vi.advanceTimersByTimeAsync(40);
    expect(passes.map((p) => p.at)).toEqual([11, 32, 53]);
    // An ordinary request after that waits again, for the whole 300 ms.
    queue.request('event');
    await vi.advanceTimersByTimeAsync(250);
    expect(passes).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(100);
    expect(passes).toHaveLength(4);
    await queue.close();
  });

  it('a spacing lasts its length on the monotonic clock when the wall clock is stepped', async () => {
    const { queue, passes } = recorder(1, 1);
    queue.spaceOut(1000);
    queue.request('event');
    vi.setSystemTime(Date.now() + 3_600_000); // NTP steps the clock an hour forward
    await vi.advanceTimersByTimeAsync(999);
    expect(passes).toEqual([]);
    vi.setSystemTime(Date.now() - 7_200_000); // and two hours back
    await vi.advanceTimersByTimeAsync(1);
    expect(passes).toEqual([{ at: 1000, triggers: ['event'] }]);
    const closed = queue.close();
    await vi.advanceTimersByTimeAsync(1);
    await closed;
  });

  it('quiet resolves once every request so far has been served: the pass under way and its follow-up', async () => {
    const { queue, passes } = recorder(30, 2);
    let quietAt: number | null = null;
    await queue.quiet();
    queue.request('event');
    await vi.advanceTimersByTimeAsync(10); // the first pass runs (2..32)
    queue.request('sysctl'); // served by a follow-up after the debounce (34..64)
    const t0 = performance.now();
    void queue.quiet().then(() => (quietAt = performance.now() - t0));
    await vi.advanceTimersByTimeAsync(40);
    expect(passes).toHaveLength(2);
    expect(quietAt).toBeNull();
    await vi.advanceTimersByTimeAsync(40);
    expect(quietAt).toBe(54); // 64 - 10
    await queue.close();
  });
});
