import { KIND_NAMES, type ChangeKind } from '../objects/registry.js';
import type { FlapItemStatus } from './flap-backoff.js';

// What the daemon has done since it started: shown by `rs-agent status` (through the
// status file in the state dir) and exported as metrics. Plain data.

export const TRIGGERS = ['start', 'event', 'sysctl', 'listener', 'schedule', 'reload', 'backoff', 'store'] as const;
export type Trigger = (typeof TRIGGERS)[number];

export const KINDS: readonly ChangeKind[] = KIND_NAMES;

export interface HeldItem {
  item: string;
  repairsInWindow: number;
  trips: number;
  heldUntil: string | null; // ISO time
}

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
  repairs: Record<ChangeKind, number>;
  failedRepairs: number;
  failing?: string[]; // items whose repair failed on the last pass (a second failure is an error)
  flapTrips: number;
  protectionFights?: number; // trips over protective items, which are never held back
  held: HeldItem[];
  problems: string[]; // what the config asks for but the host cannot have now
  conflicts: string[]; // VIPs not added (on a NIC, or at another prefix)
  reloads: { applied: number; rejected: number };
  last: LastReconcile | null;
}

export function initialStats(pid: number, startedAt: Date, config: string): DaemonStats {
  return {
    pid,
    running: true,
    startedAt: startedAt.toISOString(),
    config,
    reconciles: Object.fromEntries(TRIGGERS.map((t) => [t, 0])) as Record<Trigger, number>,
    repairs: Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<ChangeKind, number>,
    failedRepairs: 0,
    flapTrips: 0,
    protectionFights: 0,
    held: [],
    problems: [],
    conflicts: [],
    reloads: { applied: 0, rejected: 0 },
    last: null,
  };
}

// The guard counts on the monotonic clock (`now` is its reading); status shows wall-clock times.
export function heldItems(items: FlapItemStatus[], now: number): HeldItem[] {
  const toWall = (t: number) => new Date(Date.now() + (t - now)).toISOString();
  return items.map((s) => ({ ...s, heldUntil: s.heldUntil === null ? null : toWall(s.heldUntil) }));
}
