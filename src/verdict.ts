import type { Outcome } from './apply/apply.js';
import type { KeptProtection, Problem } from './model/change.js';
import type { Change } from './objects/registry.js';
import { describeConflict, type Conflict } from './plan/conflicts.js';

// A pass's result in one shape, built by one function: what was planned, what ran, what
// was held back, what cannot be done, and whether the host is now as desired and why not.
// plan, check, start, stop, status, the daemon and the fleet's status record all read it.

export interface Held {
  change: Change;
  why: string;
}

export interface Verdict {
  changes: Change[]; // what the pass planned (the drift it found)
  outcomes: Outcome<Change>[]; // what it ran; empty when it only looked
  held: Held[]; // planned but held back (the flap backoff, or what that needs)
  remaining: Change[]; // what differs now
  conflicts: Conflict[]; // VIPs not added (on a NIC, or at another prefix)
  problems: Problem[]; // what the config asks for but the host cannot have now
  kept: KeptProtection[]; // protection left in force for addresses that still need it
  error?: string; // the pass itself failed part way (the state file could not be written)
  inSync: boolean;
  why: string[]; // why not in sync, one line each, in the operator's terms
}

export interface VerdictInput {
  changes: Change[];
  conflicts: Conflict[];
  problems: Problem[];
  kept?: KeptProtection[];
  outcomes?: Outcome<Change>[]; // absent: nothing was applied
  held?: Held[];
  remaining?: Change[]; // observed again after applying (check --fix); else what did not apply
  error?: string;
}

export function verdictOf(input: VerdictInput): Verdict {
  const outcomes = input.outcomes ?? [];
  const held = input.held ?? [];
  const notApplied = outcomes.filter((o) => o.status !== 'applied');
  const remaining =
    input.remaining ??
    (input.outcomes === undefined ? input.changes : [...notApplied.map((o) => o.change), ...held.map((h) => h.change)]);
  const why = [
    ...notApplied.map((o) => `${o.status}: ${o.change.kind} ${o.change.target}: ${o.error ?? ''}`),
    ...held.map((h) => `held: ${h.change.kind} ${h.change.target}: ${h.why}`),
    ...(input.outcomes === undefined || input.remaining !== undefined
      ? remaining.map((c) => `drift: ${c.kind} ${c.target}`)
      : []),
    ...input.conflicts.map((c) => `conflict: ${describeConflict(c)}`),
    ...input.problems.map((p) => `unavailable: ${p.message}`),
    ...(input.error === undefined ? [] : [`error: ${input.error}`]),
  ];
  return {
    changes: input.changes,
    outcomes,
    held,
    remaining,
    conflicts: input.conflicts,
    problems: input.problems,
    kept: input.kept ?? [],
    ...(input.error === undefined ? {} : { error: input.error }),
    inSync: why.length === 0,
    why,
  };
}
