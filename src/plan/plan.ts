import type { ActualState } from '../observe/types.js';
import type { Owned } from '../state/types.js';
import { addressPlan } from './address.js';
import { fouPlan } from './fou.js';
import { linkPlan } from './link.js';
import { modulePlan } from './module.js';
import { orderChanges } from './order.js';
import { routePlan } from './route.js';
import { sysctlPlan } from './sysctl.js';
import type { Change, DesiredState } from './types.js';

// desired × actual × what rs-agent owns → the ordered changes that converge the host.
// Pure: no I/O, no clock. An empty plan means the host is in sync.
export function plan(desired: DesiredState, actual: ActualState, owned: Owned): Change[] {
  return orderChanges([
    ...modulePlan(desired.modules, actual),
    ...fouPlan(desired.fou, actual.fou, owned.fou),
    ...sysctlPlan(desired.sysctls, actual.sysctls, owned.sysctls),
    ...linkPlan(desired.links, actual.links, owned.links),
    ...addressPlan(desired.addresses, actual.links, owned.addresses),
    ...routePlan(desired.routes, actual.routes, owned.routes),
  ]);
}

// The sysctl files a pass must read: the desired ones and the ones it must restore.
export function sysctlPathsToRead(desired: DesiredState, owned: Owned): string[] {
  return [...new Set([...desired.sysctls.map((s) => s.path), ...Object.keys(owned.sysctls)])];
}
