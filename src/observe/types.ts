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
  mtu?: number; // absent when ip did not print it
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

// A fou listener as `ip -json fou show` lists it: GUE, or a bare protocol (ipproto N).
export interface ActualFou {
  port: number;
  family: Family;
  kind: string; // "gue" or "ipproto 4"
}

// What the kernel says, read fresh at the start of every pass.
export interface ActualState {
  links: ActualLink[];
  routes: ActualRoute[]; // main table
  // The main table's default routes' gateways (IPv6 ones read only with the IPv6 routes);
  // absent: not read.
  gateways?: string[];
  sysctls: Record<string, string | null>; // by sysctl path; null: no such file
  // Read only when GUE is configured or owned. null: the fou module is not loaded (so
  // there is no listener); undefined: not read this pass.
  fou?: ActualFou[] | null;
  // rs-agent's nftables tables that were looked at, by "family name".
  nft?: Record<string, ActualNftTable>;
}

export interface ActualNftTable {
  available: boolean; // nft runs and the kernel has nf_tables for the table's family
  reason?: string; // why not, when unavailable
  missing?: boolean; // unavailable because nft or nf_tables is not there (not: nft failed)
  table: NftTableState | null; // null: no such table
}

// A table of rs-agent's as read back. intact: exactly as rs-agent loads it (holds lists
// what it holds, in its spec's terms); flushed: its chains are there without rules;
// altered: anything else. counts: what its counters say, by what they count (the ARP
// guard: input, output; the traffic table: "ADDRESS PORT"), where its spec reads them.
export interface NftTableState {
  state: 'intact' | 'flushed' | 'altered';
  holds: string[];
  counts?: Record<string, number>;
}
