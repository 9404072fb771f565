import type { Family } from '../config/address.js';
import { DEFAULT_TUNNELS } from '../config/types.js';

// Which devices are which, as the kernel types them (`ip -json` link_type). One
// definition for the planner, the guard, stop's report of unrecorded VIPs and the MSS
// clamp's egress device.

// The tunnel devices a VIP can live on: IPv4-in-IPv4 (tunl0 and named ipip devices),
// IPv6-in-IPv6 (ip6tnl0), GRE (gre0, ip6gre0), and sit, where someone else may keep one.
const TUNNEL_LINK_TYPES = new Set(['ipip', 'tunnel6', 'gre', 'gre6', 'sit']);

// ip_gre's other fallback devices: ethernet-typed, but tunnel endpoints that carry no
// traffic here and never face the LAN.
const ETHERNET_TUNNEL_FALLBACKS = new Set(['gretap0', 'erspan0']);

export interface LinkLike {
  name: string;
  linkType: string;
}

// Where VIPs live: the loopback and the tunnel devices. An address there serves traffic
// the host must never claim on the wire.
export function isVipHome(link: LinkLike): boolean {
  return link.name === 'lo' || link.linkType === 'loopback' || TUNNEL_LINK_TYPES.has(link.linkType);
}

export function isTunnel(link: LinkLike): boolean {
  return TUNNEL_LINK_TYPES.has(link.linkType);
}

// A NIC that rs-agent guards when the config names none: every ethernet device that
// is not a tunnel's fallback.
export function isGuardedNic(link: LinkLike): boolean {
  return link.linkType === 'ether' && !ETHERNET_TUNNEL_FALLBACKS.has(link.name);
}

// A device the director's packets can arrive on (for the MSS clamp's egress MTU): not
// a VIP home, not a tunnel fallback, not a device without a link layer type.
export function canFaceDirector(link: LinkLike): boolean {
  return !isVipHome(link) && link.linkType !== 'none' && !ETHERNET_TUNNEL_FALLBACKS.has(link.name);
}

// The device a TUN VIP's decapsulated packets arrive on: IPIP and GUE (whose UDP
// payload is the same IP-in-IP packet, handed to the ipip/ip6_tunnel receive path by
// fou) arrive on the IP tunnel device, GRE on the GRE one.
export type Carrier = 'ip' | 'gre';

export interface TunnelKind {
  key: 'ipv4' | 'ipv6' | null; // the config's tunnel.<key> names the device; null: always the fallback
  module: string; // creates the fallback device
  fallback: string; // the fallback device: receives every tunnelled packet no other tunnel claims
  linkType: string; // as ip -json prints the device's link_type
  ipType: string; // as `ip link add … type` names it
}

export const TUNNEL_KINDS: Record<Carrier, Record<Family, TunnelKind>> = {
  ip: {
    4: { key: 'ipv4', module: 'ipip', fallback: DEFAULT_TUNNELS.ipv4, linkType: 'ipip', ipType: 'ipip' },
    6: { key: 'ipv6', module: 'ip6_tunnel', fallback: DEFAULT_TUNNELS.ipv6, linkType: 'tunnel6', ipType: 'ip6tnl' },
  },
  gre: {
    4: { key: null, module: 'ip_gre', fallback: 'gre0', linkType: 'gre', ipType: 'gre' },
    6: { key: null, module: 'ip6_gre', fallback: 'ip6gre0', linkType: 'gre6', ipType: 'ip6gre' },
  },
};

// The devices each tunnel module creates when loaded.
export function devicesOfModule(module: string): string[] {
  if (module === 'ip_gre') return ['gre0', 'gretap0', 'erspan0'];
  for (const carrier of Object.values(TUNNEL_KINDS))
    for (const kind of Object.values(carrier)) if (kind.module === module) return [kind.fallback];
  return [];
}

// fou takes GUE apart for both families; it creates no device and is loaded when its
// generic netlink family answers (ip fou show).
export const FOU_MODULE = 'fou';
