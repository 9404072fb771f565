import type { AddressChange, LinkChange, RouteChange } from '../plan/types.js';

export type IpChange = LinkChange | AddressChange | RouteChange;

export const IP_BATCH_ARGV = ['ip', '-force', '-batch', '-'] as const;

// One `ip -batch` line per change. Every name and address in it was validated (or
// read from the kernel) before it got here; there is no shell in between.
export function ipBatchLine(change: IpChange): string {
  switch (change.kind) {
    case 'link':
      return `link set dev ${change.dev} ${change.action}`;
    case 'address': {
      const prefix = `${change.address}/${change.prefixlen}`;
      if (change.action === 'delete') return `address del ${prefix} dev ${change.dev}`;
      const label = change.label ? ` label ${change.label}` : '';
      // An IPv6 VIP must never be chosen as a source address, nor wait for DAD. And
      // without noprefixroute the kernel adds its own /128 route (metric 256) beside
      // the one rs-agent adds and owns, and deleting "the" route removes the wrong one.
      const v6 = change.family === 6 ? ' nodad preferred_lft 0 noprefixroute' : '';
      return `address add ${prefix} dev ${change.dev}${label}${v6}`;
    }
    case 'route': {
      const verb = change.action === 'delete' ? 'del' : 'add';
      return `route ${verb} ${change.dst}/${change.prefixlen} dev ${change.dev}`;
    }
  }
}

// `ip -force -batch` runs every line and, for each that fails, prints the kernel's
// message followed by "Command failed -:N". Returns the message for each failed line.
export function parseBatchErrors(stderr: string): Map<number, string> {
  const failures = new Map<number, string>();
  let pending: string[] = [];
  for (const raw of stderr.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const marker = /^Command failed -:(\d+)$/.exec(line);
    if (marker) {
      failures.set(Number(marker[1]), pending.join('; ') || 'failed');
      pending = [];
    } else {
      pending.push(line);
    }
  }
  return failures;
}

// Errors that mean the kernel is already where the change was taking it (something
// else got there between observe and apply): the change counts as done.
// iproute2 6.x with extended acks prints "Error: ipv4: Address not found." or
// "Error: ipv6: address not found." instead of the bare errno text.
const ALREADY_DONE: Record<string, RegExp> = {
  'address add': /File exists|Address already assigned/i,
  'address delete': /Cannot assign requested address|Address not found/i,
  'route add': /File exists/,
  'route delete': /No such process/,
};

export function isAlreadyDone(change: IpChange, message: string): boolean {
  return ALREADY_DONE[`${change.kind} ${change.action}`]?.test(message) ?? false;
}
