import { addressKey } from '../plan/address.js';
import { routeKey } from '../plan/route.js';
import type { Change } from '../plan/types.js';
import type { Owned } from '../state/types.js';

// What rs-agent will own once `change` is applied; recorded before applying it.
// A sysctl's original is recorded only the first time: a later pass must not
// mistake rs-agent's own value for the operator's.
export function claim(owned: Owned, change: Change): Owned {
  switch (change.kind) {
    case 'module':
      return owned.modules.includes(change.module) ? owned : { ...owned, modules: [...owned.modules, change.module] };
    case 'sysctl':
      if (change.action !== 'set' || owned.sysctls[change.path] || change.from === null) return owned;
      return { ...owned, sysctls: { ...owned.sysctls, [change.path]: { original: change.from } } };
    case 'link':
      if (change.action !== 'up' || owned.links.includes(change.dev)) return owned;
      return { ...owned, links: [...owned.links, change.dev] };
    case 'address':
      if (change.action !== 'add' || owned.addresses.some((a) => addressKey(a) === addressKey(change))) return owned;
      return { ...owned, addresses: [...owned.addresses, pickHost(change)] };
    case 'route':
      if (change.action !== 'add' || owned.routes.some((r) => routeKey(r) === routeKey(change))) return owned;
      return { ...owned, routes: [...owned.routes, { dst: change.dst, prefixlen: change.prefixlen, family: change.family, dev: change.dev }] };
  }
}

// What rs-agent owns after `change` ran: an undone object is no longer its own, and
// a claim this pass made for a change that did not happen (failed, not attempted)
// is given back. `before` is what it owned when the pass began.
export function release(owned: Owned, change: Change, applied: boolean, before: Owned): Owned {
  const drop = applied ? isUndo(change) : claim(before, change) !== before;
  if (!drop) return owned;
  switch (change.kind) {
    case 'module':
      return { ...owned, modules: owned.modules.filter((m) => m !== change.module) };
    case 'sysctl': {
      const { [change.path]: _gone, ...rest } = owned.sysctls;
      return { ...owned, sysctls: rest };
    }
    case 'link':
      return { ...owned, links: owned.links.filter((d) => d !== change.dev) };
    case 'address':
      return { ...owned, addresses: owned.addresses.filter((a) => addressKey(a) !== addressKey(change)) };
    case 'route':
      return { ...owned, routes: owned.routes.filter((r) => routeKey(r) !== routeKey(change)) };
  }
}

function isUndo(change: Change): boolean {
  return change.action === 'delete' || change.action === 'down' || change.action === 'restore';
}

function pickHost(change: { address: string; prefixlen: number; family: 4 | 6; dev: string }) {
  return { address: change.address, prefixlen: change.prefixlen, family: change.family, dev: change.dev };
}
