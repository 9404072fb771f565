import { sysctlName } from './sysctl-path.js';

// How much a sysctl value protects, by the kernel's own reading of it.
//
// arp_ignore (net/ipv4/arp.c, arp_ignore()): the kernel uses max(all, dev).
//   0 replies for any local address; 1 only if the target is on the incoming
//   interface; 2 also needs the sender in the target's subnet; 3 replies for any
//   address not of scope host, so a VIP on lo with scope global IS answered; 4-7 are
//   reserved and reply; 8 never replies. Strength: 8 > 2 > 1 > everything else.
// arp_announce: 2 (best local address of the outgoing interface) > 1 > 0; any other
//   value behaves like 0.
// rp_filter for a TUN device: 0 (off) and 2 (loose) both pass decapsulated packets,
//   whose source is not routed via the tunnel; 1 (strict) drops them. systemd's
//   default is 2: rs-agent does not fight it.

const ARP_IGNORE: Record<string, number> = { '1': 1, '2': 2, '8': 3 };
const ARP_ANNOUNCE: Record<string, number> = { '1': 1, '2': 2 };

// 0 (protects nothing) and up; null for a sysctl with no strength order.
export function strengthOf(path: string, value: string): number | null {
  switch (sysctlName(path)) {
    case 'arp_ignore':
      return ARP_IGNORE[value.trim()] ?? 0;
    case 'arp_announce':
      return ARP_ANNOUNCE[value.trim()] ?? 0;
    default:
      return null;
  }
}

// An actual value that does at least what the desired one does is in sync:
// rs-agent raises values and never lowers them.
export function satisfies(path: string, actual: string, desired: string): boolean {
  if (actual === desired) return true;
  if (sysctlName(path) === 'rp_filter') return desired === '0' && actual.trim() === '2';
  const want = strengthOf(path, desired);
  const have = strengthOf(path, actual);
  return want !== null && have !== null && want > 0 && have >= want;
}

// Setting `to` where `from` is now would lower the protection.
export function weakens(path: string, from: string, to: string): boolean {
  const a = strengthOf(path, from);
  const b = strengthOf(path, to);
  return a !== null && b !== null && b < a;
}
