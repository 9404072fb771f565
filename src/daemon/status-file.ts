import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive } from '../state/lock.js';
import { ensureStateDir } from '../state/state-file.js';
import { writeFileAtomic } from '../system/atomic-write.js';
import type { DaemonStats } from './stats.js';

// The daemon's own report, next to the state file, for `rs-agent status`.
export function daemonStatusPath(stateDir: string): string {
  return join(stateDir, 'daemon.json');
}

// Not durable (no fsync): it lives in the state dir on tmpfs (/run), and is rewritten
// after every pass.
export function writeDaemonStatus(stateDir: string, stats: DaemonStats): void {
  ensureStateDir(stateDir);
  writeFileAtomic(daemonStatusPath(stateDir), `${JSON.stringify(stats, null, 2)}\n`, { mode: 0o600, durable: false });
}

// The last report a daemon wrote, with `running` false when its process is gone
// (killed without the chance to say so). Null when no daemon ever ran here.
export function readDaemonStatus(stateDir: string): DaemonStats | null {
  let stats: DaemonStats;
  try {
    stats = JSON.parse(readFileSync(daemonStatusPath(stateDir), 'utf8')) as DaemonStats;
  } catch {
    return null;
  }
  if (stats.running && !isProcessAlive(stats.pid)) stats.running = false;
  return stats;
}
