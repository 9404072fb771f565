import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FlapBackoff } from '../../src/daemon/flap-backoff.js';
import { Scheduler } from '../../src/daemon/scheduler.js';
import { backoffRelease } from '../../src/daemon/triggers/backoff-release.js';
import { sysctlReread } from '../../src/daemon/triggers/sysctl-reread.js';
import { passResultWith, recordingContext } from '../helpers/trigger-context.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

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

  it('wait resolves true when its time is up, false when cancelled or when the scheduler closes', async () => {
    const s = new Scheduler();
    const done: [string, boolean][] = [];
    void s.wait('a', 100).then((v) => done.push(['a', v]));
    void s.wait('b', 100).then((v) => done.push(['b', v]));
    void s.wait('c', 1_000).then((v) => done.push(['c', v]));
    s.cancel('b');
    await vi.advanceTimersByTimeAsync(100);
    expect(done).toEqual([
      ['b', false],
      ['a', true],
    ]);
    s.close();
    await vi.advanceTimersByTimeAsync(0);
    expect(done.at(-1)).toEqual(['c', false]);
    expect(await s.wait('d', 10)).toBe(false); // closed: no wait at all
  });

  it('the flap backoff and the backoff release count on the monotonic clock: a wall-clock step neither ends nor stretches a backoff', async () => {
    const { ctx, scheduler, requests } = recordingContext();
    const backoff = new FlapBackoff(
      { maxRepairs: 1, windowMs: 60_000, backoffMs: 5_000, maxBackoffMs: 60_000 },
      scheduler.now,
    );
    const release = backoffRelease();
    release.start(ctx);
    backoff.record('address 192.0.2.10/32 dev lo');
    expect(backoff.record('address 192.0.2.10/32 dev lo')).not.toBeNull(); // tripped: held 5 s
    release.afterPass?.(passResultWith({ nextRelease: backoff.nextRelease(scheduler.now()) }), {} as never);
    vi.setSystemTime(Date.now() + 86_400_000); // a day forward
    await vi.advanceTimersByTimeAsync(4_000);
    expect(backoff.isHeld('address 192.0.2.10/32 dev lo')).toBe(true);
    expect(requests).toEqual([]);
    vi.setSystemTime(Date.now() - 172_800_000); // two days back
    await vi.advanceTimersByTimeAsync(1_002);
    expect(backoff.isHeld('address 192.0.2.10/32 dev lo')).toBe(false);
    // The item was held, not the queue: its pass is urgent.
    expect(requests).toEqual([{ trigger: 'backoff', urgent: true }]);
    release.stop();
  });

  it("sysctl re-read: asks for a pass when a value differs from the last pass's, every interval, urgent only for an ARP sysctl, and not after stop", async () => {
    const { ctx, requests } = recordingContext();
    const values: Record<string, string> = {
      'net/ipv4/conf/all/arp_ignore': '1',
      'net/ipv4/conf/tunl0/rp_filter': '0',
    };
    const fs = { read: (p: string) => values[p] ?? null, write: () => {} };
    const reread = sysctlReread(fs, { ms: 100, guardedMs: 1000 });
    reread.start(ctx);
    reread.afterPass?.(passResultWith({ sysctls: { ...values } }), {} as never);
    await vi.advanceTimersByTimeAsync(250);
    expect(requests).toEqual([]);
    values['net/ipv4/conf/tunl0/rp_filter'] = '1'; // systemd-sysctl's default back: no ARP at stake
    await vi.advanceTimersByTimeAsync(49);
    expect(requests).toEqual([]); // read at 300 ms, not before
    await vi.advanceTimersByTimeAsync(2);
    expect(requests).toEqual([{ trigger: 'sysctl', urgent: false }]);
    values['net/ipv4/conf/all/arp_ignore'] = '0';
    await vi.advanceTimersByTimeAsync(100);
    expect(requests.at(-1)).toEqual({ trigger: 'sysctl', urgent: true });
    reread.stop();
    const asked = requests.length;
    await vi.advanceTimersByTimeAsync(1000);
    expect(requests).toHaveLength(asked);
  });
});
