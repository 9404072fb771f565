import { sysctlProtects } from '../../objects/sysctl.js';
import type { SysctlFs, SysctlReader } from '../../system/sysctl-fs.js';
import { sysctlPathsRead } from '../pass-result.js';
import type { TriggerContext, TriggerSource } from './trigger-source.js';

// Sysctls have no change events: the files the last pass read (the ones rs-agent sets
// or must restore) are re-read on an interval, a handful of small /proc reads with no
// process spawned, and any difference from what that pass left behind asks for a pass;
// an ARP sysctl's, which exposes the host's VIPs to ARP (with the ARP guard off, only
// the sysctls protect), for an urgent one. The interval bounds how long a reset ARP
// sysctl goes unnoticed: each file is kept open and re-read with one pread, so a short
// interval stays cheap when idle.
export function sysctlReread(sysctlFs: SysctlFs, intervalMs: number): TriggerSource {
  let baseline: { path: string; reader: SysctlReader; value: string | null }[] = [];
  let ctx: TriggerContext | null = null;
  const open = (path: string): SysctlReader => {
    if (sysctlFs.openReader) return sysctlFs.openReader(path);
    return { read: () => safeRead(sysctlFs, path), close: () => {} };
  };
  const closeAll = () => baseline.forEach(({ reader }) => reader.close());
  const tick = () => {
    const moved = baseline.filter(({ reader, value }) => reader.read() !== value);
    if (moved.length > 0) ctx?.request('sysctl', { urgent: moved.some((m) => sysctlProtects(m.path)) });
  };
  return {
    key: `sysctl-reread ${intervalMs}`,
    start(c) {
      ctx = c;
      c.scheduler.every('sysctl-reread', intervalMs, tick);
    },
    stop() {
      ctx?.scheduler.cancel('sysctl-reread');
      ctx = null;
      closeAll();
      baseline = [];
    },
    // The values the host has after a pass: the baseline for the next comparison.
    afterPass(result) {
      const paths = sysctlPathsRead(result);
      if (paths === null || ctx === null) return;
      closeAll();
      baseline = paths.map((path) => {
        const reader = open(path);
        return { path, reader, value: reader.read() };
      });
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
