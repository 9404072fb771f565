import { accessSync, constants, readFileSync } from 'node:fs';
import { AgentError, describeError } from '../errors.js';

const CAP_NET_ADMIN = 12;

// Changing addresses, routes and /proc/sys/net needs CAP_NET_ADMIN (root, or a unit
// granting it). Checked before anything is touched, so the failure is one clear line
// rather than a half-applied pass.
export function requireNetAdmin(command: string, statusPath = '/proc/self/status'): void {
  if (hasCapability(CAP_NET_ADMIN, statusPath)) return;
  throw new AgentError(
    `rs-agent ${command} must run as root (it needs CAP_NET_ADMIN to change addresses, routes and /proc/sys/net)`,
  );
}

export function hasCapability(bit: number, statusPath: string): boolean {
  let text: string;
  try {
    text = readFileSync(statusPath, 'utf8');
  } catch {
    return process.getuid?.() === 0;
  }
  const match = /^CapEff:\s*([0-9a-f]+)$/m.exec(text);
  if (!match?.[1]) return process.getuid?.() === 0;
  return ((BigInt(`0x${match[1]}`) >> BigInt(bit)) & 1n) === 1n;
}

// A container may mount /proc/sys read-only. Found before anything is touched, so the
// failure is one line instead of every sysctl failing in turn.
export function requireWritableProcSys(command: string, probe = '/proc/sys/net/ipv4/conf/all/arp_ignore'): void {
  try {
    accessSync(probe, constants.W_OK);
  } catch (error) {
    throw new AgentError(
      `rs-agent ${command} cannot write ${probe}: ${describeError(error)}; /proc/sys/net must be writable (in a container, give it its own writable /proc/sys)`,
    );
  }
}
