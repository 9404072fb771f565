import type { SysctlFs, SysctlReader } from '../../system/sysctl-fs.js';
import type { PassQueue } from '../pass-queue.js';
import type { Scheduler } from '../scheduler.js';
import type { TriggerSource } from './trigger-source.js';

// Sysctls have no change events: the files the last pass read (the ones rs-agent sets
// or must restore) are re-read on an interval, a handful of small /proc reads with no
// process spawned, and any difference from what that pass left behind asks for a pass.
// The interval bounds how long a reset ARP sysctl goes unnoticed (with the ARP guard
// off, how long the host may answer ARP for a VIP): each file is kept open and re-read
// with one pread, so a short interval stays cheap when idle.
export interface SysctlReread extends TriggerSource {
  // The values the host has now, after a pass: the baseline for the next comparison.
  rebase(paths: Iterable<string>): void;
}

export function sysctlReread(
  queue: PassQueue,
  scheduler: Scheduler,
  sysctlFs: SysctlFs,
  intervalMs: () => number,
): SysctlReread {
  let baseline: { reader: SysctlReader; value: string | null }[] = [];
  const open = (path: string): SysctlReader => {
    if (sysctlFs.openReader) return sysctlFs.openReader(path);
    return { read: () => safeRead(sysctlFs, path), close: () => {} };
  };
  const closeAll = () => baseline.forEach(({ reader }) => reader.close());
  const tick = () => {
    for (const { reader, value } of baseline) {
      if (reader.read() !== value) {
        queue.request('sysctl');
        return;
      }
    }
  };
  return {
    start() {
      scheduler.every('sysctl-reread', intervalMs(), tick);
    },
    // Stops the re-reads; the files stay open for the next start (a reload).
    stop() {
      scheduler.cancel('sysctl-reread');
    },
    rebase(paths) {
      closeAll();
      baseline = [...paths].map((path) => {
        const reader = open(path);
        return { reader, value: reader.read() };
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
