import type { VipConfig } from '../config/types.js';

export interface WipeDecision {
  vips: VipConfig[]; // what to apply
  held: boolean; // the store's answer would have left the host with no VIP: refused
}

// Wipe protection. A change that would take a host from some VIPs to none is not
// applied unless the store says so explicitly (an allow-empty key for the host or
// for all). An accidental `etcdctl del --prefix`, a restore of an empty snapshot, a
// selector typo that matches nobody: every host refuses on its own, so a change
// that would empty most of the fleet empties none of it. Removing some of a host's
// VIPs, or a host that never had any, goes through.
export function checkWipe(previous: VipConfig[] | null, next: VipConfig[], allowEmpty: boolean): WipeDecision {
  if (next.length === 0 && previous !== null && previous.length > 0 && !allowEmpty)
    return { vips: previous, held: true };
  return { vips: next, held: false };
}

// The same VIPs in the same modes, in any order.
export function sameVips(a: VipConfig[] | null, b: VipConfig[]): boolean {
  if (a === null || a.length !== b.length) return false;
  const key = (v: VipConfig) => `${v.address}/${v.mode}`;
  const set = new Set(a.map(key));
  return b.every((v) => set.has(key(v)));
}
