import { parseConfig } from '../../src/config/load.js';
import type { Change } from '../../src/objects/registry.js';
import { emptyOwned } from '../../src/objects/registry.js';
import type { ActualLink, ActualState } from '../../src/observe/types.js';
import { desiredState, plan } from '../../src/plan/plan.js';
import { eth0, lo } from './links.js';

// Planned changes as the planner makes them (safety facts included), for tests of what
// consumes a plan: one plan of a host with lo and eth0, ipip not loaded, for a DR VIP
// 192.0.2.10, a GUE VIP 198.51.100.7 on tunl0 and an IPv6 VIP, with the ARP guard on.

const config = parseConfig(
  [
    'arp: {guard: nftables}',
    'vips:',
    '  - 192.0.2.10',
    '  - {address: 198.51.100.7, mode: tun, encap: gue, port: 6080}',
    '  - 2001:db8::10',
    'interfaces: [eth0]',
  ].join('\n'),
  'changes',
);
const actual: ActualState = { links: [lo, eth0], routes: [], sysctls: {}, fou: null, nft: {} };

export const PLANNED: readonly Change[] = plan(desiredState(config, actual.links), actual, emptyOwned());

// The planned change of that kind and target.
export function planned(kind: Change['kind'], target: string): Change {
  const change = PLANNED.find((c) => c.kind === kind && c.target === target);
  if (!change)
    throw new Error(`no planned ${kind} ${target} in: ${PLANNED.map((c) => `${c.kind} ${c.target}`).join(', ')}`);
  return change;
}

// An IPv4 conf sysctl set (all, default, lo, eth0, tunl0; rp_filter on all and tunl0).
export const sysctl = (dev: string, name: string): Change => planned('sysctl', `net.ipv4.conf.${dev}.${name}`);

// The VIP 192.0.2.10 added on lo, and its host route.
export const address = planned('address', '192.0.2.10/32 dev lo');
export const route = planned('route', '192.0.2.10/32 dev lo');

// The TUN VIP on tunl0, its route, the device up, its GUE listener.
export const tunAddress = planned('address', '198.51.100.7/32 dev tunl0');
export const tunRoute = planned('route', '198.51.100.7/32 dev tunl0');
export const tunl0Up = planned('link', 'tunl0');
export const listener = planned('fou', 'port 6080 gue');

// ipip loaded, creating tunl0; fou for the listener.
export const ipipModule = planned('module', 'ipip');
export const fouModule = planned('module', 'fou');

// The ARP guard loaded.
export const guard = planned('nft', 'table arp rs_agent');

// The IPv6 VIP added on lo.
export const address6 = planned('address', '2001:db8::10/128 dev lo');
