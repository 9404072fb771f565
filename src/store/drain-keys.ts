import type { StoreView } from './host-desired.js';
import { drainBudgetKey, drainKey } from './layout.js';

// The fleet's drain keys as one host reads them: drain/<host> (drain this host) and
// drain-budget/<group> for each group it is in. A value is whatever anyone who can write
// the store put there: each is checked before it is used, bounded, and an error names the
// key, never shows more than a few escaped characters of the value. Pure.

// A drain key holds nothing, or a reason of a line: far below this.
export const MAX_DRAIN_VALUE_BYTES = 1024;
export const MAX_REASON_CHARS = 200;

export interface DrainBudget {
  group: string;
  key: string;
  max: { count: number } | { percent: number };
}

export interface FleetDrainWanted {
  key: string; // drain/<host>
  // The store asks for the drain (reason: its value's, if any); or the value is refused
  // (problem: why): the host stays pooled.
  drain: { reason: string | null } | { problem: string } | null;
  budgets: DrainBudget[]; // the budgets of the groups this host is in
  problems: string[]; // budget values refused: their groups refuse every store drain
  refusedGroups: string[];
}

// What the store says of this host's drain at one view. groups: the groups whose selector
// matches this host (host-desired.ts).
export function fleetDrainFor(
  prefix: string,
  host: string,
  groups: readonly { name: string }[],
  view: StoreView,
): FleetDrainWanted {
  const key = drainKey(prefix, host);
  const entry = view.entries.get(key);
  const drain = entry === undefined ? null : parseDrainValue(key, entry.value);
  const budgets: DrainBudget[] = [];
  const problems: string[] = [];
  const refusedGroups: string[] = [];
  for (const { name } of groups) {
    const budgetKey = drainBudgetKey(prefix, name);
    const value = view.entries.get(budgetKey)?.value;
    if (value === undefined) continue;
    const max = parseBudgetValue(value);
    if ('problem' in max) {
      problems.push(`etcd key ${budgetKey}: ${max.problem}; no host of group ${name} is drained by the store`);
      refusedGroups.push(name);
    } else budgets.push({ group: name, key: budgetKey, max });
  }
  return { key, drain, budgets, problems, refusedGroups };
}

// The store's drain values refused, for the status record and the log.
export function drainErrors(wanted: FleetDrainWanted): string[] {
  return [...(wanted.drain && 'problem' in wanted.drain ? [wanted.drain.problem] : []), ...wanted.problems];
}

// Empty (drain, no reason given) or {"reason": "..."}.
export function parseDrainValue(key: string, value: string): { reason: string | null } | { problem: string } {
  const refuse = (why: string) => ({
    problem: `etcd key ${key}: ${why}; the host stays pooled (a drain key holds nothing, or {"reason": "..."})`,
  });
  if (Buffer.byteLength(value) > MAX_DRAIN_VALUE_BYTES) return refuse(`is larger than ${MAX_DRAIN_VALUE_BYTES} bytes`);
  if (value.trim() === '') return { reason: null };
  let doc: unknown;
  try {
    doc = JSON.parse(value);
  } catch {
    return refuse(`${show(value)} is not JSON`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    return refuse(`${show(value)} is not a JSON object`);
  const extra = Object.keys(doc).filter((k) => k !== 'reason');
  if (extra.length > 0) return refuse(`${show(extra[0]!)} is not a known field`);
  const reason = (doc as { reason?: unknown }).reason;
  if (reason === undefined || reason === null) return { reason: null };
  if (typeof reason !== 'string' || reason.length > MAX_REASON_CHARS)
    return refuse(`reason: not a string of at most ${MAX_REASON_CHARS} characters`);
  return { reason };
}

// "N" (hosts) or "N%" (of the group's hosts), nothing else.
export function parseBudgetValue(value: string): DrainBudget['max'] | { problem: string } {
  const text = value.trim();
  const count = /^(\d{1,6})$/.exec(text);
  if (count) return { count: Number(count[1]) };
  const percent = /^(\d{1,3})%$/.exec(text);
  if (percent && Number(percent[1]) <= 100) return { percent: Number(percent[1]) };
  return {
    problem: `${show(text)} is not a number of hosts (such as 2) or a percentage of the group (such as 10%)`,
  };
}

// The slots of a budget for a group of `members` hosts: a percentage rounds down, but a
// group may always drain one host (a percentage that allows none would make the budget
// a ban on maintenance); 0 or 0% allows none.
export function budgetSlots(max: DrainBudget['max'], members: number): number {
  if ('count' in max) return max.count;
  if (max.percent === 0) return 0;
  return Math.max(1, Math.floor((max.percent * members) / 100));
}

// A value in a message: at most 40 characters, JSON-quoted (so its controls are escaped).
function show(value: string): string {
  return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}...` : JSON.stringify(value);
}
