import type { Family } from '../config/address.js';
import type { Encap, Mode } from '../config/types.js';
import type { MssConfig } from '../config/mss.js';
import type { Carrier } from './devices.js';
import type { Problem } from './change.js';
import type { Lifeline } from './lifelines.js';

// What the config means on this host: where each VIP goes, which NICs face the wire,
// which tunnel devices carry TUN VIPs. Computed once per pass (plan/placement.ts) from
// the config and the host's links; every kind of object derives its desired part from it.

export interface PlacedVip {
  address: string;
  prefixlen: number;
  family: Family;
  dev: string; // lo, or the tunnel device its packets arrive on
  mode: Mode;
  encap?: Encap; // TUN only
  port?: number; // GUE only
}

export interface Tunnel {
  family: Family;
  carrier: Carrier;
  device: string;
  module: string | null; // loaded when its device is absent; null: a named device, which must exist
}

// auto: where nft and nf_tables work; nftables: required; off: never;
// none: nothing is desired (stop), the guard stays only while something needs it.
export type ArpGuardSetting = 'auto' | 'nftables' | 'off' | 'none';

export interface Placement {
  vips: PlacedVip[]; // every VIP that has a device to go on, in the config's order
  nics: string[]; // the devices facing the wire whose ARP sysctls rs-agent sets
  tunnels: Tunnel[]; // the usable tunnel devices of the config's TUN VIPs
  arp: { ignore: number; announce: number; guard: ArpGuardSetting };
  mss: MssConfig | null; // tunnel.mss; null: nothing desired
  problems: Problem[]; // what the config asks for but this host cannot have now
  // The host's own addresses, gateways and store (model/lifelines.ts), by address: never
  // placed as a VIP, never in the ARP guard's set.
  lifelines: ReadonlyMap<string, Lifeline>;
}
