import { itemOf } from '../model/change.js';
import { KIND_NAMES, type ChangeKind } from '../objects/registry.js';
import { describeConflict } from '../plan/conflicts.js';
import type { BackoffItem, PassResult } from './pass-result.js';
import { TRIGGERS, type Trigger } from './trigger.js';

// What the daemon has done since it started: shown by `rs-agent status` (through the
// status file in the state dir) and exported as metrics. Plain data, and a fold over the
// passes' results: foldStats is the one place a pass changes it.

export const KINDS: readonly ChangeKind[] = KIND_NAMES;

export interface LastReconcile {
  at: string; // ISO time it ended
  durationMs: number;
  trigger: string; // what asked for it; several joined with '+'
  inSync: boolean; // nothing left to change (nothing failed, nothing held back)
  error?: string; // the pass could not run (e.g. the lock was held too long)
}

export interface DaemonStats {
  pid: number;
  running: boolean;
  startedAt: string;
  stoppedAt?: string;
  config: string;
  reconciles: Record<Trigger, number>;
  repairs: Record<ChangeKind, number>; // drift put right (the desired state had not moved)
  changes: Record<ChangeKind, number>; // applied because the desired state moved (start, reload, store)
  failedRepairs: number; // repairs and changes that failed, and passes stopped part way
  failing: string[]; // items whose repair failed on the last pass (a second failure is an error)
  flapBackoffs: number; // times the flap backoff started holding an item back
  protectionFights: number; // trips over protective items, which are never held back
  backoffItems: BackoffItem[]; // items with repairs in the window or a backoff in force
  held: string[]; // items the gate held back in the last pass
  problems: string[]; // what the config asks for but the host cannot have now
  conflicts: string[]; // VIPs not added (on a NIC, or at another prefix)
  reloads: { applied: number; rejected: number };
  last: LastReconcile | null;
}

export function initialStats(pid: number, startedAt: Date, config: string): DaemonStats {
  const perKind = () => Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<ChangeKind, number>;
  return {
    pid,
    running: true,
    startedAt: startedAt.toISOString(),
    config,
    reconciles: Object.fromEntries(TRIGGERS.map((t) => [t, 0])) as Record<Trigger, number>,
    repairs: perKind(),
    changes: perKind(),
    failedRepairs: 0,
    failing: [],
    flapBackoffs: 0,
    protectionFights: 0,
    backoffItems: [],
    held: [],
    problems: [],
    conflicts: [],
    reloads: { applied: 0, rejected: 0 },
    last: null,
  };
}

// The stats after one more pass. Pure.
export function foldStats(stats: DaemonStats, pass: PassResult): DaemonStats {
  const reconciles = { ...stats.reconciles };
  for (const t of pass.triggers) reconciles[t] += 1;
  const repairs = { ...stats.repairs };
  const changes = { ...stats.changes };
  for (const r of pass.ran) if (r.status === 'applied') (r.repair ? repairs : changes)[r.change.kind] += 1;
  const result = pass.reconcile;
  const failed = pass.ran.filter((r) => r.status === 'failed').length + (result?.error === undefined ? 0 : 1);
  const trigger = pass.triggers.join('+');
  const last: LastReconcile = result
    ? { at: pass.endedAt, durationMs: pass.durationMs, trigger, inSync: result.verdict.inSync }
    : { at: pass.endedAt, durationMs: pass.durationMs, trigger, inSync: false, error: pass.error ?? '' };
  return {
    ...stats,
    reconciles,
    repairs,
    changes,
    failedRepairs: stats.failedRepairs + failed,
    failing: result ? pass.ran.filter((r) => r.status !== 'applied').map((r) => itemOf(r.change)) : stats.failing,
    flapBackoffs: stats.flapBackoffs + pass.trips.filter((t) => !t.protective).length,
    protectionFights: stats.protectionFights + pass.trips.filter((t) => t.protective).length,
    backoffItems: pass.backoff.items,
    held: result ? result.held.map((h) => itemOf(h.change)) : stats.held,
    problems: result ? result.problems.map((p) => p.message) : stats.problems,
    conflicts: result ? conflictMessages(result.conflicts) : stats.conflicts,
    last,
  };
}

// A reload taken or rejected.
export function foldReload(stats: DaemonStats, applied: boolean, config: string): DaemonStats {
  const { reloads } = stats;
  return {
    ...stats,
    config,
    reloads: applied ? { ...reloads, applied: reloads.applied + 1 } : { ...reloads, rejected: reloads.rejected + 1 },
  };
}

export function foldStop(stats: DaemonStats, at: Date): DaemonStats {
  return { ...stats, running: false, stoppedAt: at.toISOString() };
}

// How a VIP left out is said, in status and in the log.
export function conflictMessages(conflicts: Parameters<typeof describeConflict>[0][]): string[] {
  return conflicts.map((c) => `not adding VIP ${c.vip}: ${describeConflict(c)}`);
}
