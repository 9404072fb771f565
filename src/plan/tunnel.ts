import type { Family } from '../config/address.js';
import { DEFAULT_TUNNELS, type Config } from '../config/types.js';
import type { ActualLink } from '../observe/types.js';
import { findLink } from './find-link.js';
import type { DesiredModule, Problem } from './types.js';

// The modules whose fallback devices receive every tunnelled packet that no more
// specific tunnel claims: tunl0 (IPv4-in-IPv4), ip6tnl0 (IPv6-in-IPv6).
export const TUNNEL_V4 = { name: 'ipip', device: DEFAULT_TUNNELS.ipv4 } as const;
export const TUNNEL_V6 = { name: 'ip6_tunnel', device: DEFAULT_TUNNELS.ipv6 } as const;

const KINDS = {
  4: { key: 'ipv4', fallback: TUNNEL_V4, linkType: 'ipip', ipType: 'ipip' },
  6: { key: 'ipv6', fallback: TUNNEL_V6, linkType: 'tunnel6', ipType: 'ip6tnl' },
} as const;

export interface Tunnel {
  family: Family;
  device: string;
  module: DesiredModule | null; // loaded when its device is absent
}

// The tunnel device of each family that has TUN VIPs. A fallback device comes with
// its module; a named one must already exist and be a tunnel of the right kind:
// rs-agent brings tunnel devices up but does not create or delete them (a named
// receive-any tunnel is either the one `external` device a namespace may have, or
// one bound to a local address rs-agent does not know). A named device that is
// missing or of another kind is a problem for that family's TUN VIPs alone.
export function resolveTunnels(config: Config, links: readonly ActualLink[]): { usable: Tunnel[]; problems: Problem[] } {
  const families = new Set(config.vips.filter((v) => v.mode === 'tun').map((v) => v.family));
  const usable: Tunnel[] = [];
  const problems: Problem[] = [];
  for (const family of ([4, 6] as const).filter((f) => families.has(f))) {
    const kind = KINDS[family];
    const name = config.tunnel[kind.key];
    const link = findLink(links, name);
    const vips = config.vips.filter((v) => v.mode === 'tun' && v.family === family).map((v) => v.address);
    const problem = (detail: string) => problems.push({
      item: `link ${name}`,
      message: `config ${config.source}: tunnel.${kind.key}: "${name}": ${detail}; ` +
        `not placed: ${vips.join(', ')} (everything else is in place)`,
    });
    if (link && link.linkType !== kind.linkType) {
      problem(`is a device of type ${link.linkType}, not an ${kind.ipType} tunnel`);
    } else if (name === kind.fallback.device) {
      usable.push({ family, device: name, module: { ...kind.fallback } });
    } else if (!link) {
      problem(`no such device; rs-agent creates only the fallback ${kind.fallback.device} (module ${kind.fallback.name}): ` +
        `create it first, e.g. "ip link add ${name} type ${kind.ipType} external"`);
    } else {
      usable.push({ family, device: link.name, module: null });
    }
  }
  return { usable, problems };
}
