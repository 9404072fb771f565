import { closeSync } from 'node:fs';
import { join } from 'node:path';
import { AgentError } from '../errors.js';
import { isProcessAlive, takeFlock } from './flock.js';
import { ensureStateDir } from './state-file.js';

// One daemon per state directory: `rs-agent run` holds <state-dir>/run.lock (a flock,
// see flock.ts) for its whole life. Two daemons on one state directory would each put
// back what the other's operator removed; a `stop` under a running daemon would be
// undone by its next pass.

const PROBE_WAIT_MS = 2000;

export function instanceLockPath(stateDir: string): string {
  return join(stateDir, 'run.lock');
}

// Taken by the daemon before its first pass and never released: the kernel drops it
// when the daemon exits. Fails at once (exit 2) naming the daemon that holds it.
export async function takeInstanceLock(stateDir: string): Promise<void> {
  ensureStateDir(stateDir);
  const path = instanceLockPath(stateDir);
  let taken = await takeFlock(path, { waitMs: 0, what: 'daemon lock' });
  // A `stop` asking whether a daemon runs holds the lock shared for an instant, and
  // writes no pid: wait for it rather than refuse.
  if ('heldBy' in taken && (taken.heldBy === null || !isProcessAlive(taken.heldBy))) {
    taken = await takeFlock(path, { waitMs: PROBE_WAIT_MS, what: 'daemon lock' });
  }
  if ('heldBy' in taken) {
    throw new AgentError(
      `another rs-agent run (pid ${taken.heldBy ?? 'unknown'}) already runs on ${stateDir} (it holds ${path}); one daemon per state directory`,
    );
  }
  // The descriptor stays open, unreferenced, until the process exits.
}

// The pid of the daemon running on stateDir, or null when none runs. Takes the lock for
// an instant to ask the kernel, then drops it.
export async function runningDaemon(stateDir: string): Promise<number | null> {
  ensureStateDir(stateDir);
  const path = instanceLockPath(stateDir);
  const taken = await takeFlock(path, { waitMs: 0, what: 'daemon lock', probe: true });
  if ('heldBy' in taken) return taken.heldBy ?? 0;
  closeSync(taken.fd);
  return null;
}

// `stop` under a running daemon would be undone by its next pass: refused (exit 2).
export async function refuseWhileDaemonRuns(stateDir: string, command: string): Promise<void> {
  const pid = await runningDaemon(stateDir);
  if (pid === null) return;
  throw new AgentError(
    `${command}: rs-agent run (pid ${pid || 'unknown'}) runs on ${stateDir} and would put everything back; ` +
      'stop it first (systemctl stop rs-agent stops the daemon, then runs rs-agent stop)',
  );
}
