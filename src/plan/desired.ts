import type { Config } from '../config/types.js';
import type { ActualLink } from '../observe/types.js';
import { findLink } from './find-link.js';
import { confPath } from './sysctl.js';
import { resolveTunnels } from './tunnel.js';
import type { DesiredState, DesiredSysctl, Problem } from './types.js';

// The NICs that get ARP suppression: the configured ones present now, or every
// ethernet device. A configured NIC that is not there (a VLAN or bond being rebuilt, a
// hot-unplugged card) is a problem to report, not a reason to stop guarding the others:
// its sysctls are set by the pass the kernel's link event triggers when it appears
// (and `default`, which rs-agent also sets, is copied into it at creation).
export function resolveInterfaces(config: Config, links: readonly ActualLink[]): { nics: string[]; problems: Problem[] } {
  if (config.interfaces === null) {
    return { nics: links.filter((l) => l.linkType === 'ether').map((l) => l.name), problems: [] };
  }
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
      message: `config ${config.source}: interfaces[${i}]: "${name}": no such network interface on this host; ` +
        'everything else is in place, and its ARP sysctls are set as soon as it appears',
    });
  });
  return { nics, problems };
}

// Config × the host's links → every kernel object rs-agent wants. Pure.
export function desiredState(config: Config, links: readonly ActualLink[]): DesiredState {
  const { nics, problems } = resolveInterfaces(config, links);
  const tunnels = resolveTunnels(config, links);
  problems.push(...tunnels.problems);
  const tunnelOf = (family: 4 | 6) => tunnels.usable.find((t) => t.family === family)?.device ?? null;
  const sysctls = desiredSysctls(config, nics, tunnelOf(4));
  // A TUN VIP whose tunnel device is unusable has nowhere to go: it is left out (the
  // problem names it); every other VIP is still put in place.
  const hosts = config.vips.flatMap((vip) => {
    const dev = vip.mode === 'tun' ? tunnelOf(vip.family) : 'lo';
    if (dev === null) return [];
    return [{ address: vip.address, prefixlen: vip.family === 4 ? 32 : 128, family: vip.family, dev }];
  });
  return {
    modules: tunnels.usable.flatMap((t) => (t.module ? [t.module] : [])),
    links: tunnels.usable.map((t) => t.device),
    sysctls,
    addresses: hosts,
    routes: hosts.map((h) => ({ dst: h.address, prefixlen: h.prefixlen, family: h.family, dev: h.dev })),
    problems,
    arpGuard: config.arp.guard,
  };
}

// The sysctls a config implies, given its NICs and its IPv4 tunnel device (null: no
// IPv4 TUN VIP). `start` sets them; `install` writes the same ones for boot.
export function desiredSysctls(config: Config, nics: readonly string[], tunnel4: string | null): DesiredSysctl[] {
  const sysctls: DesiredSysctl[] = [];
  // ARP is IPv4 only: IPv6 neighbour discovery answers only for addresses on the
  // receiving interface, so IPv6 VIPs need no sysctl and a v6-only config sets none.
  if (config.vips.some((v) => v.family === 4)) {
    for (const dev of ['all', 'default', 'lo', ...nics, ...(tunnel4 ? [tunnel4] : [])]) {
      sysctls.push({ path: confPath(4, dev, 'arp_ignore'), value: String(config.arp.ignore) });
      sysctls.push({ path: confPath(4, dev, 'arp_announce'), value: String(config.arp.announce) });
    }
  }
  if (tunnel4) {
    // The kernel applies max(all, dev): both must be 0 for decapsulated packets,
    // whose source (the client) is not routed via the tunnel, to pass. IPv6 has no
    // rp_filter sysctl; ip6tnl0 only has to be up.
    sysctls.push({ path: confPath(4, 'all', 'rp_filter'), value: '0' });
    sysctls.push({ path: confPath(4, tunnel4, 'rp_filter'), value: '0' });
  }
  return sysctls;
}

// Nothing desired: the state `stop` converges to.
export const NOTHING: DesiredState = { modules: [], links: [], sysctls: [], addresses: [], routes: [], problems: [], arpGuard: 'none' };
