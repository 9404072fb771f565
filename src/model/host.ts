import type { Family } from '../config/address.js';

export type { Family };

// An address on a device, always with its full prefix.
export interface HostAddress {
  address: string;
  prefixlen: number;
  family: Family;
  dev: string;
}

// A host route in the main table.
export interface HostRoute {
  dst: string;
  prefixlen: number;
  family: Family;
  dev: string;
}

// A UDP port on which the kernel's fou module takes GUE packets apart and hands the
// inner packet to the IP tunnel's receive path, as if it had come as plain IP-in-IP.
export interface FouListener {
  port: number;
  family: Family; // of the UDP socket: an IPv6 listener does not receive IPv4 packets
}

// The one way each object is named: in plans, logs, the flap backoff, the state file.
export function addressKey(a: Pick<HostAddress, 'address' | 'prefixlen' | 'dev'>): string {
  return `${a.address}/${a.prefixlen} dev ${a.dev}`;
}

export function routeKey(r: Pick<HostRoute, 'dst' | 'prefixlen' | 'dev'>): string {
  return `${r.dst}/${r.prefixlen} dev ${r.dev}`;
}

// As `ip fou show` prints a GUE listener.
export function fouKey(f: FouListener): string {
  return `port ${f.port} gue${f.family === 6 ? ' -6' : ''}`;
}

export function hostPrefix(family: Family): number {
  return family === 4 ? 32 : 128;
}
