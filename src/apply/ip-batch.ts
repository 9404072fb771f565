import { AgentError } from '../errors.js';
import { inputFile } from '../system/exclusive-file.js';
import type { AddressChange, FouChange, LinkChange, RouteChange } from '../plan/types.js';

export type IpChange = LinkChange | AddressChange | RouteChange | FouChange;

// `ip` reads the batch from a file rather than a pipe: if rs-agent is killed while
// feeding a pipe, ip still runs the last line it got, cut anywhere, and a cut
// `route del 192.0.2.10/32 dev lo` is `route del 192.0.2.1`, someone else's route.
// A file is complete before ip starts. It is given as stdin ("-"), a private file
// already unlinked (system/exclusive-file.ts's inputFile): ip never opens a path that
// someone could have replaced.
export const IP_BATCH_ARGV: readonly string[] = ['ip', '-force', '-batch', '-'];

// The batch for IP_BATCH_ARGV, as the descriptor to give ip as its stdin.
export function ipBatchInput(dir: string, changes: IpChange[]): number {
  return inputFile(dir, 'ip-batch', changes.map((c) => `${ipBatchLine(c)}\n`).join(''));
}

// An IPv6 VIP must never be chosen as a source address, nor wait for DAD. And
// without noprefixroute the kernel adds its own /128 route (metric 256) beside
// the one rs-agent adds and owns, and deleting "the" route removes the wrong one.
const V6_VIP_FLAGS = 'nodad preferred_lft 0 noprefixroute';

// One `ip -batch` line per change. Every name and address in it was validated (or
// read from the kernel) before it got here; there is no shell in between, and a
// value that ip's batch reader would split, quote or take as a comment or an option
// is refused here as a last line of defence.
export function ipBatchLine(change: IpChange): string {
  if (change.kind === 'fou') return fouLine(change);
  const dev = token(change.dev);
  switch (change.kind) {
    case 'link':
      return `link set dev ${dev} ${change.action}`;
    case 'address': {
      const prefix = `${token(change.address)}/${change.prefixlen}`;
      if (change.action === 'delete') return `address del ${prefix} dev ${dev}`;
      // Sets the flags on the address in place (the kernel accepts nodad, preferred_lft
      // and noprefixroute on an existing IPv6 address, and drops its prefix route when
      // noprefixroute is set). For IPv6 the kernel creates the address if it is gone
      // by now, `change` or not: the VIP is then back, correct, and not rs-agent's.
      if (change.action === 'update') return `address change ${prefix} dev ${dev} ${V6_VIP_FLAGS}`;
      const label = change.label ? ` label ${token(change.label)}` : '';
      const v6 = change.family === 6 ? ` ${V6_VIP_FLAGS}` : '';
      return `address add ${prefix} dev ${dev}${label}${v6}`;
    }
    case 'route': {
      const verb = change.action === 'delete' ? 'del' : 'add';
      return `route ${verb} ${token(change.dst)}/${change.prefixlen} dev ${dev}`;
    }
  }
}

// `ip fou` takes the family as a trailing -6 of its own; a listener is named by port
// and family alone when deleted.
function fouLine(change: FouChange): string {
  if (!Number.isInteger(change.port) || change.port < 1 || change.port > 65535) {
    throw new AgentError(`refusing to pass port ${JSON.stringify(change.port)} to ip fou: not a UDP port`);
  }
  const v6 = change.family === 6 ? ' -6' : '';
  return change.action === 'add' ? `fou add port ${change.port} gue${v6}` : `fou del port ${change.port}${v6}`;
}

function token(value: string): string {
  if (/^[^\s"'#\\-][^\s"'#\\]*$/.test(value)) return value;
  throw new AgentError(`refusing to pass ${JSON.stringify(value)} to ip: not an interface name or address`);
}

// `ip -force -batch FILE` runs every line and, for each that fails, prints the kernel's
// message followed by "Command failed FILE:N" ("-:N" when it reads stdin, as here).
// Returns the message for each failed line.
export function parseBatchErrors(stderr: string): Map<number, string> {
  const failures = new Map<number, string>();
  let pending: string[] = [];
  for (const raw of stderr.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const marker = /^Command failed .*:(\d+)$/.exec(line);
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
// Not `route add` with "File exists": the kernel says that for a route to the same
// destination on any device, so it may be someone else's route elsewhere, which the next
// check would report as drift for ever. It is reported as the failure it is.
const ALREADY_DONE: Record<string, RegExp> = {
  'address add': /File exists|Address already assigned/i,
  'address delete': /Cannot assign requested address|Address not found/i,
  'route delete': /No such process/,
  // The kernel's answer to deleting a listener that is not there.
  'fou delete': /Invalid argument/,
};

// What a kernel error means in the operator's terms, where errno alone does not say.
// The planner adds a GUE listener only where no fou listener is, so a port in use is
// held by an ordinary UDP socket (a dual-stack IPv6 one holds the IPv4 port too).
export function batchErrorHint(change: IpChange, message: string): string {
  if (change.kind === 'fou' && change.action === 'add' && /Address already in use/.test(message)) {
    return (
      ` (UDP port ${change.port} is taken by another socket on this host, not a fou listener: ` +
      `see "ss -uln sport = :${change.port}"; free it or choose another GUE port)`
    );
  }
  return '';
}

// Not an IPv6 `address add` either: IPv6 says "File exists" for the same address at
// any prefix or flags (one per device), so what is there may not be what was asked
// for; it is reported, and the next pass plans against what is there. IPv4 says it only
// for the same address and prefix, which is what was asked for.
export function isAlreadyDone(change: IpChange, message: string): boolean {
  if (change.kind === 'address' && change.action === 'add' && change.family === 6) return false;
  return ALREADY_DONE[`${change.kind} ${change.action}`]?.test(message) ?? false;
}
