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
});
