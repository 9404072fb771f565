import type { Outcome } from '../apply/apply.js';
import type { Held } from '../verdict.js';
import { describeConflict, type Conflict } from '../plan/conflicts.js';
import type { Problem } from '../model/change.js';
import { formatChange } from '../render/change.js';
import { printError, printLines } from './common.js';

// Prints what a pass did, one line per change; failures on stderr, each with the
// reason; changes not attempted after a failure summed up in one line.
// Returns the exit status: 0 when everything applied, 2 otherwise.
// error: a failure of the pass itself (the state file), after whatever was applied.
// held: what the gate held back before the pass began (it needs something missing).
export function reportOutcomes(outcomes: Outcome[], error?: string, held: readonly Held[] = []): number {
  const failed = outcomes.filter((o) => o.status === 'failed');
  const skipped = [
    ...held.map((h) => ({ change: h.change, error: h.why })),
    ...outcomes.filter((o) => o.status === 'skipped'),
  ];
  const applied = outcomes.filter((o) => o.status === 'applied');
  // One write for all of them: a start of 10000 VIPs reports 20000 lines.
  printLines(applied.map((o) => formatChange(o.change)));
  if (failed.length === 0 && skipped.length === 0 && error === undefined) return 0;
  if (failed.length === 1 && applied.length === 0 && error === undefined) {
    printError(`${failed[0]?.error}; nothing was changed`);
    return 2;
  }
  for (const o of failed) printError(`failed: ${formatChange(o.change)}: ${o.error ?? ''}`);
  if (error !== undefined) printError(`${error}${applied.length === 0 ? '; nothing was changed' : ''}`);
  if (skipped.length > 0) {
    printError(`not attempted: ${skipped.length} changes (${skipped[0]?.error ?? ''})`);
  }
  return 2;
}

// VIPs a pass left out (see plan/conflicts.ts), one line each on stderr. Returns 2
// when there are any: the host is not what the config asks for.
export function reportConflicts(conflicts: readonly Conflict[]): number {
  for (const c of conflicts) printError(`not added: ${describeConflict(c)}`);
  return conflicts.length > 0 ? 2 : 0;
}

// What the config asks for but the host cannot have now, one line each on stderr.
// Returns 2 when there is any.
export function reportProblems(problems: readonly Problem[]): number {
  // The store's problem is not an item missing but the whole desired state unknown.
  for (const p of problems) printError(p.item === 'store' ? p.message : `not in place: ${p.message}`);
  return problems.length > 0 ? 2 : 0;
}
