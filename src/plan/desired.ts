import type { Config } from '../config/types.js';
import type { ActualLink } from '../observe/types.js';
import { findLink } from './find-link.js';
import { desiredMss } from './mss.js';
import { confPath } from './sysctl.js';
import { carrierOf, resolveTunnels, type Carrier } from './tunnel.js';
import type { DesiredFou, DesiredState, DesiredSysctl, Problem } from './types.js';

// The NICs that get ARP suppression: the configured ones present now, or every
// ethernet device. A configured NIC that is not there (a VLAN or bond being rebuilt, a
// hot-unplugged card) is a problem to report, not a reason to stop guarding the others:
// its sysctls are set by the pass the kernel's link event triggers when it appears
// (and `default`, which rs-agent also sets, is copied into it at creation).
export function resolveInterfaces(
  config: Config,
  links: readonly ActualLink[],
): { nics: string[]; problems: Problem[] } {
  if (config.interfaces === null) {
    return {
      nics: links.filter((l) => l.linkType === 'ether' && !GRE_ETHER_FALLBACKS.has(l.name)).map((l) => l.name),
      problems: [],
    };
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
      message:
        `config ${config.source}: interfaces[${i}]: "${name}": no such network interface on this host; ` +
        'everything else is in place, and its ARP sysctls are set as soon as it appears',
    });
  });
  return { nics, problems };
}

// ip_gre's other fallback devices: ethernet-typed, but tunnel endpoints that carry no
// traffic here and never face the LAN, so they are not NICs to guard.
const GRE_ETHER_FALLBACKS = new Set(['gretap0', 'erspan0']);

// Config × the host's links → every kernel object rs-agent wants. Pure.
export function desiredState(config: Config, links: readonly ActualLink[]): DesiredState {
  const { nics, problems } = resolveInterfaces(config, links);
  const tunnels = resolveTunnels(config, links);
  problems.push(...tunnels.problems);
  const tunnelOf = (family: 4 | 6, carrier: Carrier) =>
    tunnels.usable.find((t) => t.family === family && t.carrier === carrier)?.device ?? null;
  const sysctls = desiredSysctls(
    config,
    nics,
    tunnels.usable.filter((t) => t.family === 4).map((t) => t.device),
  );
  // A TUN VIP whose tunnel device is unusable has nowhere to go: it is left out (the
  // problem names it); every other VIP is still put in place.
  const hosts = config.vips.flatMap((vip) => {
    const dev = vip.mode === 'tun' ? tunnelOf(vip.family, carrierOf(vip)) : 'lo';
    if (dev === null) return [];
    return [{ address: vip.address, prefixlen: vip.family === 4 ? 32 : 128, family: vip.family, dev }];
  });
  const fou = desiredFou(config);
  return {
    modules: [...tunnels.usable.flatMap((t) => (t.module ? [t.module] : [])), ...(fou.length > 0 ? [FOU_MODULE] : [])],
    links: tunnels.usable.map((t) => t.device),
    sysctls,
    addresses: hosts,
    routes: hosts.map((h) => ({ dst: h.address, prefixlen: h.prefixlen, family: h.family, dev: h.dev })),
    fou,
    problems,
    arpGuard: config.arp.guard,
    // A TUN VIP left out has nothing to clamp either.
    mss: desiredMss(config).flatMap((m) => {
      const host = hosts.find((h) => h.address === m.address);
      return host ? [{ ...m, dev: host.dev }] : [];
    }),
  };
}

// fou takes GUE apart for both families (its IPv6 sockets are its own; fou6 only adds
// GUE *sending* for ip6 tunnels, which a real server does not need).
export const FOU_MODULE = { name: 'fou', device: null } as const;

// One GUE listener per port and family the config's GUE VIPs use: an IPv4 listener
// does not receive GUE sent over IPv6, nor the other way round.
export function desiredFou(config: Config): DesiredFou[] {
  const fou: DesiredFou[] = [];
  for (const vip of config.vips) {
    if (vip.mode !== 'tun' || vip.encap !== 'gue' || vip.port === undefined) continue;
    const same = fou.find((f) => f.port === vip.port && f.family === vip.family);
    if (same) same.vips.push(vip.address);
    else fou.push({ port: vip.port, family: vip.family, vips: [vip.address] });
  }
  return fou;
}

// The sysctls a config implies, given its NICs and the devices its IPv4 TUN VIPs
// arrive on (tunl0 for IPIP and GUE, gre0 for GRE; none without IPv4 TUN VIPs).
// `start` sets them; `install` writes the same ones for boot.
export function desiredSysctls(config: Config, nics: readonly string[], tunnels4: readonly string[]): DesiredSysctl[] {
  const sysctls: DesiredSysctl[] = [];
  // ARP is IPv4 only: IPv6 neighbour discovery answers only for addresses on the
  // receiving interface, so IPv6 VIPs need no sysctl and a v6-only config sets none.
  if (config.vips.some((v) => v.family === 4)) {
    for (const dev of ['all', 'default', 'lo', ...nics, ...tunnels4]) {
      sysctls.push({ path: confPath(4, dev, 'arp_ignore'), value: String(config.arp.ignore) });
      sysctls.push({ path: confPath(4, dev, 'arp_announce'), value: String(config.arp.announce) });
    }
  }
  if (tunnels4.length > 0) {
    // The kernel applies max(all, dev): both must be 0 for decapsulated packets,
    // whose source (the client) is not routed via the tunnel, to pass. IPv6 has no
    // rp_filter sysctl; ip6tnl0 and ip6gre0 only have to be up.
    sysctls.push({ path: confPath(4, 'all', 'rp_filter'), value: '0' });
    for (const dev of tunnels4) sysctls.push({ path: confPath(4, dev, 'rp_filter'), value: '0' });
  }
  return sysctls;
}

// Nothing desired: the state `stop` converges to.
export const NOTHING: DesiredState = {
  modules: [],
  links: [],
  sysctls: [],
  addresses: [],
  routes: [],
  fou: [],
  problems: [],
  arpGuard: 'none',
  mss: [],
};
