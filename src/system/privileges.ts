import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import { AgentError, describeError } from '../errors.js';

const CAP_NET_ADMIN = 12;
export const CAP_SYS_MODULE = 16;

// Changing addresses, routes and /proc/sys/net needs CAP_NET_ADMIN (root, or a unit
// granting it). Checked before anything is touched, so the failure is one clear line
// rather than a half-applied pass.
export function requireNetAdmin(command: string, statusPath = '/proc/self/status'): void {
  if (hasCapability(CAP_NET_ADMIN, statusPath)) return;
  throw new AgentError(
    `rs-agent ${command} must run as root or with CAP_NET_ADMIN (it changes addresses, routes and /proc/sys/net)`,
  );
}

// Whether this process holds a capability (CapEff); where /proc cannot say, whether it is root.
export function hasCapability(bit: number, statusPath = '/proc/self/status'): boolean {
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
// failure is one line instead of every sysctl failing in turn. Opened for writing (and
// closed unwritten) rather than access(2): access checks as the real uid with its
// capabilities dropped, so it says no to a user holding CAP_NET_ADMIN, which the kernel
// lets write net sysctls (the daemon as the packaged units run it).
export function requireWritableProcSys(command: string, probe = '/proc/sys/net/ipv4/conf/all/arp_ignore'): void {
  try {
    closeSync(openSync(probe, constants.O_WRONLY));
  } catch (error) {
    throw new AgentError(
      `rs-agent ${command} cannot write ${probe}: ${describeError(error)}; /proc/sys/net must be writable (in a container, give it its own writable /proc/sys)`,
    );
  }
}
