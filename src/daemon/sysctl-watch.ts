import type { SysctlFs, SysctlReader } from '../system/sysctl-fs.js';

// Sysctls have no change events: the files the last pass read (the ones rs-agent sets
// or must restore) are re-read on an interval, a handful of small /proc reads with no
// process spawned, and any difference from what that pass left behind asks for a pass.

export interface SysctlWatch {
  // The values the host has now, after a pass: the baseline for the next comparison.
  rebase(paths: Iterable<string>): void;
  stop(): void;
}

// The re-read interval bounds how long a reset ARP sysctl goes unnoticed (with the
// ARP guard off, how long the host may answer ARP for a VIP): each file is kept open
// and re-read with one pread, so a short interval stays cheap when idle.
export function startSysctlWatch(sysctlFs: SysctlFs, intervalMs: number, onChange: () => void): SysctlWatch {
  let baseline: { reader: SysctlReader; value: string | null }[] = [];
  const open = (path: string): SysctlReader => {
    if (sysctlFs.openReader) return sysctlFs.openReader(path);
    return { read: () => safeRead(sysctlFs, path), close: () => {} };
  };
  const timer = setInterval(() => {
    for (const { reader, value } of baseline) {
      if (reader.read() !== value) {
        onChange();
        return;
      }
    }
  }, intervalMs);
  const closeAll = () => baseline.forEach(({ reader }) => reader.close());
  return {
    rebase(paths) {
      closeAll();
      baseline = [...paths].map((path) => {
        const reader = open(path);
        return { reader, value: reader.read() };
      });
    },
    stop: () => {
      clearInterval(timer);
      closeAll();
      baseline = [];
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
