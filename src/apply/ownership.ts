import { addressKey } from '../plan/address.js';
import { routeKey } from '../plan/route.js';
import type { Change } from '../plan/types.js';
import type { Owned } from '../state/types.js';

// What rs-agent owns is looked up by key in sets, and each pass records or gives back
// all its changes at once: a host with 10000 VIPs has 20000 owned objects, and a
// scan of the list per change made start and stop quadratic (seconds of CPU).

type Kind = Change['kind'];

// The key under which the state file records what `change` touches.
function ownedKey(change: Change): string {
  switch (change.kind) {
    case 'module':
      return change.module;
    case 'sysctl':
      return change.path;
    case 'link':
      return change.dev;
    case 'address':
      return addressKey(change);
    case 'route':
      return routeKey(change);
  }
}

// The keys of everything an Owned records, by kind.
function ownedKeys(owned: Owned): Record<Kind, Set<string>> {
  return {
    module: new Set(owned.modules),
    sysctl: new Set(Object.keys(owned.sysctls)),
    link: new Set(owned.links),
    address: new Set(owned.addresses.map(addressKey)),
    route: new Set(owned.routes.map(routeKey)),
  };
}

// Whether applying `change` makes rs-agent own something it does not own yet.
// A sysctl's original is recorded only the first time, and only once it is known: a
// later pass must not mistake rs-agent's own value for the operator's.
function claims(change: Change, keys: Record<Kind, Set<string>>): boolean {
  if (keys[change.kind].has(ownedKey(change))) return false;
  switch (change.kind) {
    case 'module':
      return true;
    case 'sysctl':
      return change.action === 'set' && change.from !== null;
    case 'link':
      return change.action === 'up';
    case 'address':
    case 'route':
      return change.action === 'add';
  }
}

// What rs-agent will own once `changes` are applied; recorded before applying them.
// Returns `owned` itself when nothing is new.
export function claimAll(owned: Owned, changes: readonly Change[]): Owned {
  const keys = ownedKeys(owned);
  const next: Owned = { ...owned, sysctls: { ...owned.sysctls }, addresses: [...owned.addresses], routes: [...owned.routes], links: [...owned.links], modules: [...owned.modules] };
  let changed = false;
  for (const change of changes) {
    if (!claims(change, keys)) continue;
    keys[change.kind].add(ownedKey(change));
    changed = true;
    switch (change.kind) {
      case 'module':
        next.modules.push(change.module);
        break;
      case 'sysctl':
        next.sysctls[change.path] = { original: change.from as string };
        break;
      case 'link':
        next.links.push(change.dev);
        break;
      case 'address':
        next.addresses.push({ address: change.address, prefixlen: change.prefixlen, family: change.family, dev: change.dev });
        break;
      case 'route':
        next.routes.push({ dst: change.dst, prefixlen: change.prefixlen, family: change.family, dev: change.dev });
        break;
    }
  }
  return changed ? next : owned;
}

// What rs-agent owns after the pass: an undone object is no longer its own, and a
// claim this pass made for a change that did not happen (failed, not attempted) is
// given back. `before` is what it owned when the pass began.
export function releaseAll(owned: Owned, results: readonly { change: Change; applied: boolean }[], before: Owned): Owned {
  const beforeKeys = ownedKeys(before);
  const drop: Record<Kind, Set<string>> = { module: new Set(), sysctl: new Set(), link: new Set(), address: new Set(), route: new Set() };
  for (const { change, applied } of results) {
    if (applied ? isUndo(change) : claims(change, beforeKeys)) drop[change.kind].add(ownedKey(change));
  }
  if (Object.values(drop).every((keys) => keys.size === 0)) return owned;
  return {
    ...owned,
    modules: owned.modules.filter((m) => !drop.module.has(m)),
    sysctls: Object.fromEntries(Object.entries(owned.sysctls).filter(([path]) => !drop.sysctl.has(path))),
    links: owned.links.filter((d) => !drop.link.has(d)),
    addresses: owned.addresses.filter((a) => !drop.address.has(addressKey(a))),
    routes: owned.routes.filter((r) => !drop.route.has(routeKey(r))),
  };
}

function isUndo(change: Change): boolean {
  return change.action === 'delete' || change.action === 'down' || change.action === 'restore';
}
