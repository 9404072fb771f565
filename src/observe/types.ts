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
  sysctls: Record<string, string | null>; // by sysctl path; null: no such file
  // Read only when GUE is configured or owned. null: the fou module is not loaded (so
  // there is no listener); undefined: not read this pass.
  fou?: ActualFou[] | null;
  nft?: ActualNft; // rs-agent's nftables table; absent when not looked at
  mss?: ActualMss; // rs-agent's MSS clamp table (inet); absent when not looked at
}

export interface ActualMss {
  available: boolean; // nft runs and the kernel has nf_tables
  reason?: string; // why not, when unavailable
  table: MssTable | null; // null: no such table
}

export interface MssTable {
  // intact: one output chain and only rules as rs-agent writes them; flushed: the
  // chain is there without rules; altered: anything else.
  state: 'intact' | 'flushed' | 'altered';
  clamps: { address: string; family: Family; mss: number }[]; // what the intact rules clamp
}

export interface ActualNft {
  available: boolean; // nft runs and the kernel has nf_tables with the arp family
  reason?: string; // why not, when unavailable
  table: NftTable | null; // null: no such table
}

export interface NftTable {
  elements: string[]; // the VIP set, normalised ("192.0.2.10", "10.0.0.0/24"), sorted
  intact: boolean; // chains and rules exactly as rs-agent loads them
}
