import type { FouListener } from '../../src/model/host.js';
import type { PassResult } from '../../src/daemon/pass-result.js';
import { Scheduler } from '../../src/daemon/scheduler.js';
import type { Trigger } from '../../src/daemon/trigger.js';
import type { TriggerContext } from '../../src/daemon/triggers/trigger-source.js';

// What a trigger source under test asked for, through a context of its own.
export function recordingContext(scheduler = new Scheduler()) {
  const requests: { trigger: Trigger; urgent: boolean }[] = [];
  const ctx: TriggerContext = {
    request: (trigger, options = {}) => void requests.push({ trigger, urgent: options.urgent === true }),
    scheduler,
  };
  return { ctx, scheduler, requests, triggers: () => requests.map((r) => r.trigger) };
}

// The parts of a pass's result a trigger source reads: the sysctl files the pass read,
// the GUE listeners its config wants, the backoff's next release.
export function passResultWith(parts: {
  sysctls?: string[];
  fou?: FouListener[];
  nextRelease?: number | null;
}): PassResult {
  return {
    triggers: ['event'],
    startedAt: 0,
    endedAt: new Date(0).toISOString(),
    durationMs: 0,
    reconcile: {
      snapshot: {
        actual: { sysctls: Object.fromEntries((parts.sysctls ?? []).map((p) => [p, '1'])) },
        desired: { parts: { fou: parts.fou ?? [] } },
      },
      held: [],
    } as unknown as PassResult['reconcile'],
    ran: [],
    trips: [],
    released: [],
    unfinished: [],
    backoff: { items: [], nextRelease: parts.nextRelease ?? null },
  };
}
