// A real server's state as the LVS scenarios observe it (guest/lib/observe.sh,
// observe_rs_state): the guest reports its sysctls, loaded modules and `ip -json` output
// as they are, and this finds what the properties look at, the VIP's addresses and routes
// and the tunnel devices, on the host (a jq in the VM costs half a second of emulated CPU).
import type { Route, VipAddress } from './properties.js';

export interface RawRsState {
  host: string;
  sysctls: Record<string, number>;
  modules: Record<'ipip' | 'ip6_tunnel' | 'fou' | 'ip_gre' | 'ip6_gre', boolean>;
  fou: { port: number; gue?: null; ipproto?: number; family?: string }[];
  addrs: {
    ifname: string;
    flags: string[];
    addr_info: {
      local: string;
      prefixlen: number;
      label?: string;
      nodad?: boolean;
      deprecated?: boolean;
      noprefixroute?: boolean;
      preferred_life_time?: number;
    }[];
  }[];
  routes: (Route & { dst: string })[];
}

export interface RsState {
  host: string;
  ipip_loaded: boolean;
  ip6_tunnel_loaded: boolean;
  fou_loaded: boolean;
  ip_gre_loaded: boolean;
  ip6_gre_loaded: boolean;
  sysctls: Record<string, number>;
  fou: string[]; // as ip fou show prints them
  tunnels_up: Record<string, boolean>;
  vip_addrs: (VipAddress & { label: string | null })[];
  vip_routes: Route[];
}

const TUNNEL_DEVICES = ['tunl0', 'ip6tnl0', 'gre0', 'ip6gre0'];

export function rsStateOf(raw: RawRsState, vip: string): RsState {
  return {
    host: raw.host,
    ipip_loaded: raw.modules.ipip,
    ip6_tunnel_loaded: raw.modules.ip6_tunnel,
    fou_loaded: raw.modules.fou,
    ip_gre_loaded: raw.modules.ip_gre,
    ip6_gre_loaded: raw.modules.ip6_gre,
    sysctls: raw.sysctls,
    fou: raw.fou.map(
      (f) => `port ${f.port} ${'gue' in f ? 'gue' : `ipproto ${f.ipproto}`}${f.family === 'inet6' ? ' -6' : ''}`,
    ),
    tunnels_up: Object.fromEntries(
      raw.addrs.filter((a) => TUNNEL_DEVICES.includes(a.ifname)).map((a) => [a.ifname, a.flags.includes('UP')]),
    ),
    vip_addrs: raw.addrs.flatMap((a) =>
      a.addr_info
        .filter((i) => i.local === vip)
        .map((i) => ({
          dev: a.ifname,
          prefixlen: i.prefixlen,
          label: i.label ?? null,
          nodad: i.nodad ?? false,
          deprecated: i.deprecated ?? false,
          noprefixroute: i.noprefixroute ?? false,
          preferred_life_time: i.preferred_life_time as number,
        })),
    ),
    vip_routes: raw.routes.filter((r) => r.dst === vip || r.dst === `${vip}/32` || r.dst === `${vip}/128`),
  };
}
