import { performance } from 'node:perf_hooks';
import { reconcile, type AgentOptions } from '../agent.js';
import type { Config } from '../config/types.js';
import { AgentError } from '../errors.js';
import { itemOf } from '../model/change.js';
import type { Change } from '../objects/registry.js';
import type { DesiredState } from '../plan/plan.js';
import { movedSince } from './desired-moved.js';
import type { FlapBackoff } from './flap-backoff.js';
import type { BackoffItem, PassResult, RanChange } from './pass-result.js';
import type { Now } from './scheduler.js';
import { TRIGGERS, type Trigger } from './trigger.js';

export interface PassInput {
  agent: AgentOptions;
  config: Config; // the desired state: the file's, plus what the store adds
  backoff: FlapBackoff;
  previous: DesiredState | null; // the last pass's desired state (null: none yet)
  unfinished: ReadonlySet<string>; // items of changes the desired state asked for that did not apply yet
  triggers: Set<Trigger>;
  now: Now; // the scheduler's clock
}

// One reconcile: observe and plan under the lock, apply what the gate lets through (the
// flap backoff's items held back), then sort what ran into repairs and changes and count
// the repairs with the backoff. A pass that cannot run (lock held too long, ip failing)
// returns why; anything else thrown is a bug and goes up.
export async function runPass(input: PassInput): Promise<PassResult> {
  const { backoff } = input;
  const triggers = TRIGGERS.filter((t) => input.triggers.has(t));
  const startedAt = input.now();
  const t0 = performance.now();
  const end = () => ({ endedAt: new Date().toISOString(), durationMs: round(performance.now() - t0) });
  try {
    // A pass only the schedule asked for looks before it locks (see reconcile): the
    // others were asked for because something moved, and lock first.
    const scheduledOnly = triggers.length === 1 && triggers[0] === 'schedule';
    const result = await reconcile(input.agent, input.config, (item) => backoff.isHeld(item), scheduledOnly);
    // A change the desired state asked for stays one until it applies (held back, or
    // failed, on an earlier pass).
    const moved = movedSince(input.previous, result.snapshot);
    const isChange = (c: Change) => moved(c) || input.unfinished.has(itemOf(c));
    const ran: RanChange[] = result.outcomes.map((o) => ({
      change: o.change,
      status: o.status,
      ...(o.error === undefined ? {} : { error: o.error }),
      repair: !isChange(o.change),
    }));
    const trips: PassResult['trips'] = [];
    const toWall = wallClock(input.now);
    for (const r of ran) {
      if (r.status !== 'applied' || !r.repair) continue;
      const trip = backoff.record(itemOf(r.change), { protective: r.change.safety.protects === true });
      if (trip) trips.push({ ...trip, heldUntil: toWall(trip.until) });
    }
    const heldChanges = result.held.map((h) => h.change).filter(isChange);
    const released = heldChanges.map(itemOf).filter((item) => backoff.isHeld(item));
    for (const item of released) backoff.forget(item);
    const unfinished = [...ran.filter((r) => !r.repair && r.status !== 'applied').map((r) => r.change), ...heldChanges];
    return {
      triggers,
      startedAt,
      ...end(),
      reconcile: result,
      ran,
      trips,
      released,
      unfinished: unfinished.map(itemOf),
      backoff: backoffOf(input, startedAt),
    };
  } catch (error) {
    if (!(error instanceof AgentError)) throw error;
    const failed = { reconcile: null, error: error.message, ran: [], trips: [], released: [], unfinished: [] };
    return { triggers, startedAt, ...end(), ...failed, backoff: backoffOf(input, startedAt) };
  }
}

// The backoff's items, with wall-clock times for status (it counts on the monotonic
// clock), and its next release since the pass started: a backoff that ended while the
// pass ran held its item back all the same, and the item is due at once.
function backoffOf({ backoff, now }: PassInput, startedAt: number): PassResult['backoff'] {
  const toWall = wallClock(now);
  const items: BackoffItem[] = backoff
    .status()
    .map((s) => ({ ...s, heldUntil: s.heldUntil === null ? null : toWall(s.heldUntil) }));
  return { items, nextRelease: backoff.nextRelease(startedAt) };
}

// Converts times on the scheduler's clock to ISO wall-clock times, as of now.
function wallClock(now: Now): (t: number) => string {
  const at = now();
  const wall = Date.now();
  return (t) => new Date(wall + (t - at)).toISOString();
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
