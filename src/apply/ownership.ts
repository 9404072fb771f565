import type { ActualState } from '../observe/types.js';
import { addressKey, presentAddresses } from '../plan/address.js';
import { fouKey } from '../plan/fou.js';
import { routeKey } from '../plan/route.js';
import type { Change } from '../plan/types.js';
import type { Owned } from '../state/types.js';

// What rs-agent will own once `changes` are applied; recorded before applying them.
// A sysctl's original is recorded only the first time: a later pass must not
// mistake rs-agent's own value for the operator's. Linear in the number of changes
// (membership by key), so a start with thousands of VIPs does not crawl.
// Returns `owned` itself when nothing is new, so callers can skip rewriting the state file.
export function claim(owned: Owned, changes: readonly Change[]): Owned {
  const held = keysOf(owned);
  const fresh = changes.filter((change) => isClaim(change) && !held.has(keyOf(change)));
  if (fresh.length === 0) return owned;
  const next = structuredClone(owned);
  for (const change of fresh) {
    const key = keyOf(change);
    if (held.has(key)) continue;
    held.add(key);
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
        next.addresses.push(pickHost(change));
        break;
      case 'route':
        next.routes.push({ dst: change.dst, prefixlen: change.prefixlen, family: change.family, dev: change.dev });
        break;
      case 'nft':
        next.nft = true;
        break;
      case 'fou':
        next.fou.push({ port: change.port, family: change.family });
        break;
      case 'mss':
        next.mss = true;
        break;
    }
  }
  return next;
}

// What rs-agent owns after a pass: an undone object is no longer its own, and a
// claim this pass made for a change that did not happen (failed, not attempted) is
// given back. `before` is what it owned when the pass began.
export function release(owned: Owned, outcomes: readonly { change: Change; status: string }[], before: Owned): Owned {
  const heldBefore = keysOf(before);
  const drop = new Set<string>();
  for (const { change, status } of outcomes) {
    const gone = status === 'applied' ? isUndo(change) : isClaim(change) && !heldBefore.has(keyOf(change));
    if (gone) drop.add(keyOf(change));
  }
  if (drop.size === 0) return owned;
  const sysctls = Object.fromEntries(Object.entries(owned.sysctls).filter(([path]) => !drop.has(`sysctl ${path}`)));
  return {
    sysctls,
    addresses: owned.addresses.filter((a) => !drop.has(`address ${addressKey(a)}`)),
    routes: owned.routes.filter((r) => !drop.has(`route ${routeKey(r)}`)),
    links: owned.links.filter((dev) => !drop.has(`link ${dev}`)),
    modules: owned.modules.filter((m) => !drop.has(`module ${m}`)),
    ...(owned.nft === true && !drop.has(NFT_KEY) ? { nft: true } : {}),
    fou: owned.fou.filter((f) => !drop.has(`fou ${fouKey(f)}`)),
    ...(owned.mss === true && !drop.has(MSS_KEY) ? { mss: true } : {}),
  };
}

// A change that makes rs-agent the owner of something (a sysctl only with a known
// value to restore). An address update is none: setting flags on an address someone
// else added does not make it rs-agent's, and stop must leave it.
function isClaim(change: Change): boolean {
  if (change.kind === 'sysctl') return change.action === 'set' && change.from !== null;
  return change.action === 'load' || change.action === 'up' || change.action === 'add';
}

function isUndo(change: Change): boolean {
  return change.action === 'delete' || change.action === 'down' || change.action === 'restore';
}

function keyOf(change: Change): string {
  switch (change.kind) {
    case 'module':
      return `module ${change.module}`;
    case 'sysctl':
      return `sysctl ${change.path}`;
    case 'link':
      return `link ${change.dev}`;
    case 'address':
      return `address ${addressKey(change)}`;
    case 'route':
      return `route ${routeKey(change)}`;
    case 'nft':
      return NFT_KEY;
    case 'fou':
      return `fou ${fouKey(change)}`;
    case 'mss':
      return MSS_KEY;
  }
}

const NFT_KEY = 'nft table';
const MSS_KEY = 'mss table';

function keysOf(owned: Owned): Set<string> {
  return new Set([
    ...owned.modules.map((m) => `module ${m}`),
    ...Object.keys(owned.sysctls).map((p) => `sysctl ${p}`),
    ...owned.links.map((d) => `link ${d}`),
    ...owned.addresses.map((a) => `address ${addressKey(a)}`),
    ...owned.routes.map((r) => `route ${routeKey(r)}`),
    ...(owned.nft === true ? [NFT_KEY] : []),
    ...owned.fou.map((f) => `fou ${fouKey(f)}`),
    ...(owned.mss === true ? [MSS_KEY] : []),
  ]);
}

function pickHost(change: { address: string; prefixlen: number; family: 4 | 6; dev: string }) {
  return { address: change.address, prefixlen: change.prefixlen, family: change.family, dev: change.dev };
}

// Forgets what rs-agent recorded but the host no longer has: claims made by a pass
// killed before it acted, objects someone else removed, originals already back in
// place. Kept, such a claim would make a later stop delete an address someone else
// added with the same name, and keep the state file alive with nothing to undo.
export function forgetAbsent(owned: Owned, actual: ActualState): Owned {
  const addresses = new Set(presentAddresses(actual.links).map(addressKey));
  const routes = new Set(actual.routes.map(routeKey));
  const up = new Set(actual.links.filter((l) => l.up).map((l) => l.name));
  const sysctls = Object.fromEntries(
    Object.entries(owned.sysctls).filter(([path, { original }]) => {
      const now = actual.sysctls[path];
      // Not read this pass (undefined): keep; gone with its device or back at the original: forget.
      return now === undefined || (now !== null && now !== original);
    }),
  );
  return {
    sysctls,
    addresses: owned.addresses.filter((a) => addresses.has(addressKey(a))),
    routes: owned.routes.filter((r) => routes.has(routeKey(r))),
    links: owned.links.filter((dev) => up.has(dev)),
    modules: owned.modules,
    // Looked at and gone (deleted by someone else): a later load claims it afresh.
    ...(owned.nft === true && (actual.nft === undefined || actual.nft.table !== null) ? { nft: true } : {}),
    // Not read this pass (no GUE configured, none owned): kept as it is.
    fou: actual.fou === undefined ? owned.fou : owned.fou.filter((f) => (actual.fou ?? []).some((a) => a.kind === 'gue' && fouKey(a) === fouKey(f))),
    ...(owned.mss === true && (actual.mss === undefined || actual.mss.table !== null) ? { mss: true } : {}),
  };
}
