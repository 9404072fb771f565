import type { TriggerContext, TriggerSource } from './trigger-source.js';

// A held item is repaired as soon as its backoff ends, not at the next event: there
// may be none (the item is missing and nothing else changes). Armed after every pass
// with the backoff's next release since that pass started: a backoff that ended while
// the pass ran held its item back all the same, and the item is due at once. The pass
// it asks for is urgent: the item was held, not the queue.
export function backoffRelease(): TriggerSource {
  let ctx: TriggerContext | null = null;
  return {
    key: 'backoff-release',
    start(c) {
      ctx = c;
    },
    stop() {
      ctx?.scheduler.cancel('backoff-release');
      ctx = null;
    },
    afterPass(result) {
      if (ctx === null) return;
      const c = ctx;
      c.scheduler.cancel('backoff-release');
      const at = result.backoff.nextRelease;
      // One millisecond past the end, so the backoff no longer holds the item.
      if (at !== null) c.scheduler.at('backoff-release', at + 1, () => c.request('backoff', { urgent: true }));
    },
  };
}
