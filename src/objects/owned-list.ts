import type { ChangeBase } from '../model/change.js';
import type { Step } from './kind.js';

// Shared by the kinds whose ownership is a list of objects (addresses, routes, links,
// listeners, modules, tables).

// Whether what a step does to the host is (or, before applying, may be) in place.
export function happens(status: Step<unknown>['status']): boolean {
  return status === 'applied' || status === 'pending';
}

// A change that makes rs-agent the owner of something. An address update is none:
// setting flags on an address someone else added does not make it rs-agent's.
export function isClaim(change: ChangeBase): boolean {
  return change.action === 'load' || change.action === 'up' || change.action === 'add' || change.action === 'set';
}

export function isUndo(change: ChangeBase): boolean {
  return change.action === 'delete' || change.action === 'down' || change.action === 'restore';
}

// The objects of one kind: those kept from before, plus those claimed, less those undone.
// Linear in the size of the plan and of `kept` (a start of 10000 VIPs does not crawl).
export function listAfter<C extends ChangeBase, T>(
  kept: readonly T[],
  steps: readonly Step<C>[],
  keyOf: (entry: T) => string,
  entryOf: (change: C) => T,
): T[] {
  const owned = new Map(kept.map((entry) => [keyOf(entry), entry]));
  for (const { change, status } of steps) {
    const entry = entryOf(change);
    const key = keyOf(entry);
    if (isClaim(change) && happens(status)) {
      if (!owned.has(key)) owned.set(key, entry);
    } else if (isUndo(change) && status === 'applied') owned.delete(key);
  }
  return [...owned.values()];
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// A list from the state file, each entry checked; a string says what is wrong.
export function decodeList<T>(value: unknown, key: string, check: (item: unknown) => string | null): T[] | string {
  const list = value ?? [];
  if (!Array.isArray(list)) return `owned.${key} is not a list`;
  for (const [i, item] of list.entries()) {
    const problem = check(item);
    if (problem) return `owned.${key}[${i}]${problem}`;
  }
  return list as T[];
}

// One diff for every kind of owned object: what to add so that all desired items are
// present, and which owned items to delete because they are present but no longer desired.
// Items present but never owned are someone else's and never deleted.
export function diffOwned<D extends T, T>(
  desired: readonly D[],
  present: ReadonlySet<string>,
  owned: readonly T[],
  keyOf: (item: T) => string,
): { add: D[]; remove: T[] } {
  const wanted = new Set(desired.map(keyOf));
  return {
    add: desired.filter((item) => !present.has(keyOf(item))),
    remove: owned.filter((item) => !wanted.has(keyOf(item)) && present.has(keyOf(item))),
  };
}
