import type { Selection } from '../agent.js';
import type { Change } from '../plan/types.js';

// What the flap guard calls an item: one kernel object, whichever way it drifted.
export function itemOf(change: Change): string {
  return `${change.kind} ${change.target}`;
}

// Splits a plan into what this pass applies and what the flap guard holds back.
// Protection (ARP sysctls, the nftables ARP guard) is never held back: a fight over
// it is repaired every time. A held-back module also holds back every address, route and link
// brought up after it: a VIP added while its ARP protection is being undone would
// answer ARP for the VIP, the one thing rs-agent exists to prevent.
export function selectChanges(changes: Change[], isHeld: (item: string) => boolean): Selection {
  const apply: Change[] = [];
  const held: Change[] = [];
  let exposureBlocked = false;
  for (const change of changes) {
    const hold = !isProtective(change) && (isHeld(itemOf(change)) || (exposureBlocked && exposes(change)));
    if (hold) {
      held.push(change);
      if (protects(change)) exposureBlocked = true;
    } else apply.push(change);
  }
  return { apply, held };
}

function protects(change: Change): boolean {
  return change.kind === 'module' || isProtective(change);
}

// A change that keeps the host from answering ARP for a VIP.
export function isProtective(change: Change): boolean {
  if (change.kind === 'nft') return change.action === 'load';
  return change.kind === 'sysctl' && change.action === 'set' && /\/arp_(ignore|announce)$/.test(change.path);
}

function exposes(change: Change): boolean {
  return change.kind === 'address' || change.kind === 'route'
    ? change.action === 'add'
    : change.kind === 'link' && change.action === 'up';
}
