import type { ChangeBase, KeptProtection } from '../model/change.js';
import { kindOf } from '../objects/registry.js';

// One line per change, the same in plan, start, stop, check and the daemon's log: each
// kind writes its own (objects/).
export function formatChange(change: ChangeBase): string {
  return kindOf(change).render(change);
}

// How a drifted item reads in `check`: what it is, what it is now, what it should be.
export function formatDrift(change: ChangeBase): string {
  const kind = kindOf(change);
  return kind.drift ? kind.drift(change) : kind.render(change).slice(2);
}

// Why a protective item stays although nothing desired asks for it.
export function formatKept(kept: KeptProtection): string {
  const restore = kept.original === null ? 'removed' : `restored to ${kept.original}`;
  return `= ${kept.item}: kept at ${kept.now}, still needed by ${kept.neededBy.join(', ')} (will be ${restore} by a stop once no such address remains)`;
}
