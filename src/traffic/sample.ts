import { readFileSync } from 'node:fs';
import { TRAFFIC_TABLE_ID } from '../objects/nft/traffic.js';
import type { ActualNftTable } from '../observe/types.js';
import { readConnections } from './tcp-connections.js';
import { parseNetDev, parseNetstat } from './proc-net.js';

// What traffic reaches this real server: per VIP:port the connections open now and the
// new ones counted (SYNs, by rs-agent's table inet rs_agent_traffic), per tunnel device
// what it received, what the ARP guard dropped, what reverse-path filtering dropped.
// Read from what a pass already observed (nft -j) and from /proc/net, without spawning.

export interface PortTraffic {
  vip: string;
  port: number;
  connections: number; // open now
  newConnections: number | null; // SYNs counted since the table was loaded; null: not counted
}

export interface VipTraffic {
  vips: string[]; // the VIPs looked at
  counted: boolean; // new connections are counted (the table intact)
  notCounted?: string; // why not
  ports: PortTraffic[]; // each VIP:port with a connection open or a SYN counted
}

export interface TrafficSample extends VipTraffic {
  tunnels: { dev: string; packets: number; errors: number; dropped: number }[]; // received
  arpGuardDrops: { requests: number; replies: number } | null; // null: no guard in place
  rpFilterDrops: number | null; // TcpExt IPReversePathFilter; null: unreadable
}

// Per VIP:port, from the traffic table as read and the connections open now.
export function vipTraffic(
  vips: readonly string[],
  table: ActualNftTable | undefined,
  read: (path: string) => string | null = readProcFile,
): VipTraffic {
  const connections = readConnections(new Set(vips), read);
  const state = table?.table;
  const counted = state?.state === 'intact';
  const counts = counted ? (state.counts ?? {}) : {};
  const keys = [...new Set([...connections.keys(), ...Object.keys(counts)])];
  const ports = keys
    .map((key) => {
      const [vip = '', port = '0'] = key.split(' ');
      return {
        vip,
        port: Number(port),
        connections: connections.get(key) ?? 0,
        newConnections: counted ? (counts[key] ?? 0) : null,
      };
    })
    .sort((a, b) => (a.vip < b.vip ? -1 : a.vip > b.vip ? 1 : a.port - b.port));
  return { vips: [...vips], counted, ...(counted ? {} : { notCounted: notCountedWhy(table) }), ports };
}

function notCountedWhy(table: ActualNftTable | undefined): string {
  if (table === undefined) return `table ${TRAFFIC_TABLE_ID} was not looked at`;
  if (!table.available) return table.reason ?? 'nft is not available';
  if (table.table === null) return `table ${TRAFFIC_TABLE_ID} is not loaded (rs-agent start loads it)`;
  return `table ${TRAFFIC_TABLE_ID} is ${table.table.state} (rs-agent check --fix reloads it)`;
}

// The whole sample. tunnels: the devices TUN VIPs are on; nft: the tables a pass read.
export function trafficSample(
  vips: readonly string[],
  tunnels: readonly string[],
  nft: Readonly<Record<string, ActualNftTable>> | undefined,
  read: (path: string) => string | null = readProcFile,
): TrafficSample {
  const devices = parseNetDev(read('/proc/net/dev') ?? '');
  const netstat = read('/proc/net/netstat');
  const guard = nft?.['arp rs_agent']?.table;
  const drops = guard?.counts;
  return {
    ...vipTraffic(vips, nft?.[TRAFFIC_TABLE_ID], read),
    tunnels: [...new Set(tunnels)].sort().flatMap((dev) => {
      const d = devices.get(dev);
      return d ? [{ dev, packets: d.packets, errors: d.errors, dropped: d.dropped }] : [];
    }),
    arpGuardDrops: guard && drops ? { requests: drops.input ?? 0, replies: drops.output ?? 0 } : null,
    rpFilterDrops: netstat === null ? null : parseNetstat(netstat, 'TcpExt', 'IPReversePathFilter'),
  };
}

export function readProcFile(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}

// "192.0.2.10:443", "[2001:db8::10]:443".
export function vipPort(vip: string, port: number): string {
  return vip.includes(':') ? `[${vip}]:${port}` : `${vip}:${port}`;
}

// The sample of a pass: its desired VIPs, the devices its TUN VIPs are on, the tables it read.
export function passTraffic(pass: {
  desired: { placement: { vips: readonly { address: string; mode: string; dev: string }[] } };
  actual: { nft?: Readonly<Record<string, ActualNftTable>> };
}): TrafficSample {
  const vips = pass.desired.placement.vips;
  return trafficSample(
    vips.map((v) => v.address),
    vips.filter((v) => v.mode === 'tun').map((v) => v.dev),
    pass.actual.nft,
  );
}
