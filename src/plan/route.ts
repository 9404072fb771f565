import type { ActualRoute } from '../observe/types.js';
import { diffOwned } from './set-diff.js';
import type { HostRoute, RouteChange } from './types.js';

export function routeKey(r: HostRoute): string {
  return `${r.dst}/${r.prefixlen} dev ${r.dev}`;
}

// Adds missing host routes; deletes owned routes no longer desired.
export function routePlan(desired: HostRoute[], actual: readonly ActualRoute[], owned: HostRoute[]): RouteChange[] {
  const { add, remove } = diffOwned(desired, actual, owned, routeKey);
  return [
    ...remove.map((r): RouteChange => ({
      kind: 'route',
      action: 'delete',
      target: routeKey(r),
      from: 'present',
      to: 'absent',
      ...pick(r),
    })),
    ...add.map((r): RouteChange => ({
      kind: 'route',
      action: 'add',
      target: routeKey(r),
      from: 'absent',
      to: 'present',
      ...pick(r),
    })),
  ];
}

function pick(r: HostRoute): HostRoute {
  return { dst: r.dst, prefixlen: r.prefixlen, family: r.family, dev: r.dev };
}
