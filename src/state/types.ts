import type { FouListener, HostAddress, HostRoute } from '../plan/types.js';

export const STATE_VERSION = 1;

// What rs-agent has changed on this host and must be able to undo: the value each
// sysctl had before rs-agent first changed it, and the objects it added.
export interface Owned {
  // ifindex: the device's when the original was recorded, so the original follows
  // the device through a rename (the path names the device). Absent in files written
  // before it existed, and for all/default.
  sysctls: Record<string, { original: string; ifindex?: number }>;
  addresses: HostAddress[];
  routes: HostRoute[];
  links: string[]; // devices rs-agent brought up
  modules: string[]; // modules rs-agent loaded (kept loaded: reported only)
  nft?: boolean; // rs-agent loaded its nftables ARP guard (table arp rs_agent)
  fou: FouListener[]; // GUE listeners rs-agent added (deleted on stop)
  mss?: boolean; // rs-agent loaded its MSS clamp table (table inet rs_agent); absent in older files
}

export function emptyOwned(): Owned {
  return { sysctls: {}, addresses: [], routes: [], links: [], modules: [], fou: [] };
}

export function isEmptyOwned(owned: Owned): boolean {
  return (
    Object.keys(owned.sysctls).length === 0 &&
    owned.addresses.length === 0 &&
    owned.routes.length === 0 &&
    owned.links.length === 0 &&
    owned.nft !== true &&
    owned.mss !== true &&
    (owned.fou ?? []).length === 0
  );
}

// Whether two records say the same, key order aside: a pass rewrites the state file
// only when what it holds changes (a stop of 10000 VIPs adds nothing, and each write
// is megabytes).
export function sameOwned(a: Owned, b: Owned): boolean {
  return canonical(a) === canonical(b);
}

function canonical(owned: Owned): string {
  return JSON.stringify(owned, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}
