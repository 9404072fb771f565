import type { FlapBackoff } from '../flap-backoff.js';
import type { PassQueue } from '../pass-queue.js';
import type { Scheduler } from '../scheduler.js';
import type { TriggerSource } from './trigger-source.js';

// A held item is repaired as soon as its backoff ends, not at the next event: there
// may be none (the item is missing and nothing else changes). Re-armed after every
// pass, with the pass's start: a backoff that ended while the pass ran held its item
// back all the same, and the item is due at once.
export interface BackoffRelease extends TriggerSource {
  arm(passStartedAt: number): void;
}

export function backoffRelease(queue: PassQueue, scheduler: Scheduler, guard: FlapBackoff): BackoffRelease {
  let stopped = true;
  return {
    start() {
      stopped = false;
    },
    stop() {
      stopped = true;
      scheduler.cancel('backoff-release');
    },
    arm(passStartedAt) {
      scheduler.cancel('backoff-release');
      const at = guard.nextRelease(passStartedAt);
      if (at === null || stopped) return;
      // One millisecond past the end, so the guard no longer holds the item.
      scheduler.at('backoff-release', at + 1, () => queue.requestNow('backoff'));
    },
  };
}
