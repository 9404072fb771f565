import { describe, expect, it } from 'vitest';
import { QuietTracker, waitDrained, type WaitOptions } from '../../src/drain/wait.js';
import type { VipTraffic } from '../../src/traffic/sample.js';

// The wait on a fake clock: each sample is what the host would show at that second.
const port = (connections: number, newConnections: number | null, vip = '192.0.2.10', p = 443) => ({
  vip,
  port: p,
  connections,
  newConnections,
});
const counted = (...ports: ReturnType<typeof port>[]): VipTraffic => ({ vips: ['192.0.2.10'], counted: true, ports });

function run(samples: VipTraffic[], options: Partial<WaitOptions> = {}) {
  let now = 0;
  let i = 0;
  const lines: string[] = [];
  const result = waitDrained({
    sample: async () => samples[Math.min(i++, samples.length - 1)] as VipTraffic,
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    stillSet: () => true,
    quietMs: 3000,
    timeoutMs: 20_000,
    onLine: (l) => lines.push(l),
    ...options,
  });
  return result.then((r) => ({ ...r, lines, seconds: now / 1000 }));
}

describe('waiting for a drain', () => {
  it('waits for the open connections, then for the quiet period, printing each new state once', async () => {
    const r = await run([counted(port(12, 40)), counted(port(12, 40)), counted(port(3, 40)), counted(port(0, 40))]);
    expect(r.outcome).toBe('drained');
    expect(r.lines).toEqual([
      'draining: 12 connections left (192.0.2.10:443 ×12)',
      'draining: 3 connections left (192.0.2.10:443 ×3)',
    ]);
    // Quiet counts from the start (no SYN since): drained at the first sample without connections.
    expect(r.seconds).toBe(3);
  });

  it('new connections restart the quiet period; it says where they arrive', async () => {
    const r = await run([
      counted(port(0, 10)),
      counted(port(0, 12)),
      counted(port(0, 13), port(0, 1, '192.0.2.11', 80)),
      counted(port(0, 13), port(0, 1, '192.0.2.11', 80)),
    ]);
    expect(r.outcome).toBe('drained');
    expect(r.lines).toEqual([
      'draining: no connection left; waiting for 3 s without a new one',
      'draining: no connection left; new connections still arriving (192.0.2.10:443 ×2 in the last 3 s)',
      'draining: no connection left; new connections still arriving (192.0.2.10:443 ×3, 192.0.2.11:80 ×1 in the last 3 s)',
      // The first of them is older than 3 s now.
      'draining: no connection left; new connections still arriving (192.0.2.10:443 ×1, 192.0.2.11:80 ×1 in the last 3 s)',
    ]);
    expect(r.seconds).toBe(5); // the last arrival at 2 s, then 3 s quiet
  });

  it('a counter that went down (the table reloaded) counts as traffic', () => {
    const t = new QuietTracker(3000, 0);
    t.update(counted(port(0, 50)), 0);
    expect(t.update(counted(port(0, 2)), 1000).line).toMatch(/new connections still arriving \(192\.0\.2\.10:443 ×2/);
  });

  it('times out naming what is left: the connections, and the arrivals that never stopped', async () => {
    const busy = Array.from({ length: 30 }, (_, i) => counted(port(2, 100 + i)));
    const r = await run(busy, { timeoutMs: 5000 });
    expect(r.outcome).toBe('timeout');
    expect(r.line).toBe(
      '2 connections left (192.0.2.10:443 ×2); new connections still arriving (192.0.2.10:443 ×3 in the last 3 s): ' +
        "does the director's health check poll health.listen?",
    );
    expect(r.seconds).toBe(5);
  });

  it('uncounted (no traffic table): waits for the quiet period after the last open connection seen', async () => {
    const uncounted = (n: number): VipTraffic => ({
      vips: ['192.0.2.10'],
      counted: false,
      ports: n ? [port(n, null)] : [],
    });
    const r = await run([uncounted(1), uncounted(0), uncounted(0), uncounted(0), uncounted(0)]);
    expect(r.outcome).toBe('drained');
    expect(r.seconds).toBe(3);
  });

  it('stops waiting when the drain is lifted (undrain)', async () => {
    let set = true;
    const r = await run([counted(port(5, 1))], {
      stillSet: () => set,
      sleep: async () => {
        set = false;
      },
    });
    expect(r.outcome).toBe('cancelled');
  });
});
