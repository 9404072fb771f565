import type { Config, VipConfig } from '../config/types.js';
import { readState } from '../state/state-file.js';

// The VIPs rs-agent holds on this host now (its state file), as desired VIPs: what a
// store-configured agent keeps when it has neither a cache nor an answer from the
// store, so that not knowing is never a reason to remove one.
export function heldVips(stateDir: string, config: Config): VipConfig[] {
  const tunnels = new Set([config.tunnel.ipv4, config.tunnel.ipv6]);
  const local = new Set(config.vips.map((v) => v.address));
  return readState(stateDir)
    .address.filter((a) => !local.has(a.address))
    .map((a) => ({ address: a.address, family: a.family, mode: tunnels.has(a.dev) ? 'tun' : 'dr' }));
}
