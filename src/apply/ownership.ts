import type { ActualState } from '../observe/types.js';
import { addressKey, presentAddresses } from '../plan/address.js';
import { fouKey } from '../plan/fou.js';
import { routeKey } from '../plan/route.js';
import type { Change } from '../plan/types.js';
import { recordIfindexes } from '../state/renames.js';
import type { Owned } from '../state/types.js';

// What a pass saw of the host, as far as ownership depends on it.
export interface Observed {
  actual: ActualState; // read at the start of the pass
  // Sysctl values read during the pass just before their first write: those of a device
  // the pass created (tunl0 after modprobe), which had no value to plan with.
  originals?: Readonly<Record<string, string | null>>;
}

// A change and what became of it (apply's Outcome).
export interface ChangeOutcome {
  change: Change;
  status: 'applied' | 'failed' | 'skipped';
}

// What rs-agent owns after a pass, from what it owned before it, the plan and the
// outcomes. Pure.
//
// outcomes null: the plan has not run yet. Every object it may add counts as owned, so
// the state file written before the first change lets stop undo whatever a crash cuts
// short. With outcomes: an object is owned once the change adding it applied, no longer
// once the change undoing it applied; a change that failed or was not attempted leaves
// the object as it was before the pass.
//
// First, what the host does not bear out is forgotten: claims of a pass killed before
// it acted, objects someone else removed, originals already back in place. Kept, such a
// claim would make a later stop delete an address someone else added with the same name.
// A sysctl's original is recorded only the first time: a later pass must not mistake
// rs-agent's own value for the operator's.
//
// One section per kind of object. Linear in the size of the plan and of `before` (a
// start of 10000 VIPs does not crawl).
export function ownedAfter(
  before: Owned,
  plan: readonly Change[],
  outcomes: readonly ChangeOutcome[] | null,
  observed: Observed,
): Owned {
  const steps: readonly Step[] = outcomes ?? plan.map((change) => ({ change, status: 'pending' as const }));
  const { actual } = observed;
  const addresses = new Set(presentAddresses(actual.links).map(addressKey));
  const routes = new Set(actual.routes.map(routeKey));
  const up = new Set(actual.links.filter((l) => l.up).map((l) => l.name));
  // Not read this pass (undefined): kept; read, only those still there as GUE.
  const fou = actual.fou === undefined ? null : new Set((actual.fou ?? []).filter((f) => f.kind === 'gue').map(fouKey));
  // Looked at and gone (deleted by someone else): a later load claims it afresh.
  const nftKept = before.nft === true && (actual.nft === undefined || actual.nft.table !== null);
  const nft = flagAfter(nftKept, steps, (c) => c.kind === 'nft');
  const mssKept = before.mss === true && (actual.mss === undefined || actual.mss.table !== null);
  const mss = flagAfter(mssKept, steps, (c) => c.kind === 'mss');
  return {
    sysctls: recordIfindexes(sysctlsAfter(before.sysctls, steps, observed), actual.links),
    addresses: listAfter(
      before.addresses.filter((a) => addresses.has(addressKey(a))),
      steps,
      addressKey,
      (c) =>
        c.kind === 'address' ? { address: c.address, prefixlen: c.prefixlen, family: c.family, dev: c.dev } : null,
    ),
    routes: listAfter(
      before.routes.filter((r) => routes.has(routeKey(r))),
      steps,
      routeKey,
      (c) => (c.kind === 'route' ? { dst: c.dst, prefixlen: c.prefixlen, family: c.family, dev: c.dev } : null),
    ),
    links: listAfter(
      before.links.filter((dev) => up.has(dev)),
      steps,
      (dev) => dev,
      (c) => (c.kind === 'link' ? c.dev : null),
    ),
    // Never unloaded, so never forgotten: reported only.
    modules: listAfter(
      before.modules,
      steps,
      (m) => m,
      (c) => (c.kind === 'module' ? c.module : null),
    ),
    ...(nft ? { nft: true } : {}),
    fou: listAfter(fou === null ? before.fou : before.fou.filter((f) => fou.has(fouKey(f))), steps, fouKey, (c) =>
      c.kind === 'fou' ? { port: c.port, family: c.family } : null,
    ),
    ...(mss ? { mss: true } : {}),
  };
}

interface Step {
  change: Change;
  status: ChangeOutcome['status'] | 'pending';
}

// Whether what a step does to the host is (or, before applying, may be) in place.
function happens(status: Step['status']): boolean {
  return status === 'applied' || status === 'pending';
}

// A change that makes rs-agent the owner of something. An address update is none:
// setting flags on an address someone else added does not make it rs-agent's, and
// stop must leave it.
function isClaim(change: Change): boolean {
  return change.action === 'load' || change.action === 'up' || change.action === 'add' || change.action === 'set';
}

function isUndo(change: Change): boolean {
  return change.action === 'delete' || change.action === 'down' || change.action === 'restore';
}

// The objects of one kind: those kept from before, plus those claimed, less those undone.
function listAfter<T>(
  kept: readonly T[],
  steps: readonly Step[],
  keyOf: (entry: T) => string,
  entryOf: (change: Change) => T | null,
): T[] {
  const owned = new Map(kept.map((entry) => [keyOf(entry), entry]));
  for (const { change, status } of steps) {
    const entry = entryOf(change);
    if (entry === null) continue;
    const key = keyOf(entry);
    if (isClaim(change) && happens(status)) {
      if (!owned.has(key)) owned.set(key, entry);
    } else if (isUndo(change) && status === 'applied') owned.delete(key);
  }
  return [...owned.values()];
}

// One object of which there is at most one (the ARP guard table, the MSS clamp table).
function flagAfter(kept: boolean, steps: readonly Step[], isIt: (change: Change) => boolean): boolean {
  let owned = kept;
  for (const { change, status } of steps) {
    if (!isIt(change)) continue;
    if (isClaim(change) && happens(status)) owned = true;
    else if (isUndo(change) && status === 'applied') owned = false;
  }
  return owned;
}

// Originals: kept while the sysctl still holds another value (or was not read this
// pass); recorded once, from the value the plan saw or, for a device the pass created,
// the one read just before the first write. No known value, nothing to restore: no claim.
function sysctlsAfter(before: Owned['sysctls'], steps: readonly Step[], observed: Observed): Owned['sysctls'] {
  const owned = new Map(
    Object.entries(before).filter(([path, { original }]) => {
      const now = observed.actual.sysctls[path];
      return now === undefined || (now !== null && now !== original);
    }),
  );
  for (const { change, status } of steps) {
    if (change.kind !== 'sysctl') continue;
    if (isClaim(change) && happens(status)) {
      const original = change.from ?? observed.originals?.[change.path] ?? null;
      if (original !== null && !owned.has(change.path)) owned.set(change.path, { original });
    } else if (isUndo(change) && status === 'applied') owned.delete(change.path);
  }
  return Object.fromEntries(owned);
}
