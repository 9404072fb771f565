import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { PassQueue } from '../../src/daemon/pass-queue.js';
import type { Trigger } from '../../src/daemon/stats.js';

describe('pass queue', () => {
  it('runs one pass for a burst, and one follow-up for everything requested while a pass runs', async () => {
    const passes: Trigger[][] = [];
    const queue = new PassQueue(async (triggers) => {
      passes.push([...triggers]);
      await sleep(30);
    }, 2);
    queue.request('event');
    queue.request('event');
    queue.request('sysctl');
    await sleep(10);
    queue.request('event');
    queue.request('schedule');
    await sleep(100);
    expect(passes).toEqual([['event', 'sysctl'], ['event', 'schedule']]);
  });

  it('holdOff delays the next pass; close waits for the pass under way and refuses new ones', async () => {
    const started: number[] = [];
    const queue = new PassQueue(async () => {
      started.push(Date.now());
      await sleep(20);
    }, 1);
    const t0 = Date.now();
    queue.holdOff(80);
    queue.request('event');
    await sleep(90);
    expect(started[0]! - t0).toBeGreaterThanOrEqual(75);
    await queue.close();
    queue.request('event');
    await sleep(20);
    expect(started).toHaveLength(1);
  });

  it('requestNow (a backoff ending) is not held off, whether it comes while a timer waits or while a pass runs', async () => {
    const passes: { at: number; triggers: Trigger[] }[] = [];
    const t0 = Date.now();
    const queue: PassQueue = new PassQueue(async (triggers) => {
      passes.push({ at: Date.now() - t0, triggers: [...triggers] });
      queue.holdOff(300); // as the daemon does while an item is held back
      await sleep(20);
    }, 1);
    queue.holdOff(300);
    queue.request('event'); // waits for the hold-off
    await sleep(10);
    queue.requestNow('backoff');
    await sleep(40);
    expect(passes).toEqual([{ at: expect.any(Number), triggers: ['event', 'backoff'] }]);
    expect(passes[0]!.at).toBeLessThan(100);

    // Arriving during a pass that holds off again: the follow-up runs right after it.
    const t1 = Date.now() - t0;
    queue.requestNow('backoff');
    await sleep(5);
    queue.requestNow('backoff');
    await sleep(100);
    expect(passes.slice(1).map((p) => p.triggers)).toEqual([['backoff'], ['backoff']]);
    expect(passes[2]!.at - t1).toBeLessThan(80);
    // A plain request after that is held off again.
    queue.request('event');
    await sleep(100);
    expect(passes).toHaveLength(3);
    await queue.close();
  });
});
