import { performance } from 'node:perf_hooks';
import { reconcile, type AgentOptions } from '../agent.js';
import type { Config } from '../config/types.js';
import { AgentError } from '../errors.js';
import { describeConflict } from '../plan/conflicts.js';
import { itemOf } from '../model/change.js';
import type { FouListener } from '../model/host.js';
import type { Change } from '../objects/registry.js';
import type { FlapBackoff } from './flap-backoff.js';
import type { Level, Logger } from './log.js';
import { heldItems, TRIGGERS, type DaemonStats, type Trigger } from './stats.js';

export interface PassReport {
  sysctlPaths: string[]; // the sysctl files this pass read: the next baseline
  listeners: FouListener[]; // the GUE listeners the config wants: their ports are watched
  held: number; // changes the flap backoff held back
}

// One reconcile: observe and plan under the lock, apply what the flap backoff allows,
// log one line per repair, count it in stats. A pass that cannot run (lock held too
// long, ip failing) is logged and counted; the next trigger tries again.
export async function runPass(
  agent: AgentOptions,
  config: Config,
  guard: FlapBackoff,
  stats: DaemonStats,
  logger: Logger,
  triggers: Set<Trigger>,
  now: () => number,
): Promise<PassReport | null> {
  // Requests that arrived together share one pass: it names them all ("event+reload").
  const merged = TRIGGERS.filter((t) => triggers.has(t));
  const trigger = merged.join('+');
  const t0 = performance.now();
  for (const t of merged) stats.reconciles[t] += 1;
  try {
    const failing = new Set<string>();
    const result = await reconcile(agent, config, (item) => guard.isHeld(item));
    const ms = round(performance.now() - t0);
    for (const outcome of result.outcomes) {
      const { change } = outcome;
      const fields = {
        item: itemOf(change),
        kind: change.kind,
        action: change.action,
        from: change.from,
        to: change.to,
        duration_ms: ms,
        trigger,
      };
      if (outcome.status === 'applied') {
        stats.repairs[change.kind] += 1;
        logger.log(
          'info',
          'repair',
          `repaired ${itemOf(change)}: ${change.from ?? '(none)'} → ${change.to} in ${ms} ms (${trigger})`,
          fields,
        );
        const trip = guard.record(itemOf(change), { protective: change.safety.protects === true });
        if (trip?.protective) {
          stats.protectionFights = (stats.protectionFights ?? 0) + 1;
          logger.log(
            'error',
            'protection-fight',
            `${trip.item} keeps being undone: repaired ${trip.repairs} times within ${config.drift.flap.windowMs / 1000} s, ` +
              `something else keeps lowering ARP protection; rs-agent repairs it every time`,
            { item: trip.item, repairs: trip.repairs, window_s: config.drift.flap.windowMs / 1000 },
          );
        } else if (trip) {
          stats.flapTrips += 1;
          logger.log(
            'error',
            'flap-backoff',
            `${trip.item} keeps drifting: repaired ${trip.repairs} times within ${config.drift.flap.windowMs / 1000} s, ` +
              `something else keeps undoing it; not repairing it for ${trip.backoffMs / 1000} s`,
            {
              item: trip.item,
              repairs: trip.repairs,
              window_s: config.drift.flap.windowMs / 1000,
              backoff_s: trip.backoffMs / 1000,
            },
          );
        }
      } else {
        stats.failedRepairs += outcome.status === 'failed' ? 1 : 0;
        const item = itemOf(change);
        const level = repairFailureLevel(change, outcome.error, stats.failing?.includes(item) === true);
        failing.add(item);
        logger.log(level, `repair-${outcome.status}`, `could not repair ${item}: ${outcome.error ?? ''}`, {
          ...fields,
          error: outcome.error,
        });
      }
    }
    stats.failing = [...failing];
    if (result.error !== undefined) {
      stats.failedRepairs += 1;
      logger.log('error', 'state-write-failed', `reconcile (${trigger}) stopped: ${result.error}`, {
        trigger,
        error: result.error,
      });
    }
    // Left out until the operator acts or the device appears: said when it starts and
    // when it ends, not on every pass; status shows it meanwhile.
    const conflicts = new Map(
      result.snapshot.conflicts.map((c) => [`not adding VIP ${c.vip}: ${describeConflict(c)}`, c]),
    );
    stats.conflicts = logOnChange(
      stats.conflicts,
      [...conflicts.keys()],
      (m) => {
        const c = conflicts.get(m);
        logger.log('error', 'conflict', m, {
          item: `address ${c?.vip}`,
          vip: c?.vip,
          dev: c?.dev,
          prefixlen: c?.prefixlen,
        });
      },
      (m) => logger.log('info', 'conflict-resolved', `resolved: ${m}`),
    );
    stats.problems = logOnChange(
      stats.problems,
      result.problems.map((p) => p.message),
      (m) => logger.log('error', 'unavailable', `cannot be put in place: ${m}`, { error: m }),
      (m) => logger.log('info', 'available', `in place again: ${m}`),
    );
    stats.last = { at: new Date().toISOString(), durationMs: ms, trigger, inSync: result.verdict.inSync };
    stats.held = heldItems(guard.status(), now());
    return {
      sysctlPaths: Object.keys(result.snapshot.actual.sysctls),
      listeners: result.snapshot.desired.parts.fou as FouListener[],
      held: result.held.length,
    };
  } catch (error) {
    if (!(error instanceof AgentError)) throw error;
    const ms = round(performance.now() - t0);
    logger.log('error', 'reconcile-failed', `reconcile (${trigger}) failed: ${error.message}`, {
      trigger,
      duration_ms: ms,
      error: error.message,
    });
    stats.last = { at: new Date().toISOString(), durationMs: ms, trigger, inSync: false, error: error.message };
    return null;
  }
}

// Logs each message that is new since the last pass, and each that is gone; returns the current set.
function logOnChange(
  before: readonly string[],
  now: string[],
  onNew: (m: string) => void,
  onGone: (m: string) => void,
): string[] {
  const was = new Set(before);
  const is = new Set(now);
  for (const m of now) if (!was.has(m)) onNew(m);
  for (const m of before) if (!is.has(m)) onGone(m);
  return now;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

// A repair that races the host (a device removed between observing and applying, as
// `rmmod ipip` does to tunl0) fails once and the next pass plans afresh: a warning.
// It is an error when the same item failed on the last pass too, or when ARP protection
// is at stake: a protective sysctl that could not be written, unless its file is gone
// with its device (ENOENT), since a device that does not exist answers no ARP.
export function repairFailureLevel(change: Change, error: string | undefined, failedLastPass: boolean): Level {
  if (failedLastPass) return 'error';
  const deviceGone = change.kind === 'sysctl' && /\bENOENT\b/.test(error ?? '');
  return change.safety.protects && !deviceGone ? 'error' : 'warning';
}
