import type { ActualState } from '../observe/types.js';
import type { Owned } from '../state/types.js';
import { addressPlan } from './address.js';
import { fouPlan } from './fou.js';
import { linkPlan } from './link.js';
import { modulePlan } from './module.js';
import { mssPlan, resolveMss } from './mss.js';
import { nftPlan } from './nft.js';
import { orderChanges } from './order.js';
import { routePlan } from './route.js';
import { sysctlPlan } from './sysctl.js';
import type { Change, DesiredState, KeptProtection } from './types.js';
import { vipLikeAfter } from './vip-like.js';

export interface FullPlan {
  changes: Change[];
  kept: KeptProtection[]; // protection left in force for addresses that still need it
}

// desired × actual × what rs-agent owns → the ordered changes that converge the host.
// Pure: no I/O, no clock. An empty plan means the host is in sync.
export function plan(desired: DesiredState, actual: ActualState, owned: Owned): Change[] {
  return planFull(desired, actual, owned).changes;
}

// The plan and what it keeps protected. Protection is lowered only when no VIP-like
// address remains once the plan's own deletions are done.
export function planFull(desired: DesiredState, actual: ActualState, owned: Owned): FullPlan {
  const addresses = addressPlan(desired.addresses, actual.links, owned.addresses);
  const exposed = vipLikeAfter(actual.links, addresses, desired.addresses);
  const sysctls = sysctlPlan(desired.sysctls, actual.sysctls, owned.sysctls, exposed);
  const nft = nftPlan(desired.arpGuard, actual.nft, owned.nft === true, exposed);
  return {
    changes: orderChanges([
      ...modulePlan(desired.modules, actual),
      ...fouPlan(desired.fou, actual.fou, owned.fou),
      ...sysctls.changes,
      ...nft.changes,
      ...linkPlan(desired.links, actual.links, owned.links),
      ...addresses,
      ...routePlan(desired.routes, actual.routes, owned.routes),
      ...mssPlan(resolveMss(desired.mss, actual.links, actual.routes), actual.mss, owned.mss === true),
    ]),
    kept: [...sysctls.kept, ...nft.kept],
  };
}

// The sysctl files a pass must read: the desired ones and the ones it must restore.
export function sysctlPathsToRead(desired: DesiredState, owned: Owned): string[] {
  return [...new Set([...desired.sysctls.map((s) => s.path), ...Object.keys(owned.sysctls)])];
}
