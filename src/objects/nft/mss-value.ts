import type { Family } from '../../config/address.js';
import type { Encap } from '../../config/types.js';
import { canFaceDirector } from '../../model/devices.js';
import type { ActualLink, ActualRoute } from '../../observe/types.js';

// The MSS a TUN VIP's SYN-ACKs may advertise at most: what fits in the director's
// encapsulated packet on this host's path.

// A TUN VIP's MSS clamp as the config asks for it; auto is resolved when planning,
// against the host's links and routes (the egress MTU).
export interface DesiredMss {
  address: string;
  family: Family;
  encap: Encap;
  setting: number | 'auto';
  dev: string; // the tunnel device the VIP goes on
}

// The most a TUN VIP's SYN-ACKs advertise, resolved.
export interface MssClamp {
  address: string;
  family: Family;
  mss: number;
}

export interface ResolvedMss extends MssClamp {
  dev: string;
  why: string; // how the value was arrived at, for status
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

const INNER_IP = { 4: 20, 6: 40 } as const;
const TCP_HEADER = 20;
const FLOOR = { 4: 536, 6: 1220 } as const; // as config/mss.ts allows

export interface EgressMtu {
  mtu: number;
  dev: string | null; // null: no candidate, Ethernet's 1500 assumed
  via: 'default route' | 'smallest link' | 'assumed';
}

// The MTU the director's encapsulated packets have to fit, as this host can know it:
// that of the device of the family's default route (the NIC a single-homed real
// server receives the tunnel on, and sends its answers by), the smallest if there are
// several; without a default route, the smallest MTU of the links that are up and
// could face the director (not lo, not tunnels); with none, Ethernet's 1500.
export function egressMtu(family: Family, links: readonly ActualLink[], routes: readonly ActualRoute[]): EgressMtu {
  const mtuOf = (dev: string) => links.find((l) => l.name === dev)?.mtu;
  const viaDefault = routes
    .filter((r) => r.family === family && r.prefixlen === 0)
    .flatMap((r) => {
      const mtu = mtuOf(r.dev);
      return mtu === undefined ? [] : [{ mtu, dev: r.dev }];
    });
  const smallest = (list: { mtu: number; dev: string }[]) => list.reduce((a, b) => (b.mtu < a.mtu ? b : a));
  if (viaDefault.length > 0) return { ...smallest(viaDefault), via: 'default route' };
  const candidates = links
    .filter((l) => l.up && l.mtu !== undefined && canFaceDirector(l))
    .map((l) => ({ mtu: l.mtu as number, dev: l.name }));
  if (candidates.length > 0) return { ...smallest(candidates), via: 'smallest link' };
  return { mtu: 1500, dev: null, via: 'assumed' };
}

// Each desired clamp with its value: a number as configured; auto as the egress MTU
// less the encapsulation, the inner IP header and the TCP header (never below what the
// family must carry: a path that small cannot take the tunnel at all).
export function resolveMss(
  desired: readonly DesiredMss[],
  links: readonly ActualLink[],
  routes: readonly ActualRoute[],
): ResolvedMss[] {
  const egress = { 4: egressMtu(4, links, routes), 6: egressMtu(6, links, routes) };
  return desired.map((d) => {
    if (d.setting !== 'auto')
      return { address: d.address, family: d.family, mss: d.setting, dev: d.dev, why: `tunnel.mss ${d.setting}` };
    const e = egress[d.family];
    const overhead = ENCAP_OVERHEAD[d.encap][d.family];
    const mss = Math.max(FLOOR[d.family], e.mtu - overhead - INNER_IP[d.family] - TCP_HEADER);
    const where = e.dev === null ? 'assumed' : `of ${e.dev}, ${e.via}`;
    return {
      address: d.address,
      family: d.family,
      mss,
      dev: d.dev,
      why: `auto: MTU ${e.mtu} (${where}) - ${d.encap} ${overhead} - IPv${d.family} ${INNER_IP[d.family]} - TCP ${TCP_HEADER}`,
    };
  });
}

// A VIP's overhead: 0 for DR (the director only rewrites the MAC).
export function encapOverhead(vip: { mode: string; family: Family; encap?: Encap }): number {
  return vip.mode === 'tun' ? ENCAP_OVERHEAD[vip.encap ?? 'ipip'][vip.family] : 0;
}
