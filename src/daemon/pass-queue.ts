import type { Trigger } from './stats.js';

// Runs one reconcile at a time. Requests that arrive while a pass runs are merged
// into one follow-up pass, so a burst of kernel events (a flushed lo reports every
// address and route it loses) costs one or two passes, not one per event.
export class PassQueue {
  private pending = new Set<Trigger>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private notBefore = 0;
  private closed = false;

  constructor(
    private readonly run: (triggers: Set<Trigger>) => Promise<void>,
    // A short wait before a pass lets the rest of a burst arrive first.
    private readonly debounceMs: number,
  ) {}

  request(trigger: Trigger): void {
    if (this.closed) return;
    this.pending.add(trigger);
    if (this.running === null && this.timer === null) this.arm();
  }

  // No pass starts before ms from now (used while the flap guard holds items back:
  // every pass would find them drifted again and change nothing).
  holdOff(ms: number): void {
    this.notBefore = Date.now() + ms;
  }

  // Stops accepting requests; resolves when the pass under way (if any) has ended.
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private arm(): void {
    const wait = Math.max(this.debounceMs, this.notBefore - Date.now());
    this.timer = setTimeout(() => this.drain(), wait);
  }

  private drain(): void {
    this.timer = null;
    const triggers = this.pending;
    this.pending = new Set();
    this.running = this.run(triggers).finally(() => {
      this.running = null;
      if (this.pending.size > 0 && !this.closed) this.arm();
    });
  }
}
