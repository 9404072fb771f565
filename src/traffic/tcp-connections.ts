import { canonicalIPv6 } from '../config/address.js';

// The TCP sockets of this network namespace as /proc/net/tcp and /proc/net/tcp6 list
// them (no process spawned; the kernel writes one line per socket, about 150 bytes, so
// 10 000 connections cost some 200 ms of kernel time on a busy 2-core machine, about what
// `ss` costs to spawn). On a DR or TUN real server a connection to a VIP is a local socket
// whose local address is the VIP; an IPv4 client of a dual-stack listener shows in tcp6
// with the VIP as ::ffff:a.b.c.d.
export const TCP_FILES = ['/proc/net/tcp', '/proc/net/tcp6'] as const;

// The states in which a connection still carries data either way: established, a
// handshake under way (SYN_RECV), and closing with data possibly unacknowledged
// (FIN_WAIT1, CLOSE_WAIT, LAST_ACK, CLOSING). FIN_WAIT2 and TIME_WAIT have nothing left
// to send: taking the VIP away then loses nothing.
const OPEN_STATES = new Set(['01', '03', '04', '08', '09', '0B']);

// Open connections per "VIP PORT" (local address and port) in one /proc/net/tcp{,6}
// text, for the VIPs given (canonical text). Pure.
export function countConnections(text: string, vips: ReadonlySet<string>, into = new Map<string, number>()) {
  for (const line of text.split('\n')) {
    const m = /^\s*\d+:\s+([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})\s+\S+\s+([0-9A-Fa-f]{2})\s/.exec(line);
    if (!m || !OPEN_STATES.has((m[3] as string).toUpperCase())) continue;
    const address = addressOf(m[1] as string);
    if (!vips.has(address)) continue;
    const key = `${address} ${parseInt(m[2] as string, 16)}`;
    into.set(key, (into.get(key) ?? 0) + 1);
  }
  return into;
}

// The kernel prints each 32-bit word of the address in host byte order (little-endian
// on the machines rs-agent runs on).
function addressOf(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => [6, 4, 2, 0].map((i) => parseInt(w.slice(i, i + 2), 16)));
  if (bytes.length === 4) return bytes.join('.');
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255;
  if (mapped) return bytes.slice(12).join('.');
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  return canonicalIPv6(groups.join(':'));
}

// Open connections per "VIP PORT" now; a file that cannot be read (IPv6 disabled: no
// tcp6) counts nothing.
export function readConnections(vips: ReadonlySet<string>, read: (path: string) => string | null) {
  const counts = new Map<string, number>();
  if (vips.size === 0) return counts;
  for (const file of TCP_FILES) {
    const text = read(file);
    if (text !== null) countConnections(text, vips, counts);
  }
  return counts;
}
