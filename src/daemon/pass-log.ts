import type { Config } from '../config/types.js';
import { itemOf } from '../model/change.js';
import type { Change } from '../objects/registry.js';
import type { Level, Logger } from './log.js';
import type { PassResult, RanChange } from './pass-result.js';
import { conflictMessages, type DaemonStats } from './stats.js';

// The log lines of one pass: one per change it ran (a repair of drift, or a change the
// desired state asked for), one per backoff or protection fight, and what became
// unavailable or conflicting since the last pass (`before`) and what stopped being so.
export function logPass(logger: Logger, pass: PassResult, before: DaemonStats, config: Config): void {
  const trigger = pass.triggers.join('+');
  const result = pass.reconcile;
  if (!result) {
    logger.log('error', 'reconcile-failed', `reconcile (${trigger}) failed: ${pass.error}`, {
      trigger,
      duration_ms: pass.durationMs,
      error: pass.error,
    });
    return;
  }
  const failedBefore = new Set(before.failing);
  const failedLastPass = (r: RanChange) => failedBefore.has(itemOf(r.change));
  const alike = failureGroups(pass.ran);
  for (const r of pass.ran) {
    const group = alike.get(r);
    if (!group) logRan(logger, r, trigger, pass.durationMs, failedLastPass(r));
    else if (group[0] === r) logFailures(logger, group, trigger, pass.durationMs, failedLastPass);
  }
  const windowS = config.drift.flap.windowMs / 1000;
  for (const trip of pass.trips) {
    const fields = { item: trip.item, repairs: trip.repairs, window_s: windowS };
    if (trip.protective)
      logger.log(
        'error',
        'protection-fight',
        `${trip.item} keeps being undone: repaired ${trip.repairs} times within ${windowS} s, ` +
          `something else keeps lowering ARP protection; rs-agent repairs it every time`,
        fields,
      );
    else
      logger.log(
        'error',
        'flap-backoff',
        `${trip.item} keeps drifting: repaired ${trip.repairs} times within ${windowS} s, ` +
          `something else keeps undoing it; not repairing it for ${trip.backoffMs / 1000} s`,
        { ...fields, backoff_s: trip.backoffMs / 1000, held_until: trip.heldUntil },
      );
  }
  if (result.error !== undefined)
    logger.log('error', 'state-write-failed', `reconcile (${trigger}) stopped: ${result.error}`, {
      trigger,
      error: result.error,
    });
  // Left out until the operator acts or the device appears: said when it starts and
  // when it ends, not on every pass; status shows it meanwhile.
  const conflicts = new Map(conflictMessages(result.conflicts).map((m, i) => [m, result.conflicts[i]]));
  logChanged(
    before.conflicts,
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
  logChanged(
    before.problems,
    result.problems.map((p) => p.message),
    (m) => logger.log('error', 'unavailable', `cannot be put in place: ${m}`, { error: m }),
    (m) => logger.log('info', 'available', `in place again: ${m}`),
  );
}

// "repaired X: a → b in N ms (event)" for drift, "changed X: ..." for what the desired
// state asked for; a failure says which of the two could not be done.
function logRan(logger: Logger, r: RanChange, trigger: string, ms: number, failedLastPass: boolean): void {
  const { change } = r;
  const item = itemOf(change);
  const fields = {
    item,
    kind: change.kind,
    action: change.action,
    from: change.from,
    to: change.to,
    duration_ms: ms,
    trigger,
  };
  const what = r.repair ? 'repair' : 'change';
  if (r.status === 'applied') {
    const verb = r.repair ? 'repaired' : 'changed';
    logger.log(
      'info',
      what,
      `${verb} ${item}: ${change.from ?? '(none)'} → ${change.to} in ${ms} ms (${trigger})`,
      fields,
    );
    return;
  }
  const level = failureLevel(change, r.error, failedLastPass);
  logger.log(level, `${what}-${r.status}`, `could not ${what} ${item}: ${r.error ?? ''}`, {
    ...fields,
    error: r.error,
  });
}

// More than this many changes that failed alike (same kind of change, same status, same
// error) are one line: a batch killed at its timeout fails every change it carried with
// one error, and a line per change (20 000 for a large group) floods the log.
const EACH_UP_TO = 3;
const SAMPLE = 10;

function failureGroups(ran: RanChange[]): Map<RanChange, RanChange[]> {
  const groups = new Map<string, RanChange[]>();
  for (const r of ran) {
    if (r.status === 'applied') continue;
    const key = `${r.repair}\0${r.status}\0${r.error ?? ''}`;
    const group = groups.get(key);
    if (group) group.push(r);
    else groups.set(key, [r]);
  }
  const of = new Map<RanChange, RanChange[]>();
  for (const group of groups.values()) if (group.length > EACH_UP_TO) for (const r of group) of.set(r, group);
  return of;
}

// One line for many changes that failed alike: how many, the first few, the error.
function logFailures(
  logger: Logger,
  group: RanChange[],
  trigger: string,
  ms: number,
  failedLastPass: (r: RanChange) => boolean,
): void {
  const first = group[0]!;
  const what = first.repair ? 'repair' : 'change';
  const items = group.map((r) => itemOf(r.change));
  const levels = group.map((r) => failureLevel(r.change, r.error, failedLastPass(r)));
  const level = levels.includes('error') ? 'error' : 'warning';
  const sample = items.slice(0, SAMPLE).join(', ');
  const more = items.length > SAMPLE ? ` and ${items.length - SAMPLE} more` : '';
  logger.log(
    level,
    `${what}-${first.status}`,
    `could not ${what} ${items.length} items (${sample}${more}): ${first.error ?? ''}`,
    {
      item: items[0],
      items: items.length,
      sample,
      duration_ms: ms,
      trigger,
      error: first.error,
    },
  );
}

// Logs each message that is new since the last pass, and each that is gone.
function logChanged(before: readonly string[], now: string[], onNew: (m: string) => void, onGone: (m: string) => void) {
  const was = new Set(before);
  const is = new Set(now);
  for (const m of now) if (!was.has(m)) onNew(m);
  for (const m of before) if (!is.has(m)) onGone(m);
}

// A repair that races the host (a device removed between observing and applying, as
// `rmmod ipip` does to tunl0) fails once and the next pass plans afresh: a warning.
// It is an error when the same item failed on the last pass too, or when ARP protection
// is at stake: a protective sysctl that could not be written, unless its file is gone
// with its device (ENOENT), since a device that does not exist answers no ARP.
export function failureLevel(change: Change, error: string | undefined, failedLastPass: boolean): Level {
  if (failedLastPass) return 'error';
  const deviceGone = change.kind === 'sysctl' && /\bENOENT\b/.test(error ?? '');
  return change.safety.protects && !deviceGone ? 'error' : 'warning';
}
