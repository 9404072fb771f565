import type { Family } from '../config/address.js';
import type { Config } from '../config/types.js';
import type { ActualLink, ActualMss, ActualRoute } from '../observe/types.js';
import { ENCAP_OVERHEAD } from './tunnel.js';
import type { DesiredMss, MssChange, MssClamp, Problem } from './types.js';

// MSS clamping for TUN VIPs. The director wraps every packet of a TUN service, so a
// client's full-size segment no longer fits the director → real-server link; the
// director would need the client to lower its size through path-MTU discovery, whose
// ICMP many client paths drop, and an upload stalls. The real server avoids it by
// advertising, in the SYN-ACKs it sends from a TUN VIP, at most the MSS that fits
// after encapsulation: nftables rewrites the option on its way out (output hook,
// mangle priority), only ever lowering it.
//
// The table is of the inet family: the ARP guard's table is of the arp family, whose
// hooks see ARP only, so the two are separate tables with one name.

export const MSS_TABLE = 'inet rs_agent';
export const MSS_TARGET = `table ${MSS_TABLE}`;

const INNER_IP = { 4: 20, 6: 40 } as const;
const TCP_HEADER = 20;
const FLOOR = { 4: 536, 6: 1220 } as const; // as config/mss.ts allows
const KEY = { 4: 'ipv4', 6: 'ipv6' } as const;

// The TUN VIPs to clamp, with the setting of their family (off: left out). desiredState
// keeps those that have a device to go on (see DesiredMss).
export function desiredMss(config: Config): Omit<DesiredMss, 'dev'>[] {
  return config.vips.flatMap((vip) => {
    const setting = config.tunnel.mss[KEY[vip.family]];
    if (vip.mode !== 'tun' || setting === 'off') return [];
    return [{ address: vip.address, family: vip.family, encap: vip.encap ?? 'ipip', setting }];
  });
}

// Device types that carry tunnelled or virtual traffic, not the packets the director
// sends here; gretap0 and erspan0 are ip_gre's fallback devices (ethernet-typed).
const NOT_EGRESS_TYPES = new Set(['loopback', 'ipip', 'tunnel6', 'gre', 'gre6', 'sit', 'none']);
const NOT_EGRESS_NAMES = new Set(['gretap0', 'erspan0']);

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
    .filter((l) => l.up && l.mtu !== undefined && !NOT_EGRESS_TYPES.has(l.linkType) && !NOT_EGRESS_NAMES.has(l.name))
    .map((l) => ({ mtu: l.mtu as number, dev: l.name }));
  if (candidates.length > 0) return { ...smallest(candidates), via: 'smallest link' };
  return { mtu: 1500, dev: null, via: 'assumed' };
}

export interface ResolvedMss extends MssClamp {
  dev: string;
  why: string; // how the value was arrived at, for status
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

// The whole file `nft -f` reads: creating the table first makes the delete valid when
// it does not exist yet, so the file always replaces it, in one transaction. One rule
// per family and value: a SYN-ACK from one of its VIPs whose MSS is larger gets the
// value (a smaller one, from a smaller route MTU, is left alone).
export function renderMss(clamps: readonly MssClamp[]): string {
  const rules = groupClamps(clamps).map(
    ({ family, mss, addresses }) =>
      `    tcp flags & (syn | ack) == syn | ack ${family === 4 ? 'ip' : 'ip6'} saddr { ${addresses.join(', ')} } ` +
      `tcp option maxseg size > ${mss} tcp option maxseg size set ${mss} counter`,
  );
  return [
    `table ${MSS_TABLE} {}`,
    `delete table ${MSS_TABLE}`,
    `table ${MSS_TABLE} {`,
    '  chain output {',
    '    type filter hook output priority mangle; policy accept;',
    ...rules,
    '  }',
    '}',
    '',
  ].join('\n');
}

export function renderMssDelete(): string {
  return `table ${MSS_TABLE} {}\ndelete table ${MSS_TABLE}\n`;
}

// Clamps grouped by family and value, each group's addresses sorted: IPv4 first, then
// by value, largest first.
export function groupClamps(clamps: readonly MssClamp[]): { family: Family; mss: number; addresses: string[] }[] {
  const groups = new Map<string, { family: Family; mss: number; addresses: string[] }>();
  for (const c of clamps) {
    const key = `${c.family} ${c.mss}`;
    const group = groups.get(key) ?? { family: c.family, mss: c.mss, addresses: [] };
    if (!group.addresses.includes(c.address)) group.addresses.push(c.address);
    groups.set(key, group);
  }
  return [...groups.values()]
    .map((g) => ({ ...g, addresses: [...g.addresses].sort() }))
    .sort((a, b) => a.family - b.family || b.mss - a.mss);
}

// Loads the table when it is missing, flushed, altered or clamps other values; deletes
// the one rs-agent loaded when nothing is to be clamped any more (tunnel.mss off, no
// TUN VIPs, stop). Without nft nothing is planned: mssProblems says so.
export function mssPlan(
  clamps: readonly (MssClamp & { dev?: string })[],
  actual: ActualMss | undefined,
  owned: boolean,
): MssChange[] {
  const table = actual?.table ?? null;
  if (clamps.length > 0) {
    if (actual?.available !== true) return [];
    if (table && table.state === 'intact' && sameClamps(table.clamps, clamps)) return [];
    const sorted = groupClamps(clamps).flatMap((g) =>
      g.addresses.map((address) => ({ address, family: g.family, mss: g.mss })),
    );
    const devices = [...new Set(clamps.flatMap((c) => (c.dev ? [c.dev] : [])))].sort();
    return [
      {
        kind: 'mss',
        action: 'load',
        target: MSS_TARGET,
        table: MSS_TABLE,
        from: describeTable(table),
        to: describeClamps(sorted),
        clamps: sorted,
        devices,
        ruleset: renderMss(sorted),
      },
    ];
  }
  if (!owned || table === null) return [];
  return [
    {
      kind: 'mss',
      action: 'delete',
      target: MSS_TARGET,
      table: MSS_TABLE,
      from: describeTable(table),
      to: 'absent',
      clamps: [],
      devices: [],
      ruleset: renderMssDelete(),
    },
  ];
}

// TUN VIPs left unclamped because nft or nf_tables is missing: reported, never a
// reason to hold back anything else (a VIP without its clamp still serves every
// client whose path passes ICMP, and every small request).
export function mssProblems(clamps: readonly MssClamp[], actual: ActualMss | undefined): Problem[] {
  if (clamps.length === 0 || actual === undefined || actual.available) return [];
  return [
    {
      item: `mss ${MSS_TARGET}`,
      message:
        `MSS clamping for TUN VIPs needs nftables: ${actual.reason ?? 'nft is not available'}; ` +
        `not clamped: ${clamps.map((c) => c.address).join(', ')} (uploads from clients whose path drops ICMP may stall; ` +
        'everything else is in place): install nftables, or set tunnel.mss: off',
    },
  ];
}

export function describeClamps(clamps: readonly MssClamp[]): string {
  return clamps.length > 0 ? clamps.map((c) => `${c.address} ${c.mss}`).join(', ') : '{ }';
}

function describeTable(table: ActualMss['table']): string {
  if (table === null) return 'absent';
  if (table.state !== 'intact') return table.state;
  return describeClamps(table.clamps);
}

function sameClamps(a: readonly MssClamp[], b: readonly MssClamp[]): boolean {
  const key = (list: readonly MssClamp[]) =>
    list
      .map((c) => `${c.family} ${c.address} ${c.mss}`)
      .sort()
      .join('\n');
  return key(a) === key(b);
}
