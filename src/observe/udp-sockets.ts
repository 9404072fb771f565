import { readFileSync } from 'node:fs';
import type { Family } from '../config/address.js';

// The UDP sockets of this network namespace as /proc/net/udp and /proc/net/udp6 list
// them: one line per socket, "  sl  local_address rem_address   st ...", the local
// address as hex "0100007F:17C0" (IPv6: 32 hex digits) with the port after the colon.
// The kernel's own sockets are there too, a GUE listener's among them, which is what
// makes a deleted listener visible without spawning `ip fou show`.
export const UDP_SOCKETS_FILE: Record<Family, string> = { 4: '/proc/net/udp', 6: '/proc/net/udp6' };

// The local ports of the sockets a /proc/net/udp{,6} text lists. Pure.
export function parseUdpPorts(text: string): Set<number> {
  const ports = new Set<number>();
  for (const line of text.split('\n')) {
    const match = /^\s*\d+:\s+[0-9A-Fa-f]+:([0-9A-Fa-f]{4})\s/.exec(line);
    if (match) ports.add(parseInt(match[1] as string, 16));
  }
  return ports;
}

// The local UDP ports of one family now; null when the file cannot be read (IPv6
// disabled: no /proc/net/udp6).
export function readUdpPorts(family: Family, file = UDP_SOCKETS_FILE[family]): Set<number> | null {
  try {
    return parseUdpPorts(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}
