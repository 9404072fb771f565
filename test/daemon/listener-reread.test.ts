import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Family } from '../../src/config/address.js';
import type { FouListener } from '../../src/model/host.js';
import { LISTENER_INTERVAL_MS, listenerReread } from '../../src/daemon/triggers/listener-reread.js';
import { passResultWith, recordingContext } from '../helpers/trigger-context.js';

afterEach(() => {
  vi.useRealTimers();
});

// The UDP ports a fake socket table holds, per family, as the test changes them.
function fakeTables(initial: Record<Family, number[]>) {
  const ports: Record<Family, Set<number> | null> = { 4: new Set(initial[4]), 6: new Set(initial[6]) };
  const reads: Family[] = [];
  return {
    ports,
    reads,
    read: (family: Family) => {
      reads.push(family);
      return ports[family];
    },
  };
}

function setup(tables: ReturnType<typeof fakeTables>) {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
  const { ctx, scheduler, triggers } = recordingContext();
  const source = listenerReread(tables.read);
  // As the daemon drives it: started, then told after each pass what the config wants.
  const reread = {
    start: () => source.start(ctx),
    stop: () => source.stop(),
    rebase: (fou: FouListener[]) => source.afterPass?.(passResultWith({ fou }), {} as never),
  };
  return { scheduler, passes: { triggers }, reread };
}

function setupSource(tables: ReturnType<typeof fakeTables>) {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
  const { ctx, triggers } = recordingContext();
  return { ctx, source: listenerReread(tables.read), passes: { triggers } };
}

describe('GUE listener re-read', () => {
  it('a listener deleted asks for one pass; after the pass its absence is the baseline', async () => {
    const tables = fakeTables({ 4: [6080, 53], 6: [6080] });
    const { passes, reread } = setup(tables);
    reread.start();
    reread.rebase([
      { port: 6080, family: 4 },
      { port: 6080, family: 6 },
    ]);
    await vi.advanceTimersByTimeAsync(5 * LISTENER_INTERVAL_MS);
    expect(passes.triggers()).toEqual([]);
    tables.ports[6]?.delete(6080); // ip fou del port 6080 gue -6
    await vi.advanceTimersByTimeAsync(LISTENER_INTERVAL_MS + 1);
    expect(passes.triggers()).toEqual(['listener']);
    // The pass could not put it back (say the port was taken): its state is the new baseline.
    reread.rebase([
      { port: 6080, family: 4 },
      { port: 6080, family: 6 },
    ]);
    await vi.advanceTimersByTimeAsync(5 * LISTENER_INTERVAL_MS);
    expect(passes.triggers()).toHaveLength(1);
    // Back again (someone re-added it): a change too.
    tables.ports[6]?.add(6080);
    await vi.advanceTimersByTimeAsync(LISTENER_INTERVAL_MS + 1);
    expect(passes.triggers()).toEqual(['listener', 'listener']);
    reread.stop();
  });

  it('a listener deleted while the pass ran (found by it, gone by its end) asks for a pass at the next re-read', async () => {
    const tables = fakeTables({ 4: [], 6: [] }); // gone before the pass ended
    const { passes, source, ctx } = setupSource(tables);
    source.start(ctx);
    const fou = [{ port: 6080, family: 4 as const }];
    source.afterPass?.(passResultWith({ fou, actualFou: [{ port: 6080, family: 4, kind: 'gue' }] }), {} as never);
    await vi.advanceTimersByTimeAsync(LISTENER_INTERVAL_MS + 1);
    expect(passes.triggers()).toEqual(['listener']);
    source.stop();
  });

  it('a port another socket holds, which the pass could not listen on, asks for nothing', async () => {
    const tables = fakeTables({ 4: [6080], 6: [] }); // a socket that is not a GUE listener
    const { passes, source, ctx } = setupSource(tables);
    source.start(ctx);
    const fou = [{ port: 6080, family: 4 as const }];
    source.afterPass?.(passResultWith({ fou, actualFou: [] }), {} as never);
    await vi.advanceTimersByTimeAsync(5 * LISTENER_INTERVAL_MS);
    expect(passes.triggers()).toEqual([]);
    source.stop();
  });

  it('ports other than the listeners come and go unnoticed', async () => {
    const tables = fakeTables({ 4: [6080], 6: [] });
    const { passes, reread } = setup(tables);
    reread.start();
    reread.rebase([{ port: 6080, family: 4 }]);
    tables.ports[4]?.add(53);
    tables.ports[4]?.add(5353);
    await vi.advanceTimersByTimeAsync(3 * LISTENER_INTERVAL_MS);
    expect(passes.triggers()).toEqual([]);
    // Only the family that has a listener is read.
    expect(new Set(tables.reads)).toEqual(new Set([4]));
    reread.stop();
  });

  it('without GUE VIPs nothing is read; with them only while started', async () => {
    const tables = fakeTables({ 4: [], 6: [] });
    const { scheduler, reread } = setup(tables);
    reread.start();
    reread.rebase([]);
    await vi.advanceTimersByTimeAsync(5 * LISTENER_INTERVAL_MS);
    expect(tables.reads).toEqual([]);
    expect(scheduler.has('listener-reread')).toBe(false);
    reread.rebase([{ port: 6080, family: 4 }]); // a reload added a GUE VIP
    expect(scheduler.has('listener-reread')).toBe(true);
    reread.stop();
    expect(scheduler.has('listener-reread')).toBe(false);
    const before = tables.reads.length;
    await vi.advanceTimersByTimeAsync(5 * LISTENER_INTERVAL_MS);
    expect(tables.reads).toHaveLength(before);
  });

  it('a table that cannot be read counts as no socket: the listener reads as missing, once', async () => {
    const tables = fakeTables({ 4: [], 6: [6080] });
    const { passes, reread } = setup(tables);
    reread.start();
    reread.rebase([{ port: 6080, family: 6 }]);
    tables.ports[6] = null; // IPv6 turned off under the daemon
    await vi.advanceTimersByTimeAsync(LISTENER_INTERVAL_MS + 1);
    expect(passes.triggers()).toEqual(['listener']);
    reread.rebase([{ port: 6080, family: 6 }]); // as the daemon does after every pass
    await vi.advanceTimersByTimeAsync(3 * LISTENER_INTERVAL_MS);
    expect(passes.triggers()).toHaveLength(1);
    reread.stop();
  });
});
