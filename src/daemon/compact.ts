import type { Scheduler } from './scheduler.js';

// A burst of kernel events (a flushed lo) is over well within this.
const QUIET_MS = 2000;

// One full garbage collection once the daemon has run no pass for QUIET_MS. What a pass
// allocates (the `ip` children, their output, the plan) outlives the young generation the
// watch unit keeps small (--max-semi-space-size=1) and is promoted; V8 lets a small old
// space grow by 8 MiB or more before it collects it, and its memory reducer, which collects
// when a process goes idle, often did not run: a 1-VIP daemon kept 20 to 30 MiB of heap
// (8 of it live) for minutes after 40 repairs. Collecting ~8 MiB takes milliseconds.
// node has gc() with --expose-gc (the watch unit's NODE_OPTIONS); without it, nothing.
export function compactWhenQuiet(scheduler: Scheduler): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) scheduler.after('compact', QUIET_MS, () => gc());
}
