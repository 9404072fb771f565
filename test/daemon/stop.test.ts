import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readDaemonStatus } from '../../src/daemon/status-file.js';
import { acquireLock } from '../../src/state/lock.js';
import { FAKE_TIMERS, inProcessConfig, startInProcess } from '../helpers/daemon-in-process.js';
import { useTempDir } from '../helpers/temp-dir.js';

// Shutdown (SIGTERM, through run.ts): every source stopped, a pass waiting for the lock
// cancelled at once, one under way let finish for up to the shutdown wait, every timer gone.

const tempDir = useTempDir('rsa-stop-');

beforeEach(() => {
  vi.useFakeTimers({ toFake: [...FAKE_TIMERS] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('stopping the daemon', () => {
  it('mid-pass: waits for the pass up to the shutdown wait on the scheduler, then says it stopped; the pass ends later, and nothing runs after it', async () => {
    const h = await startInProcess(inProcessConfig(tempDir()));
    let reached!: () => void;
    const inBatch = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const hang = new Promise<void>((resolve) => (release = resolve));
    const run = h.kernel.run.bind(h.kernel);
    h.kernel.run = async (argv, options) => {
      if (argv[1] === '-force') {
        reached();
        await hang; // an `ip -batch` that takes its time
      }
      return run(argv, options);
    };
    h.deleteVip('192.0.2.10');
    await vi.advanceTimersByTimeAsync(3);
    await inBatch;
    let stopped = false;
    const stopping = h.daemon.stop(2_000).then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(1_999);
    expect(stopped).toBe(false);
    expect(h.monitors.children.every((c) => c.stopped)).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    await stopping;
    expect(readDaemonStatus(h.opts.stateDir)).toMatchObject({ running: false });
    expect(vi.getTimerCount()).toBe(0);
    release();
    await h.daemon.settled();
    // The pass finished its batch and said so; the status still says stopped.
    expect(h.events('repair').map((l) => l.item)).toEqual(['address 192.0.2.10/32 dev lo']);
    expect(readDaemonStatus(h.opts.stateDir)).toMatchObject({ running: false, repairs: { address: 1 } });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.events('repair')).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a pass waiting for the lock gives up at once, without the shutdown wait', async () => {
    const h = await startInProcess(inProcessConfig(tempDir()));
    h.opts.lockWaitMs = 20_000; // a failure here is a timeout of the test, not a hang
    const lock = await acquireLock(h.opts.stateDir); // `rs-agent check --fix` under way
    try {
      h.deleteVip('192.0.2.10');
      await vi.advanceTimersByTimeAsync(3); // the pass starts, and waits for the lock
      let stopped = false;
      const stopping = h.daemon.stop(2_000).then(() => (stopped = true));
      await h.daemon.settled();
      await vi.advanceTimersByTimeAsync(0);
      expect(stopped).toBe(true);
      await stopping;
      expect(h.events('reconcile-failed')).toMatchObject([
        { level: 'error', message: expect.stringMatching(/cancelled while waiting for it/) },
      ]);
      expect(h.events('repair')).toEqual([]);
    } finally {
      lock.release();
    }
  });
});
