import { vipPort, type PortTraffic, type VipTraffic } from '../traffic/sample.js';

// Waiting for a drain to finish: until no connection to a VIP is open and no new one has
// reached a VIP for drain.quiet (the director needs a few health checks to notice, and
// sends new connections meanwhile). Pure over the samples and the clock it is given.

export type DrainOutcome = 'drained' | 'timeout' | 'cancelled';

export interface WaitOptions {
  sample(): Promise<VipTraffic>;
  now(): number; // monotonic milliseconds
  sleep(ms: number): Promise<void>;
  stillSet(): boolean; // the drain record this wait belongs to is still there (no undrain)
  quietMs: number;
  timeoutMs: number;
  intervalMs?: number;
  onLine(line: string): void; // progress, each line once, when it changes
}

export interface WaitResult {
  outcome: DrainOutcome;
  line: string; // what is left, or that nothing is
}

// Follows the samples: what is open, what arrived within the quiet window.
export class QuietTracker {
  private baseline: Map<string, number> | null = null;
  private arrivals: { at: number; key: string; n: number }[] = [];
  private lastArrival: number;

  constructor(
    private readonly quietMs: number,
    startedAt: number,
  ) {
    this.lastArrival = startedAt;
  }

  // Takes one sample; whether the drain is complete, and the progress line.
  update(sample: VipTraffic, now: number): { done: boolean; line: string } {
    const open = sample.ports.filter((p) => p.connections > 0);
    if (sample.counted) this.countArrivals(sample.ports, now);
    // Uncounted, an open connection is the only sign of traffic: the quiet window runs from the last one seen.
    else if (open.length > 0) this.lastArrival = now;
    this.arrivals = this.arrivals.filter((a) => now - a.at < this.quietMs);
    const total = open.reduce((n, p) => n + p.connections, 0);
    if (total > 0) return { done: false, line: `draining: ${plural(total, 'connection')} left (${list(open)})` };
    if (now - this.lastArrival >= this.quietMs) return { done: true, line: 'drained: no connection to a VIP left' };
    const seconds = Math.round(this.quietMs / 1000);
    if (this.arrivals.length === 0)
      return { done: false, line: `draining: no connection left; waiting for ${seconds} s without a new one` };
    return {
      done: false,
      line: `draining: no connection left; new connections still arriving (${this.recent()} in the last ${seconds} s)`,
    };
  }

  // What is left, for a drain that timed out.
  leftover(sample: VipTraffic, now: number): string {
    const open = sample.ports.filter((p) => p.connections > 0);
    const total = open.reduce((n, p) => n + p.connections, 0);
    const parts: string[] = [];
    if (total > 0) parts.push(`${plural(total, 'connection')} left (${list(open)})`);
    this.arrivals = this.arrivals.filter((a) => now - a.at < this.quietMs);
    if (this.arrivals.length > 0)
      parts.push(
        `new connections still arriving (${this.recent()} in the last ${Math.round(this.quietMs / 1000)} s): ` +
          "does the director's health check poll health.listen?",
      );
    return parts.join('; ') || 'nothing left, but the quiet period had not passed';
  }

  // The first sample is the baseline; after it, every counter that moved is an arrival
  // (one that went down was reset by a reload of the table: what it holds now arrived since).
  private countArrivals(ports: readonly PortTraffic[], now: number): void {
    const next = new Map(ports.map((p) => [vipPort(p.vip, p.port), p.newConnections ?? 0]));
    if (this.baseline !== null) {
      for (const [key, count] of next) {
        const before = this.baseline.get(key) ?? 0;
        if (count === before) continue;
        this.arrivals.push({ at: now, key, n: count > before ? count - before : count });
        this.lastArrival = now;
      }
    }
    this.baseline = next;
  }

  private recent(): string {
    const by = new Map<string, number>();
    for (const a of this.arrivals) by.set(a.key, (by.get(a.key) ?? 0) + a.n);
    return [...by.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([key, n]) => `${key} ×${n}`)
      .join(', ');
  }
}

// Samples every intervalMs until drained, timed out, or the drain was lifted.
export async function waitDrained(opts: WaitOptions): Promise<WaitResult> {
  const interval = opts.intervalMs ?? 1000;
  const started = opts.now();
  const tracker = new QuietTracker(opts.quietMs, started);
  let printed = '';
  for (;;) {
    if (!opts.stillSet())
      return { outcome: 'cancelled', line: 'the drain was lifted (rs-agent undrain) while waiting' };
    const sample = await opts.sample();
    const now = opts.now();
    const { done, line } = tracker.update(sample, now);
    if (line !== printed && !done) opts.onLine(line);
    printed = line;
    if (done) return { outcome: 'drained', line };
    if (now - started >= opts.timeoutMs) return { outcome: 'timeout', line: tracker.leftover(sample, now) };
    await opts.sleep(Math.min(interval, Math.max(0, started + opts.timeoutMs - now)));
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

// "192.0.2.10:443 ×12, 192.0.2.11:80 ×1", largest first.
function list(ports: readonly PortTraffic[]): string {
  return [...ports]
    .sort((a, b) => b.connections - a.connections)
    .map((p) => `${vipPort(p.vip, p.port)} ×${p.connections}`)
    .join(', ');
}
