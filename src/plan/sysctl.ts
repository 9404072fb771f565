import type { Owned } from '../state/types.js';
import { isArpSysctl, satisfies, weakens } from './protective.js';
import type { DesiredSysctl, KeptProtection, SysctlChange } from './types.js';
import { describeVipLike, type VipLike } from './vip-like.js';

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

export interface SysctlPlan {
  changes: SysctlChange[];
  kept: KeptProtection[];
}

// Raises what protects less than desired (a stricter value is left alone); restores
// what rs-agent changed but no longer wants, except an ARP sysctl whose original is
// weaker while a VIP-like address (`exposed`) remains: that one keeps its value and
// its recorded original, so a later stop can finish the job.
export function sysctlPlan(
  desired: DesiredSysctl[],
  actual: Record<string, string | null>,
  owned: Owned['sysctls'],
  exposed: readonly VipLike[] = [],
): SysctlPlan {
  const changes: SysctlChange[] = [];
  const kept: KeptProtection[] = [];
  const wanted = new Set<string>();
  for (const { path, value } of desired) {
    wanted.add(path);
    const now = actual[path] ?? null;
    if (now !== null && satisfies(path, now, value)) continue;
    changes.push({ kind: 'sysctl', action: 'set', target: sysctlKey(path), path, from: now, to: value });
  }
  for (const [path, { original }] of Object.entries(owned)) {
    if (wanted.has(path)) continue;
    const now = actual[path] ?? null;
    // Gone with its interface: nothing left to restore.
    if (now === null || now === original) continue;
    if (exposed.length > 0 && isArpSysctl(path) && weakens(path, now, original)) {
      kept.push({ item: `sysctl ${sysctlKey(path)}`, now, original, neededBy: exposed.map(describeVipLike) });
      continue;
    }
    changes.push({ kind: 'sysctl', action: 'restore', target: sysctlKey(path), path, from: now, to: original });
  }
  return { changes, kept };
}
