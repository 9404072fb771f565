import type { SysctlFs } from '../../system/sysctl-fs.js';
import type { PassQueue } from '../pass-queue.js';
import type { Scheduler } from '../scheduler.js';
import type { Source } from './source.js';

// Sysctls have no change events: the files the last pass read (the ones rs-agent sets
// or must restore) are re-read on an interval, a handful of small /proc reads with no
// process spawned, and any difference from what that pass left behind asks for a pass.
// The interval bounds how long a reset by someone else goes unnoticed.
export interface SysctlReread extends Source {
  // The values the host has now, after a pass: the baseline for the next comparison.
  rebase(paths: Iterable<string>): void;
}

export function sysctlReread(queue: PassQueue, scheduler: Scheduler, sysctlFs: SysctlFs, intervalMs: () => number): SysctlReread {
  let baseline = new Map<string, string | null>();
  const read = (path: string): string | null => {
    try {
      return sysctlFs.read(path);
    } catch {
      return null; // unreadable counts as changed; the pass reports why
    }
  };
  const tick = () => {
    for (const [path, value] of baseline) {
      if (read(path) !== value) {
        queue.request('sysctl');
        return;
      }
    }
  };
  return {
    start() {
      scheduler.every('sysctl-reread', intervalMs(), tick);
    },
    stop() {
      scheduler.cancel('sysctl-reread');
    },
    rebase(paths) {
      baseline = new Map([...paths].map((path) => [path, read(path)]));
    },
  };
}
