import type { Config } from '../config/types.js';
import { AgentError } from '../errors.js';
import type { ActualLink } from '../observe/types.js';
import { confPath } from './sysctl.js';
import type { DesiredState, DesiredSysctl } from './types.js';

export const TUNNEL_V4 = { name: 'ipip', device: 'tunl0' } as const;

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
  const tun = config.vips.some((v) => v.mode === 'tun');
  const nics = resolveInterfaces(config, links);
  const arpDevices = ['all', 'default', 'lo', ...nics, ...(tun ? [TUNNEL_V4.device] : [])];
  const sysctls: DesiredSysctl[] = [];
  for (const dev of arpDevices) {
    sysctls.push({ path: confPath(4, dev, 'arp_ignore'), value: String(config.arp.ignore) });
    sysctls.push({ path: confPath(4, dev, 'arp_announce'), value: String(config.arp.announce) });
  }
  if (tun) {
    // The kernel applies max(all, dev): both must be 0 for decapsulated packets,
    // whose source (the client) is not routed via the tunnel, to pass.
    sysctls.push({ path: confPath(4, 'all', 'rp_filter'), value: '0' });
    sysctls.push({ path: confPath(4, TUNNEL_V4.device, 'rp_filter'), value: '0' });
  }
  const hosts = config.vips.map((vip) => ({
    address: vip.address,
    prefixlen: vip.family === 4 ? 32 : 128,
    family: vip.family,
    dev: vip.mode === 'tun' ? TUNNEL_V4.device : 'lo',
  }));
  return {
    modules: tun ? [{ ...TUNNEL_V4 }] : [],
    links: tun ? [TUNNEL_V4.device] : [],
    sysctls,
    addresses: hosts,
    routes: hosts.map((h) => ({ dst: h.address, prefixlen: h.prefixlen, family: h.family, dev: h.dev })),
  };
}

// Nothing desired: the state `stop` converges to.
export const NOTHING: DesiredState = { modules: [], links: [], sysctls: [], addresses: [], routes: [] };
