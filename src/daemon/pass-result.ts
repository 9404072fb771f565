import type { ReconcileResult } from '../agent.js';
import { itemOf } from '../model/change.js';
import { fouKey } from '../model/host.js';
import { guardInForceAfter } from '../objects/nft/arp-guard.js';
import type { Change } from '../objects/registry.js';
import type { Trip } from './flap-backoff.js';
import type { Trigger } from './trigger.js';

// One pass of the daemon as plain data: what asked for it, what reconcile did (its
// verdict), which of the changes it ran were repairs of drift and which the desired state
// asked for, and what the flap backoff made of them. Logged (pass-log.ts), folded into
// the daemon's stats (stats.ts), handed to every trigger source and written by the sinks.

export interface RanChange {
  change: Change;
  status: 'applied' | 'failed' | 'skipped';
  error?: string;
  // Drift put right: the desired state had not moved since the last pass. Otherwise a
  // change (the first pass, a reload, the store): never counted by the flap backoff.
  repair: boolean;
}

export interface BackoffItem {
  item: string;
  repairsInWindow: number;
  trips: number; // consecutive trips (the backoff doubles with each)
  heldUntil: string | null; // ISO time; null when not held
}

export interface PassResult {
  triggers: Trigger[];
  startedAt: number; // on the scheduler's clock
  endedAt: string; // ISO time
  durationMs: number;
  // What reconcile did; null when the pass could not run (error says why).
  reconcile: ReconcileResult | null;
  error?: string;
  ran: RanChange[];
  // Each with the end of its backoff as an ISO time (the backoff counts on the scheduler's
  // clock): the log says when the item is repaired again.
  trips: (Trip & { heldUntil: string })[];
  // Items the backoff held whose desired state moved: forgotten, due in the next pass.
  released: string[];
  // Items of changes the desired state asked for that did not apply (held back, failed):
  // still changes, not repairs, when a later pass applies them.
  unfinished: string[];
  backoff: { items: BackoffItem[]; nextRelease: number | null }; // nextRelease: on the scheduler's clock
}

// The sysctl files the pass read, each with the value the pass left it at: what it found, or
// what it wrote there. What the re-read compares the files with until the next pass: read
// afresh after the pass instead, a reset made while the pass ran (after it read the file)
// would be taken for the value to keep.
export function sysctlsLeft(result: PassResult): Record<string, string | null> | null {
  if (!result.reconcile) return null;
  const left = { ...result.reconcile.snapshot.actual.sysctls };
  for (const { change, status } of result.ran)
    if (status === 'applied' && change.kind === 'sysctl' && change.path in left) left[change.path] = change.to;
  return left;
}

// The GUE listeners the pass left, by fouKey: those it found, less those it deleted, plus
// those it added.
export function listenersLeft(result: PassResult): Set<string> {
  const left = new Set((result.reconcile?.snapshot.actual.fou ?? []).filter((f) => f.kind === 'gue').map(fouKey));
  for (const { change, status } of result.ran) {
    if (status !== 'applied' || change.kind !== 'fou') continue;
    if (change.action === 'add') left.add(fouKey(change));
    else left.delete(fouKey(change));
  }
  return left;
}

// Whether the ARP guard is in force after the pass (the guard's own rule: arp-guard.ts).
// Not when the pass could not run.
export function guardInForce(result: PassResult): boolean {
  const snapshot = result.reconcile?.snapshot;
  if (!snapshot) return false;
  const applied = new Set(result.ran.filter((r) => r.status === 'applied').map((r) => itemOf(r.change)));
  return guardInForceAfter(snapshot.changes, snapshot.actual.nft, (c) => applied.has(itemOf(c)));
}

// Whether the gate held back a change that would expose a VIP (an address, a route).
export function exposureHeld(result: PassResult): boolean {
  return result.reconcile?.held.some((h) => h.change.safety.exposes === true) ?? false;
}
