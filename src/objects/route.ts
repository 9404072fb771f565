import type { ChangeBase } from '../model/change.js';
import { addressKey, routeKey, type HostRoute } from '../model/host.js';
import type { Placement } from '../model/placement.js';
import { addressPlacedKey, ARP_PROTECTION, deviceKey, upKey, vipGoneKey } from '../model/safety-keys.js';
import { checkHost, token } from './host-record.js';
import type { ObjectKind, PlanContext } from './kind.js';
import { decodeList, diffOwned, listAfter } from './owned-list.js';

// A host route to each VIP on its device, in the main table (as the old init scripts'
// `route add -host`). Routes leave before their address and arrive after it.

export interface RouteChange extends ChangeBase, HostRoute {
  kind: 'route';
  action: 'add' | 'delete';
}

export interface DesiredRoute extends HostRoute {
  needs: string[];
}

function desire(placement: Placement): DesiredRoute[] {
  return placement.vips.map((v) => ({
    dst: v.address,
    prefixlen: v.prefixlen,
    family: v.family,
    dev: v.dev,
    // Its address first; on a tunnel device, the device up; and what exposing the VIP needs.
    needs: [
      addressPlacedKey(addressKey({ address: v.address, prefixlen: v.prefixlen, dev: v.dev })),
      ...(v.dev === 'lo' ? [] : [deviceKey(v.dev), upKey(v.dev)]),
      ...(v.family === 4 ? ARP_PROTECTION : []),
    ],
  }));
}

// Adds missing host routes; deletes owned routes no longer desired.
function planRoutes(desired: DesiredRoute[], owned: HostRoute[], { actual }: PlanContext) {
  const { add, remove } = diffOwned(desired, new Set(actual.routes.map(routeKey)), owned, routeKey);
  return {
    changes: [
      ...remove.map((r): RouteChange => ({
        kind: 'route',
        action: 'delete',
        target: routeKey(r),
        from: 'present',
        to: 'absent',
        ...pick(r),
        safety: { provides: [vipGoneKey(r.dev, routeKey(r))], needs: [] },
      })),
      ...add.map((r): RouteChange => ({
        kind: 'route',
        action: 'add',
        target: routeKey(r),
        from: 'absent',
        to: 'present',
        ...pick(r),
        safety: { provides: [`route:${routeKey(r)}`], needs: r.needs, exposes: true },
      })),
    ],
  };
}

function pick(r: HostRoute): HostRoute {
  return { dst: r.dst, prefixlen: r.prefixlen, family: r.family, dev: r.dev };
}

export const routeKind: ObjectKind<RouteChange, DesiredRoute[], HostRoute[]> = {
  kind: 'route',
  rank: { delete: 3, add: 6 },
  execute: {
    via: 'ip',
    line: (c) => `route ${c.action === 'delete' ? 'del' : 'add'} ${token(c.dst)}/${c.prefixlen} dev ${token(c.dev)}`,
    // Not `route add` with "File exists": the kernel says that for a route to the same
    // destination on any device, so it may be someone else's route elsewhere, which the
    // next check would report as drift for ever. It is reported as the failure it is.
    alreadyDone: (c, message) => c.action === 'delete' && /No such process/.test(message),
  },
  desire,
  plan: planRoutes,
  owned: {
    empty: () => [],
    decode: (owned) => decodeList<HostRoute>(owned.routes, 'routes', (item) => checkHost(item, 'dst')),
    encode: (routes) => ({ routes }),
    isEmpty: (routes) => routes.length === 0,
    after: (before, steps, { actual }) => {
      const present = new Set(actual.routes.map(routeKey));
      return listAfter(
        before.filter((r) => present.has(routeKey(r))),
        steps,
        routeKey,
        pick,
      );
    },
  },
  render: (c) => `${c.action === 'add' ? '+' : '-'} route ${c.target}`,
  drift: (c) => `route ${c.target}: ${c.action === 'add' ? 'missing' : 'present but no longer configured'}`,
};
