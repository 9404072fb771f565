import type { SysctlFs } from '../system/sysctl-fs.js';

// Sysctls have no change events: the files the last pass read (the ones rs-agent sets
// or must restore) are re-read on an interval, a handful of small /proc reads with no
// process spawned, and any difference from what that pass left behind asks for a pass.

export interface SysctlWatch {
  // The values the host has now, after a pass: the baseline for the next comparison.
  rebase(paths: Iterable<string>): void;
  stop(): void;
}

export function startSysctlWatch(sysctlFs: SysctlFs, intervalMs: number, onChange: () => void): SysctlWatch {
  let baseline = new Map<string, string | null>();
  const read = (path: string): string | null => {
    try {
      return sysctlFs.read(path);
    } catch {
      return null; // unreadable counts as changed; the pass reports why
    }
  };
  const timer = setInterval(() => {
    for (const [path, value] of baseline) {
      if (read(path) !== value) {
        onChange();
        return;
      }
    }
  }, intervalMs);
  return {
    rebase(paths) {
      baseline = new Map([...paths].map((path) => [path, read(path)]));
    },
    stop: () => clearInterval(timer),
  };
}
