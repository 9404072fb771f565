// The daemon's one timer wheel, on the monotonic clock: backoffs, hold-offs, restarts
// and re-reads are intervals, and an interval measured on the wall clock stretches or
// vanishes when the clock is stepped (NTP, a VM resumed). Every timer the daemon runs is
// registered here under a name, so one call stops them all and a test drives them all
// with fake timers.

export type Now = () => number;

// Milliseconds since an arbitrary origin; never goes backwards, ignores clock steps.
export const monotonicNow: Now = () => globalThis.performance.now();

export class Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(readonly now: Now = monotonicNow) {}

  // Runs fn once, delayMs from now, replacing any timer of the same name.
  after(name: string, delayMs: number, fn: () => void): void {
    this.cancel(name);
    if (this.closed) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(name);
        fn();
      },
      Math.max(0, delayMs),
    );
    this.timers.set(name, timer);
  }

  // Runs fn every intervalMs until cancelled.
  every(name: string, intervalMs: number, fn: () => void): void {
    this.cancel(name);
    if (this.closed) return;
    this.timers.set(name, setInterval(fn, intervalMs));
  }

  // Runs fn at a time on this scheduler's clock (a value of now()).
  at(name: string, time: number, fn: () => void): void {
    this.after(name, time - this.now(), fn);
  }

  has(name: string): boolean {
    return this.timers.has(name);
  }

  cancel(name: string): void {
    const timer = this.timers.get(name);
    if (timer === undefined) return;
    clearTimeout(timer);
    clearInterval(timer);
    this.timers.delete(name);
  }

  // Cancels every timer and refuses new ones: the daemon is shutting down.
  close(): void {
    this.closed = true;
    for (const name of [...this.timers.keys()]) this.cancel(name);
  }
}
