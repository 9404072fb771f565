import type { Family } from '../config/address.js';
import { DEFAULT_TUNNELS, type Config, type Encap, type VipConfig } from '../config/types.js';
import type { ActualLink } from '../observe/types.js';
import { findLink } from './find-link.js';
import type { DesiredModule, Problem } from './types.js';

// The modules whose fallback devices receive every tunnelled packet that no more
// specific tunnel claims: tunl0 (IPv4-in-IPv4), ip6tnl0 (IPv6-in-IPv6), gre0 and
// ip6gre0 (GRE). ip_gre also creates gretap0 and erspan0, which carry nothing here.
export const TUNNEL_V4 = { name: 'ipip', device: DEFAULT_TUNNELS.ipv4 } as const;
export const TUNNEL_V6 = { name: 'ip6_tunnel', device: DEFAULT_TUNNELS.ipv6 } as const;
export const GRE_V4 = { name: 'ip_gre', device: 'gre0' } as const;
export const GRE_V6 = { name: 'ip6_gre', device: 'ip6gre0' } as const;

// The device a TUN VIP's decapsulated packets arrive on: IPIP and GUE (whose UDP
// payload is the same IP-in-IP packet, handed to the ipip/ip6_tunnel receive path by
// fou) arrive on the IP tunnel device, GRE on the GRE one.
export type Carrier = 'ip' | 'gre';

export function carrierOf(vip: Pick<VipConfig, 'encap'>): Carrier {
  return vip.encap === 'gre' ? 'gre' : 'ip';
}

const KINDS = {
  ip: {
    4: { key: 'ipv4', fallback: TUNNEL_V4, linkType: 'ipip', ipType: 'ipip' },
    6: { key: 'ipv6', fallback: TUNNEL_V6, linkType: 'tunnel6', ipType: 'ip6tnl' },
  },
  gre: {
    4: { key: null, fallback: GRE_V4, linkType: 'gre', ipType: 'gre' },
    6: { key: null, fallback: GRE_V6, linkType: 'gre6', ipType: 'ip6gre' },
  },
} as const;

export interface Tunnel {
  family: Family;
  carrier: Carrier;
  device: string;
  module: DesiredModule | null; // loaded when its device is absent
}

// The receiving devices a config's TUN VIPs need, by family and carrier, named as
// the config names them (no host involved): what `install` loads at boot, and what
// resolveTunnels checks against the host.
export function tunnelNeeds(
  config: Config,
): { family: Family; carrier: Carrier; name: string; fallback: { name: string; device: string }; vips: string[] }[] {
  const needs = [];
  for (const carrier of ['ip', 'gre'] as const) {
    for (const family of [4, 6] as const) {
      const vips = config.vips
        .filter((v) => v.mode === 'tun' && v.family === family && carrierOf(v) === carrier)
        .map((v) => v.address);
      if (vips.length === 0) continue;
      const kind = KINDS[carrier][family];
      const name = kind.key ? config.tunnel[kind.key] : kind.fallback.device;
      needs.push({ family, carrier, name, fallback: kind.fallback, vips });
    }
  }
  return needs;
}

// The tunnel device of each family and carrier that has TUN VIPs. A fallback device
// comes with its module; a named one (IPIP and GUE only) must already exist and be a
// tunnel of the right kind: rs-agent brings tunnel devices up but does not create or
// delete them (a named receive-any tunnel is either the one `external` device a
// namespace may have, or one bound to a local address rs-agent does not know). A named
// device that is missing or of another kind is a problem for its own TUN VIPs alone.
export function resolveTunnels(
  config: Config,
  links: readonly ActualLink[],
): { usable: Tunnel[]; problems: Problem[] } {
  const usable: Tunnel[] = [];
  const problems: Problem[] = [];
  for (const { family, carrier, name, vips } of tunnelNeeds(config)) {
    const kind = KINDS[carrier][family];
    const link = findLink(links, name);
    const problem = (detail: string) =>
      problems.push({
        item: `link ${name}`,
        message:
          `config ${config.source}: ${kind.key ? `tunnel.${kind.key}` : 'encap gre'}: "${name}": ${detail}; ` +
          `not placed: ${vips.join(', ')} (everything else is in place)`,
      });
    if (link && link.linkType !== kind.linkType) {
      problem(
        `is a device of type ${link.linkType}, not ${/^[aeiou]/.test(kind.ipType) ? 'an' : 'a'} ${kind.ipType} tunnel`,
      );
    } else if (name === kind.fallback.device) {
      usable.push({ family, carrier, device: name, module: { ...kind.fallback } });
    } else if (!link) {
      problem(
        `no such device; rs-agent creates only the fallback ${kind.fallback.device} (module ${kind.fallback.name}): ` +
          `create it first, e.g. "ip link add ${name} type ${kind.ipType} external"`,
      );
    } else {
      usable.push({ family, carrier, device: link.name, module: null });
    }
  }
  return { usable, problems };
}

// Bytes the director's encapsulation adds to every packet it forwards to this server,
// by encap and the family of the outer header (the VIP's: IPVS tunnels IPv4 services
// over IPv4 and IPv6 ones over IPv6): outer IP header (20 / 40), plus GRE's 4-byte base
// header, or UDP's 8 and GUE's 4. IPVS's default tunnel flags add no checksum or key
// fields. What a SYN-ACK's MSS must leave room for on a path whose MTU is the NIC's.
export const ENCAP_OVERHEAD: Record<Encap, Record<Family, number>> = {
  ipip: { 4: 20, 6: 40 },
  gre: { 4: 24, 6: 44 },
  gue: { 4: 32, 6: 52 },
};

// A VIP's overhead: 0 for DR (the director only rewrites the MAC).
export function encapOverhead(vip: Pick<VipConfig, 'mode' | 'family' | 'encap'>): number {
  return vip.mode === 'tun' ? ENCAP_OVERHEAD[vip.encap ?? 'ipip'][vip.family] : 0;
}
