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
