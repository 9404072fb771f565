import type { Scheduler } from './scheduler.js';
import type { Trigger } from './stats.js';

// Runs one reconcile at a time. Requests that arrive while a pass runs are merged
// into one follow-up pass, so a burst of kernel events (a flushed lo reports every
// address and route it loses) costs one or two passes, not one per event. Every
// event source only calls request(); this queue decides when the pass runs.
export class PassQueue {
  private pending = new Set<Trigger>();
  private running: Promise<void> | null = null;
  private notBefore = -Infinity;
  private due = false; // a pending request is not to be held off
  private closed = false;

  constructor(
    private readonly run: (triggers: Set<Trigger>) => Promise<void>,
    // A short wait before a pass lets the rest of a burst arrive first.
    private readonly debounceMs: number,
    private readonly scheduler: Scheduler,
  ) {}

  request(trigger: Trigger): void {
    if (this.closed) return;
    this.pending.add(trigger);
    if (this.running === null && !this.scheduler.has(TIMER)) this.arm();
  }

  // A request that holdOff does not delay: the end of a flap backoff, or a
  // protective item to repair. It is due now; the gap only spares passes that could
  // change nothing.
  requestNow(trigger: Trigger): void {
    if (this.closed) return;
    this.due = true;
    this.pending.add(trigger);
    if (this.running === null) this.arm();
  }

  // No ordinary pass starts before ms from now (used while the flap backoff holds items
  // back: every pass would find them drifted again and change nothing).
  holdOff(ms: number): void {
    this.notBefore = this.scheduler.now() + ms;
  }

  // Stops accepting requests; resolves when the pass under way (if any) has ended.
  async close(): Promise<void> {
    this.closed = true;
    this.scheduler.cancel(TIMER);
    await this.running;
  }

  private arm(): void {
    const wait = this.due ? this.debounceMs : Math.max(this.debounceMs, this.notBefore - this.scheduler.now());
    this.scheduler.after(TIMER, wait, () => this.drain());
  }

  private drain(): void {
    const triggers = this.pending;
    this.pending = new Set();
    this.due = false;
    this.running = this.run(triggers).finally(() => {
      this.running = null;
      if (this.pending.size > 0 && !this.closed) this.arm();
    });
  }
}

const TIMER = 'pass';
