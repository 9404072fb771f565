import type { Lifecycle } from './lifecycle.js';
import type { Scheduler } from './scheduler.js';
import type { RequestOptions, Trigger } from './trigger.js';

// Runs one reconcile at a time. Requests that arrive while a pass runs are merged
// into one follow-up pass, so a burst of kernel events (a flushed lo reports every
// address and route it loses) costs one or two passes, not one per event. Every
// trigger source only calls request(); this queue decides when the pass runs.
export class PassQueue {
  private pending = new Set<Trigger>();
  private urgent = false; // a pending request is not to be spaced out
  private running: Promise<void> | null = null;
  private spacedUntil = -Infinity;
  private state: Lifecycle = 'running';
  private quietWaiters: (() => void)[] = [];

  constructor(
    private readonly run: (triggers: Set<Trigger>) => Promise<void>,
    // A short wait before a pass lets the rest of a burst arrive first.
    private readonly debounceMs: number,
    private readonly scheduler: Scheduler,
  ) {}

  // An urgent request runs in the next pass whatever the spacing: right after the pass
  // under way, or after the debounce.
  request(trigger: Trigger, options: RequestOptions = {}): void {
    if (this.state !== 'running') return;
    this.pending.add(trigger);
    if (options.urgent) this.urgent = true;
    if (this.running === null && (options.urgent || !this.scheduler.has(TIMER))) this.arm();
  }

  // Until ms from now, a pass asked for by ordinary requests alone waits: the gate holds
  // back an exposing change, and every such pass would find it again and change nothing.
  // Urgent requests are never spaced out.
  spaceOut(ms: number): void {
    this.spacedUntil = this.scheduler.now() + ms;
  }

  // Resolves when no pass runs (at once, or when the one under way has ended).
  async idle(): Promise<void> {
    await this.running;
  }

  // Resolves when no pass runs and none is asked for: every request made so far has been
  // served (or the queue closed).
  quiet(): Promise<void> {
    if (this.running === null && (this.pending.size === 0 || this.state !== 'running')) return Promise.resolve();
    return new Promise((resolve) => this.quietWaiters.push(resolve));
  }

  // Stops accepting requests; resolves when the pass under way (if any) has ended.
  async close(): Promise<void> {
    this.state = 'stopped';
    this.scheduler.cancel(TIMER);
    await this.running;
    this.wakeQuiet();
  }

  private wakeQuiet(): void {
    const waiters = this.quietWaiters;
    this.quietWaiters = [];
    for (const wake of waiters) wake();
  }

  private arm(): void {
    const wait = this.urgent ? this.debounceMs : Math.max(this.debounceMs, this.spacedUntil - this.scheduler.now());
    this.scheduler.after(TIMER, wait, () => this.drain());
  }

  private drain(): void {
    const triggers = this.pending;
    this.pending = new Set();
    this.urgent = false;
    this.running = this.run(triggers).finally(() => {
      this.running = null;
      if (this.pending.size > 0 && this.state === 'running') this.arm();
      else this.wakeQuiet();
    });
  }
}

const TIMER = 'pass';
