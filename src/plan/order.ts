import type { Change } from './types.js';

// The one order every pass follows. Protection first, exposure last:
// ARP sysctls and the nftables ARP guard are in force before any VIP is added, and they are restored only
// after every VIP rs-agent removes is gone. Routes leave before their address and
// arrive after it; deletes come before adds so a VIP moving between devices never
// collides with itself. An address update (an IPv6 VIP made deprecated in place)
// shares the adds' rank: it exposes nothing (it takes the VIP out of source-address
// selection), needs no sysctl (IPv6 has no ARP) and its device already holds it.
//
// A GUE listener comes right after the modules (fou must be loaded) and goes after the
// devices it feeds are down: it exposes nothing by itself (its packets still need the
// tunnel device up and a VIP to be accepted).
//
// The MSS clamp protects nothing (a TUN VIP without it still answers): it is loaded
// once the VIPs are in place and leaves with the other removals.
const RANK: Record<string, number> = {
  'module load': 0,
  'fou add': 0.5,
  'nft load': 1,
  'sysctl set': 1,
  'link up': 2,
  'route delete': 3,
  'address delete': 4,
  'address update': 5,
  'address add': 5,
  'route add': 6,
  'mss load': 6.5,
  'link down': 7,
  'mss delete': 7,
  'fou delete': 7.5,
  'sysctl restore': 8,
  'nft delete': 8,
};

export function rankOf(change: Change): number {
  const rank = RANK[`${change.kind} ${change.action}`];
  if (rank === undefined) throw new Error(`no rank for ${change.kind} ${change.action}`);
  return rank;
}

// Stable: changes of the same rank keep the order they were planned in (config order).
export function orderChanges(changes: Change[]): Change[] {
  return changes
    .map((change, i) => ({ change, i, rank: rankOf(change) }))
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .map((x) => x.change);
}
