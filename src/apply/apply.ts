import { AgentError } from '../errors.js';
import type { ChangeBase } from '../model/change.js';
import { ownedAfter, sameOwned, type Change, type Owned } from '../objects/registry.js';
import type { Observed } from '../objects/kind.js';
import type { ActualState } from '../observe/types.js';
import { blockDependents, Blocked, gate } from '../plan/gate.js';
import type { SysctlFs } from '../system/sysctl-fs.js';
import { EXECUTORS, skipped, viaOf, type ExecContext, type Outcome, type Via } from './executors.js';

export type { Outcome } from './executors.js';

export interface ApplyResult {
  outcomes: Outcome<Change>[];
  ok: boolean;
  owned: Owned;
  // A failure that belongs to no one change (the state file could not be written):
  // the outcomes still say what was applied before it.
  error?: string;
}

export interface ApplyContext extends ExecContext {
  owned: Owned; // what the state file holds (renamed devices followed)
  actual: ActualState; // what the pass observed before planning
  // Persists what rs-agent owns (see apply for when).
  saveOwned(owned: Owned): void;
}

// Executes exactly the plan, in its order, and records what rs-agent owns (ownedAfter)
// through ctx.saveOwned, only here and only when it changes:
// - before the first change: everything the plan may add (state file first, kernel
//   second, so a crash at any point leaves a record from which stop can undo it all);
// - before the first write to a sysctl of a device this pass created: its original,
//   read just then;
// - after the last change: what the outcomes made true.
// A state file that cannot be written stops the pass before the next change: a change
// not recorded first could not be undone by stop.
//
// Which changes run is the gate's (plan/gate.ts): a change whose needs failed or were
// not attempted is not attempted, and neither is what needs it. Changes of one executor
// run together (one `ip -batch`), so the gate is applied before each run; the order puts
// every change a need names in an earlier run than the change that needs it.
export async function apply(changes: readonly Change[], ctx: ApplyContext): Promise<ApplyResult> {
  const observed: Observed & { originals: Record<string, string | null> } = { actual: ctx.actual, originals: {} };
  let saved = ctx.owned;
  let error: string | undefined;
  let stopReason: string | null = null;
  const record = (outcomes: readonly Outcome[] | null) => {
    const next = ownedAfter(ctx.owned, changes, outcomes, observed);
    if (error !== undefined || sameOwned(next, saved)) return;
    try {
      ctx.saveOwned(next);
      saved = next;
    } catch (e) {
      if (!(e instanceof AgentError)) throw e;
      error = e.message;
      stopReason = 'not attempted: the state file could not be written first';
    }
  };
  record(null); // before: all the plan may add
  const outcomes: Outcome[] = [];
  const blocked = new Blocked();

  for (const segment of segments(changes)) {
    const runnable: ChangeBase[] = [];
    for (const change of segment.changes) {
      const why = stopReason ?? gate(change, blocked);
      if (why === null) runnable.push(change);
      else {
        outcomes.push(skipped(change, why));
        blockDependents(change, blocked, why);
      }
    }
    if (runnable.length === 0) continue;
    if (readOriginals(runnable, ctx.sysctlFs, saved, observed.originals)) record(null); // and the originals just read
    if (stopReason !== null) {
      outcomes.push(...runnable.map((change) => skipped(change, stopReason as string)));
      continue;
    }
    const results = await EXECUTORS[segment.via](runnable, ctx);
    outcomes.push(...results);
    for (const o of results) {
      if (o.status !== 'applied')
        blockDependents(o.change, blocked, `not attempted: ${failureName(o.change)} failed first`);
    }
  }
  record(outcomes); // after: what the outcomes made true
  const ok = error === undefined && outcomes.every((o) => o.status === 'applied');
  return { outcomes: outcomes as Outcome<Change>[], ok, owned: saved, ...(error === undefined ? {} : { error }) };
}

// How a failed change is named in what it keeps from running.
function failureName(change: ChangeBase): string {
  const c = change as ChangeBase & { module?: string };
  return change.kind === 'module' ? `kernel module ${c.module}` : `${change.kind} ${change.target}`;
}

// A device created by this pass (tunl0 after modprobe) had no value to plan with: its
// originals are read just before they are first written. Says whether any was read.
function readOriginals(
  changes: readonly ChangeBase[],
  sysctlFs: SysctlFs,
  owned: Owned,
  originals: Record<string, string | null>,
): boolean {
  let read = false;
  for (const change of changes) {
    const c = change as ChangeBase & { path?: string };
    if (change.kind !== 'sysctl' || change.action !== 'set' || change.from !== null || c.path === undefined) continue;
    if (owned.sysctl[c.path] || c.path in originals) continue;
    originals[c.path] = sysctlFs.read(c.path);
    read = true;
  }
  return read;
}

interface Segment {
  via: Via;
  changes: ChangeBase[];
}

// Consecutive changes that one executor can run together (one `ip -batch` for all
// link, address, route and listener changes in a row); sysctl writes and restores apart.
function segments(changes: readonly ChangeBase[]): Segment[] {
  const out: Segment[] = [];
  for (const change of changes) {
    const via = viaOf(change);
    const last = out[out.length - 1];
    const sameAction = via !== 'sysctl' || last?.changes[0]?.action === change.action;
    if (last && last.via === via && sameAction) last.changes.push(change);
    else out.push({ via, changes: [change] });
  }
  return out;
}
