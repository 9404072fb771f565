import type { FouListener } from '../../src/model/host.js';
import type { PassResult, RanChange } from '../../src/daemon/pass-result.js';
import type { Change } from '../../src/objects/registry.js';
import type { ActualFou, ActualNftTable } from '../../src/observe/types.js';
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
// the GUE listeners its config wants, the backoff's next release, the nftables tables it
// found, what it planned and what of that ran.
export function passResultWith(parts: {
  // The sysctl files the pass read: paths (each found at '1') or each with what it found.
  sysctls?: string[] | Record<string, string | null>;
  fou?: FouListener[];
  // The GUE listeners the pass found (ip fou show).
  actualFou?: ActualFou[];
  nextRelease?: number | null;
  nft?: Record<string, ActualNftTable>;
  changes?: Change[];
  ran?: RanChange[];
}): PassResult {
  return {
    triggers: ['event'],
    startedAt: 0,
    endedAt: new Date(0).toISOString(),
    durationMs: 0,
    reconcile: {
      snapshot: {
        actual: {
          sysctls: Array.isArray(parts.sysctls)
            ? Object.fromEntries(parts.sysctls.map((p) => [p, '1']))
            : (parts.sysctls ?? {}),
          ...(parts.nft ? { nft: parts.nft } : {}),
          ...(parts.actualFou ? { fou: parts.actualFou } : {}),
        },
        desired: { parts: { fou: parts.fou ?? [] } },
        changes: parts.changes ?? [],
      },
      held: [],
    } as unknown as PassResult['reconcile'],
    ran: parts.ran ?? [],
    trips: [],
    released: [],
    unfinished: [],
    backoff: { items: [], nextRelease: parts.nextRelease ?? null },
  };
}
