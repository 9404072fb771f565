import type { Lifecycle } from './lifecycle.js';

// The daemon's one timer wheel, on the monotonic clock: backoffs, spacing, restarts,
// re-reads, the store's heartbeat and retries, and every bounded wait (the store's first
// read, the shutdown, the readiness notice) are intervals, and an interval measured on the
// wall clock stretches or vanishes when the clock is stepped (NTP, a VM resumed). Every
// timer the daemon runs is registered here under a name, so one call stops them all and
// a test drives them all with fake timers. The one wall-clock timer is the cron schedule
// (triggers/cron.ts): cron times are wall-clock times by nature.

export type Now = () => number;

// Milliseconds since an arbitrary origin; never goes backwards, ignores clock steps.
export const monotonicNow: Now = () => globalThis.performance.now();

interface Timer {
  clear(): void;
}

export class Scheduler {
  private readonly timers = new Map<string, Timer>();
  private state: Lifecycle = 'running';

  constructor(readonly now: Now = monotonicNow) {}

  // Runs fn once, delayMs from now, replacing any timer of the same name.
  after(name: string, delayMs: number, fn: () => void): void {
    this.cancel(name);
    if (this.state !== 'running') return;
    const timer = setTimeout(
      () => {
        this.timers.delete(name);
        fn();
      },
      Math.max(0, delayMs),
    );
    this.timers.set(name, { clear: () => clearTimeout(timer) });
  }

  // Runs fn every intervalMs until cancelled.
  every(name: string, intervalMs: number, fn: () => void): void {
    this.cancel(name);
    if (this.state !== 'running') return;
    const timer = setInterval(fn, intervalMs);
    this.timers.set(name, { clear: () => clearInterval(timer) });
  }

  // Runs fn at a time on this scheduler's clock (a value of now()).
  at(name: string, time: number, fn: () => void): void {
    this.after(name, time - this.now(), fn);
  }

  // Resolves true delayMs from now, or false as soon as the wait is cancelled or the
  // scheduler closed: a bounded wait (raced against what it waits for) that ends with
  // the daemon.
  wait(name: string, delayMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      this.cancel(name);
      if (this.state !== 'running') return resolve(false);
      const timer = setTimeout(
        () => {
          this.timers.delete(name);
          resolve(true);
        },
        Math.max(0, delayMs),
      );
      this.timers.set(name, {
        clear: () => {
          clearTimeout(timer);
          resolve(false);
        },
      });
    });
  }

  has(name: string): boolean {
    return this.timers.has(name);
  }

  cancel(name: string): void {
    const timer = this.timers.get(name);
    if (timer === undefined) return;
    this.timers.delete(name);
    timer.clear();
  }

  // Cancels every timer and refuses new ones: the daemon is shutting down.
  close(): void {
    this.state = 'stopped';
    for (const name of [...this.timers.keys()]) this.cancel(name);
  }
}
