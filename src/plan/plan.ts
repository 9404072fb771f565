import type { Config } from '../config/types.js';
import type { ChangeBase, KeptProtection, Problem } from '../model/change.js';
import { exposedAfter } from '../model/exposure.js';
import type { HostAddress } from '../model/host.js';
import { lifelines, unresolvedProblems, type StoreEndpoint } from '../model/lifelines.js';
import type { Placement } from '../model/placement.js';
import type { PlanContext } from '../objects/kind.js';
import { eachKind, type Change, type Owned } from '../objects/registry.js';
import type { DesiredSysctl } from '../objects/sysctl.js';
import type { ActualLink, ActualState } from '../observe/types.js';
import { orderChanges } from './order.js';
import { NOWHERE, placement } from './placement.js';

// The desired state, fully resolved: where everything goes, and each kind's part of it.
export interface DesiredState {
  placement: Placement;
  parts: Record<string, unknown>; // by kind
}

// What the host depends on beyond its links: its default routes' gateways and its
// store's endpoints (store/endpoint-addresses.ts resolves them).
export interface Reliances {
  gateways?: readonly string[];
  store?: readonly StoreEndpoint[];
}

// With config null, nothing is desired (stop); the lifelines still keep the ARP guard
// off the host's own addresses while it stays for others' VIPs.
export function desiredState(
  config: Config | null,
  links: readonly ActualLink[],
  reliances: Reliances = {},
): DesiredState {
  const lines = lifelines(links, reliances.gateways, reliances.store);
  const where = config === null ? { ...NOWHERE, problems: [], lifelines: lines } : placement(config, links, lines);
  where.problems.push(...unresolvedProblems(reliances.store ?? []));
  return { placement: where, parts: Object.fromEntries(eachKind().map((k) => [k.kind, k.desire(where)])) };
}

// Nothing desired: the state `stop` converges to.
export const NOTHING: DesiredState = desiredState(null, []);

export interface FullPlan {
  changes: Change[];
  kept: KeptProtection[]; // protection left in force for addresses that still need it
  problems: Problem[]; // what cannot be put in place now: the placement's and each kind's
}

// desired × actual × what rs-agent owns → the ordered changes that converge the host.
// Pure: no I/O, no clock. An empty plan means the host is in sync.
export function plan(desired: DesiredState, actual: ActualState, owned: Owned): Change[] {
  return planFull(desired, actual, owned).changes;
}

// The plan, what it keeps protected and what it cannot do. Protection is lowered only
// when no VIP-like address remains once the plan's own deletions are done.
export function planFull(desired: DesiredState, actual: ActualState, owned: Owned): FullPlan {
  const ctx: PlanContext = {
    actual,
    placement: desired.placement,
    exposed: exposedAfter(
      actual.links,
      owned.address,
      desired.parts.address as HostAddress[],
      desired.placement.lifelines,
    ),
  };
  const changes: ChangeBase[] = [];
  const kept: KeptProtection[] = [];
  const problems: Problem[] = [...desired.placement.problems];
  for (const kind of eachKind()) {
    const part = kind.plan(desired.parts[kind.kind], (owned as Record<string, unknown>)[kind.kind], ctx);
    changes.push(...part.changes);
    kept.push(...(part.kept ?? []));
    problems.push(...(part.problems ?? []));
  }
  return { changes: orderChanges(changes) as Change[], kept, problems };
}

// The sysctl files a pass must read: the desired ones and the ones it must restore.
export function sysctlPathsToRead(desired: DesiredState, owned: Owned): string[] {
  const wanted = (desired.parts.sysctl as DesiredSysctl[]).map((s) => s.path);
  return [...new Set([...wanted, ...Object.keys(owned.sysctl)])];
}
