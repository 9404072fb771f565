import type { Family } from '../config/address.js';
import type { Config } from '../config/types.js';
import type { Problem } from '../model/change.js';
import { isGuardedNic, TUNNEL_KINDS, type Carrier } from '../model/devices.js';
import { hostPrefix } from '../model/host.js';
import { describeRefusal, lifelines, type Lifeline } from '../model/lifelines.js';
import type { Placement, Tunnel } from '../model/placement.js';
import type { ActualLink } from '../observe/types.js';

// Config × the host's links → where everything goes (model/placement.ts). Pure.

export function carrierOf(vip: { encap?: string }): Carrier {
  return vip.encap === 'gre' ? 'gre' : 'ip';
}

// The device a configured name stands for: its own name or one of its altnames
// (/proc/sys knows a device only by its name, so sysctls use that).
export function findLink(links: readonly ActualLink[], name: string): ActualLink | undefined {
  return links.find((l) => l.name === name) ?? links.find((l) => l.altnames?.includes(name));
}

// The NICs that get ARP suppression: the configured ones present now, or every
// ethernet device. A configured NIC that is not there (a VLAN or bond being rebuilt, a
// hot-unplugged card) is a problem to report, not a reason to stop guarding the others:
// its sysctls are set by the pass the kernel's link event triggers when it appears
// (and `default`, which rs-agent also sets, is copied into it at creation).
export function resolveInterfaces(
  config: Config,
  links: readonly ActualLink[],
): { nics: string[]; problems: Problem[] } {
  if (config.interfaces === null) return { nics: links.filter(isGuardedNic).map((l) => l.name), problems: [] };
  const nics: string[] = [];
  const problems: Problem[] = [];
  config.interfaces.forEach((name, i) => {
    const link = findLink(links, name);
    if (link) {
      if (!nics.includes(link.name)) nics.push(link.name);
      return;
    }
    problems.push({
      item: `interface ${name}`,
      message:
        `config ${config.file}: interfaces[${i}]: "${name}": no such network interface on this host; ` +
        'everything else is in place, and its ARP sysctls are set as soon as it appears',
    });
  });
  return { nics, problems };
}

export interface TunnelNeed {
  family: Family;
  carrier: Carrier;
  name: string; // as the config names the device
  vips: string[];
}

// The receiving devices a config's TUN VIPs need, by family and carrier, named as the
// config names them (no host involved): what `install` loads at boot, and what
// resolveTunnels checks against the host.
export function tunnelNeeds(config: Config): TunnelNeed[] {
  const needs: TunnelNeed[] = [];
  for (const carrier of ['ip', 'gre'] as const) {
    for (const family of [4, 6] as const) {
      const vips = config.vips
        .filter((v) => v.mode === 'tun' && v.family === family && carrierOf(v) === carrier)
        .map((v) => v.address);
      if (vips.length === 0) continue;
      const kind = TUNNEL_KINDS[carrier][family];
      const name = kind.key ? config.tunnel[kind.key] : kind.fallback;
      needs.push({ family, carrier, name, vips });
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
    const kind = TUNNEL_KINDS[carrier][family];
    const link = findLink(links, name);
    const problem = (detail: string) =>
      problems.push({
        item: `link ${name}`,
        message:
          `config ${config.file}: ${kind.key ? `tunnel.${kind.key}` : 'encap gre'}: "${name}": ${detail}; ` +
          `not placed: ${vips.join(', ')} (everything else is in place)`,
      });
    if (link && link.linkType !== kind.linkType) {
      problem(
        `is a device of type ${link.linkType}, not ${/^[aeiou]/.test(kind.ipType) ? 'an' : 'a'} ${kind.ipType} tunnel`,
      );
    } else if (name === kind.fallback) {
      usable.push({ family, carrier, device: name, module: kind.module });
    } else if (!link) {
      problem(
        `no such device; rs-agent creates only the fallback ${kind.fallback} (module ${kind.module}): ` +
          `create it first, e.g. "ip link add ${name} type ${kind.ipType} external"`,
      );
    } else {
      usable.push({ family, carrier, device: link.name, module: null });
    }
  }
  return { usable, problems };
}

// Where each VIP goes. A TUN VIP whose tunnel device is unusable has nowhere to go: it
// is left out (the problem names it); every other VIP is still put in place. A VIP that
// is one of the host's lifelines (its NICs' addresses, its gateway, its store: see
// model/lifelines.ts) is refused, whatever named it: the problem says which and why, and
// being placed nowhere it is never added, recorded or guarded, and one rs-agent added
// before is removed. `lines` defaults to the NICs' addresses alone.
export function placement(
  config: Config,
  links: readonly ActualLink[],
  lines: ReadonlyMap<string, Lifeline> = lifelines(links),
): Placement {
  const { nics, problems } = resolveInterfaces(config, links);
  const tunnels = resolveTunnels(config, links);
  problems.push(...tunnels.problems);
  const tunnelOf = (family: Family, carrier: Carrier) =>
    tunnels.usable.find((t) => t.family === family && t.carrier === carrier)?.device ?? null;
  const vips = config.vips.flatMap((vip) => {
    const line = lines.get(vip.address);
    if (line) {
      problems.push({ item: `VIP ${vip.address}`, message: describeRefusal(vip.address, line) });
      return [];
    }
    const dev = vip.mode === 'tun' ? tunnelOf(vip.family, carrierOf(vip)) : 'lo';
    if (dev === null) return [];
    return [{ ...vip, prefixlen: hostPrefix(vip.family), dev }];
  });
  return {
    vips,
    nics,
    tunnels: tunnels.usable,
    arp: { ignore: config.arp.ignore, announce: config.arp.announce, guard: config.arp.guard },
    mss: config.tunnel.mss,
    problems,
    lifelines: lines,
  };
}

// Nothing desired: the placement `stop` converges to.
export const NOWHERE: Placement = {
  vips: [],
  nics: [],
  tunnels: [],
  arp: { ignore: 0, announce: 0, guard: 'none' },
  mss: null,
  problems: [],
  lifelines: new Map(),
};
