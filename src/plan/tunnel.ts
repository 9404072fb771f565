import type { Family } from '../config/address.js';
import { DEFAULT_TUNNELS, type Config } from '../config/types.js';
import { AgentError } from '../errors.js';
import type { ActualLink } from '../observe/types.js';
import type { DesiredModule } from './types.js';

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
// one bound to a local address rs-agent does not know).
export function resolveTunnels(config: Config, links: readonly ActualLink[]): Tunnel[] {
  const families = new Set(config.vips.filter((v) => v.mode === 'tun').map((v) => v.family));
  return ([4, 6] as const).filter((f) => families.has(f)).map((family) => {
    const kind = KINDS[family];
    const device = config.tunnel[kind.key];
    const link = links.find((l) => l.name === device);
    const fail = (detail: string): never => {
      throw new AgentError(`config ${config.source}: tunnel.${kind.key}: "${device}": ${detail}`);
    };
    if (link && link.linkType !== kind.linkType) {
      fail(`is a device of type ${link.linkType}, not an ${kind.ipType} tunnel`);
    }
    if (device === kind.fallback.device) return { family, device, module: { ...kind.fallback } };
    if (!link) {
      fail(`no such device; rs-agent creates only the fallback ${kind.fallback.device} (module ${kind.fallback.name}): ` +
        `create it first, e.g. "ip link add ${device} type ${kind.ipType} external"`);
    }
    return { family, device, module: null };
  });
}
