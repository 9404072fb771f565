import type { Family } from './address.js';

export type Mode = 'dr' | 'tun';

export interface VipConfig {
  address: string; // canonical text, no prefix
  family: Family;
  mode: Mode;
}

// A validated configuration: every field present, defaults filled in.
export interface Config {
  source: string; // where it was read from, for messages
  mode: Mode;
  vips: VipConfig[];
  interfaces: string[] | null; // null: every ethernet NIC
  arp: { ignore: number; announce: number };
  tunnel: { ipv4: string; ipv6: string }; // devices that carry TUN VIPs, per family
}

// The fallback devices of the ipip and ip6_tunnel modules: each receives every
// tunnelled packet that no more specific tunnel claims.
export const DEFAULT_TUNNELS = { ipv4: 'tunl0', ipv6: 'ip6tnl0' } as const;

export const DEFAULT_CONFIG_PATH = '/etc/rs-agent/rs-agent.yaml';
