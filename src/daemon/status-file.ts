import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive } from '../state/lock.js';
import { ensureStateDir } from '../state/state-file.js';
import { writeFileAtomic } from './metrics.js';
import type { DaemonStats } from './stats.js';

// The daemon's own report, next to the state file, for `rs-agent status`.
export function daemonStatusPath(stateDir: string): string {
  return join(stateDir, 'daemon.json');
}

export function writeDaemonStatus(stateDir: string, stats: DaemonStats): void {
  ensureStateDir(stateDir);
  writeFileAtomic(daemonStatusPath(stateDir), `${JSON.stringify(stats, null, 2)}\n`, 0o600);
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
