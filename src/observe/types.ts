import type { Family } from '../config/address.js';

export interface ActualAddress {
  address: string;
  prefixlen: number;
  family: Family;
  label?: string;
  // IPv6 only. deprecated: preferred lifetime 0, so source-address selection skips it.
  // noprefixroute: the kernel added no route of its own for it.
  deprecated?: boolean;
  noprefixroute?: boolean;
}

export interface ActualLink {
  name: string;
  ifindex?: number; // stays with the device through renames

  up: boolean; // administratively up (IFF_UP)
  linkType: string; // ether, loopback, ipip, ...
  altnames?: string[]; // other names the kernel resolves to this device (ip link property)
  addresses: ActualAddress[];
}

export interface ActualRoute {
  dst: string;
  prefixlen: number;
  family: Family;
  dev: string;
}

// What the kernel says, read fresh at the start of every pass.
export interface ActualState {
  links: ActualLink[];
  routes: ActualRoute[]; // main table
  sysctls: Record<string, string | null>; // by sysctl path; null: no such file
}
