import { sysctlProtects } from '../../objects/sysctl.js';
import type { SysctlFs, SysctlReader } from '../../system/sysctl-fs.js';
import { guardInForce, sysctlsLeft } from '../pass-result.js';
import type { TriggerContext, TriggerSource } from './trigger-source.js';

export interface RereadIntervals {
  ms: number; // drift.sysctl_interval
  guardedMs: number; // drift.sysctl_interval_guarded
}

// Sysctls have no change events: the files the last pass read (the ones rs-agent sets
// or must restore) are re-read on an interval, a handful of small /proc reads with no
// process spawned, and any difference from what that pass left behind asks for a pass;
// an ARP sysctl's, which exposes the host's VIPs to ARP (with the ARP guard off, only
// the sysctls protect), for an urgent one. The interval bounds how long a reset ARP
// sysctl goes unnoticed: each file is kept open and re-read with one pread.
//
// While the ARP guard is in force (the last pass found or loaded it as planned) and nft
// monitor listens, a reset ARP sysctl exposes nothing: the guard drops every ARP request
// for a VIP and every ARP packet sent from one, and the guard's own flush or deletion is an
// nft monitor event whose urgent pass re-reads the sysctls too. Then the re-read runs every
// guardedMs; as soon as either lapses (a pass that leaves the guard out, nft monitor ending)
// it is back at ms. Waking ten times a second is most of an idle daemon's CPU.
export function sysctlReread(sysctlFs: SysctlFs, intervals: RereadIntervals): TriggerSource {
  let baseline: { path: string; reader: SysctlReader; value: string | null }[] = [];
  let ctx: TriggerContext | null = null;
  let guarded = false; // the last pass left the guard in force
  let listening = false; // nft monitor hears the guard's table
  let armedMs: number | null = null;
  let unsubscribe = () => {};
  const open = (path: string): SysctlReader => {
    if (sysctlFs.openReader) return sysctlFs.openReader(path);
    return { read: () => safeRead(sysctlFs, path), close: () => {} };
  };
  const closeAll = () => baseline.forEach(({ reader }) => reader.close());
  const tick = () => {
    const moved = baseline.filter(({ reader, value }) => reader.read() !== value);
    if (moved.length > 0) ctx?.request('sysctl', { urgent: moved.some((m) => sysctlProtects(m.path)) });
  };
  // The interval for what is known now; the timer is set again only when that changes, so
  // passes that come more often than the interval do not keep putting the next read off.
  const arm = () => {
    const ms = guarded && listening ? Math.max(intervals.guardedMs, intervals.ms) : intervals.ms;
    if (ctx === null || ms === armedMs) return;
    armedMs = ms;
    ctx.scheduler.every('sysctl-reread', ms, tick);
  };
  return {
    key: `sysctl-reread ${intervals.ms} ${intervals.guardedMs}`,
    start(c) {
      ctx = c;
      guarded = false;
      listening = c.nft?.listening ?? false;
      unsubscribe =
        c.nft?.onListening((on) => {
          listening = on;
          arm();
        }) ?? (() => {});
      armedMs = null;
      arm();
    },
    stop() {
      unsubscribe();
      ctx?.scheduler.cancel('sysctl-reread');
      ctx = null;
      armedMs = null;
      closeAll();
      baseline = [];
    },
    // The values a pass left the host with: the baseline for the next comparison.
    afterPass(result) {
      if (ctx === null) return;
      guarded = guardInForce(result);
      arm();
      const left = sysctlsLeft(result);
      if (left === null) return;
      closeAll();
      baseline = Object.entries(left).map(([path, value]) => ({ path, reader: open(path), value }));
    },
  };
}

function safeRead(sysctlFs: SysctlFs, path: string): string | null {
  try {
    return sysctlFs.read(path);
  } catch {
    return null; // unreadable counts as changed; the pass reports why
  }
}
