import type { Owned } from '../state/types.js';
import type { DesiredSysctl, SysctlChange } from './types.js';

// The name `sysctl` uses: dots between levels, and a dot inside an interface name
// written as '/' (net.ipv4.conf.eth0/100.arp_ignore).
export function sysctlKey(path: string): string {
  return path
    .split('/')
    .map((part) => part.replace(/\./g, '/'))
    .join('.');
}

export function confPath(family: 4 | 6, iface: string, name: string): string {
  return `net/ipv${family}/conf/${iface}/${name}`;
}

// Sets what differs from desired; restores what rs-agent changed but no longer wants.
export function sysctlPlan(
  desired: DesiredSysctl[],
  actual: Record<string, string | null>,
  owned: Owned['sysctls'],
): SysctlChange[] {
  const changes: SysctlChange[] = [];
  const wanted = new Set<string>();
  for (const { path, value } of desired) {
    wanted.add(path);
    const now = actual[path] ?? null;
    if (now === value) continue;
    changes.push({ kind: 'sysctl', action: 'set', target: sysctlKey(path), path, from: now, to: value });
  }
  for (const [path, { original }] of Object.entries(owned)) {
    if (wanted.has(path)) continue;
    const now = actual[path] ?? null;
    // Gone with its interface: nothing left to restore.
    if (now === null || now === original) continue;
    changes.push({ kind: 'sysctl', action: 'restore', target: sysctlKey(path), path, from: now, to: original });
  }
  return changes;
}
