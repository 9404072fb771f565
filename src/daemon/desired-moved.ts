import type { Snapshot } from '../agent.js';
import { itemOf, type ChangeBase } from '../model/change.js';
import { planFull, type DesiredState } from '../plan/plan.js';

// A change is a repair only when the desired state did not move: the previous pass's
// desired state, planned against what this pass observed, asks for the very same change
// (same object, action and value). Otherwise the desired state moved under it (the first
// pass, a reload, the store) and it is a change: applied at once like any other, but no
// fight with another tool, so the flap backoff never counts it. Planning is pure and
// done once, only when a pass has changes to sort.
export function movedSince(previous: DesiredState | null, snap: Pick<Snapshot, 'actual' | 'owned'>) {
  if (previous === null) return (_change: ChangeBase) => true;
  let before: Set<string> | null = null;
  return (change: ChangeBase): boolean => {
    before ??= new Set(planFull(previous, snap.actual, snap.owned).changes.map(signature));
    return !before.has(signature(change));
  };
}

function signature(change: ChangeBase): string {
  return `${itemOf(change)}\n${change.action}\n${change.to ?? ''}`;
}
