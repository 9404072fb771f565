import type { Config } from '../config/types.js';
import { AgentError } from '../errors.js';
import type { ActualLink } from '../observe/types.js';
import { confPath } from './sysctl.js';
import { resolveTunnels } from './tunnel.js';
import type { DesiredState, DesiredSysctl } from './types.js';

// The NICs that get ARP suppression: the configured ones, or every ethernet device.
export function resolveInterfaces(config: Config, links: readonly ActualLink[]): string[] {
  if (config.interfaces === null) {
    return links.filter((l) => l.linkType === 'ether').map((l) => l.name);
  }
  const names = new Set(links.map((l) => l.name));
  config.interfaces.forEach((name, i) => {
    if (!names.has(name)) {
      throw new AgentError(`config ${config.source}: interfaces[${i}]: "${name}": no such network interface on this host`);
    }
  });
  return config.interfaces;
}

// Config × the host's links → every kernel object rs-agent wants. Pure.
export function desiredState(config: Config, links: readonly ActualLink[]): DesiredState {
  const nics = resolveInterfaces(config, links);
  const tunnels = resolveTunnels(config, links);
  const sysctls = desiredSysctls(config, nics, tunnels.find((t) => t.family === 4)?.device ?? null);
  const hosts = config.vips.map((vip) => ({
    address: vip.address,
    prefixlen: vip.family === 4 ? 32 : 128,
    family: vip.family,
    dev: vip.mode === 'tun' ? (tunnels.find((t) => t.family === vip.family)?.device as string) : 'lo',
  }));
  return {
    modules: tunnels.flatMap((t) => (t.module ? [t.module] : [])),
    links: tunnels.map((t) => t.device),
    sysctls,
    addresses: hosts,
    routes: hosts.map((h) => ({ dst: h.address, prefixlen: h.prefixlen, family: h.family, dev: h.dev })),
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
export const NOTHING: DesiredState = { modules: [], links: [], sysctls: [], addresses: [], routes: [], arpGuard: 'none' };
