import type { ChangeBase } from '../model/change.js';
import { kindOf } from '../objects/registry.js';

// The one order every pass follows, from each kind's ranks (objects/): modules, then
// protection (ARP sysctls and the ARP guard) before anything that exposes a VIP; links
// up; routes leave before their address and arrive after it; deletes before adds so a
// VIP moving between devices never collides with itself; protection restored only after
// every VIP rs-agent removes is gone. The needs each change carries (plan/gate.ts) point
// only backwards in this order.
export function rankOf(change: ChangeBase): number {
  return (kindOf(change).rank as Record<string, number>)[change.action] as number;
}

// Stable: changes of the same rank keep the order they were planned in (config order).
export function orderChanges<C extends ChangeBase>(changes: readonly C[]): C[] {
  return changes
    .map((change, i) => ({ change, i, rank: rankOf(change) }))
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .map((x) => x.change);
}
