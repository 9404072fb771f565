import { closeSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AgentError } from '../errors.js';
import { isProcessAlive, takeFlock } from './flock.js';
import { ensureStateDir } from './state-file.js';

export { isProcessAlive } from './flock.js';

export const DEFAULT_LOCK_WAIT_MS = 30_000;

export interface Lock {
  // The lock's descriptor: every command that changes the host gets it as its fd 3
  // (RunOptions.lockFd), so a command still running after rs-agent was killed keeps
  // the lock until it has finished.
  readonly fd: number;
  release(): void;
}

export interface LockOptions {
  // How long to wait for another holder (default 30 s).
  waitMs?: number;
  // Aborting it gives up the wait at once (the daemon's SIGTERM).
  signal?: AbortSignal;
  // How withLock takes it (the daemon's pass lock, pass-lock.ts); acquireLock by default.
  acquire?: (stateDir: string, options?: LockOptions | number) => Promise<Lock>;
}

// One lock serialises every mutating pass (start, stop, check --fix, each daemon
// reconcile), so two of them never interleave their observe and apply. It is a
// flock(2) on <state-dir>/lock (see flock.ts): no stale lock to break, since the kernel
// drops it when its holder and the holder's children are gone. A second process waits
// up to waitMs, then fails with a message naming the holder.
export async function acquireLock(stateDir: string, options: LockOptions | number = {}): Promise<Lock> {
  const { waitMs = DEFAULT_LOCK_WAIT_MS, signal } = typeof options === 'number' ? { waitMs: options } : options;
  ensureStateDir(stateDir);
  const path = lockPath(stateDir);
  const taken = await takeFlock(path, { waitMs, signal, what: 'lock' });
  if ('heldBy' in taken) throw heldError(path, taken.heldBy, waitMs);
  removeLeftovers(stateDir);
  let open = true;
  return {
    fd: taken.fd,
    release: () => {
      if (open) closeSync(taken.fd);
      open = false;
    },
  };
}

// Runs fn while holding the lock.
export async function withLock<T>(
  stateDir: string,
  fn: (lock: Lock) => Promise<T>,
  options?: LockOptions | number,
): Promise<T> {
  const acquire = (typeof options === 'object' ? options.acquire : undefined) ?? acquireLock;
  const lock = await acquire(stateDir, options);
  try {
    return await fn(lock);
  } finally {
    lock.release();
  }
}

// The lock was held all the wait long: by whom, as far as the file says.
export function heldError(path: string, pid: number | null, waitMs: number): AgentError {
  const who =
    pid === null
      ? 'another rs-agent (pid unknown)'
      : isProcessAlive(pid)
        ? `another rs-agent (pid ${pid})`
        : `a command started by rs-agent pid ${pid}, which has exited,`;
  return new AgentError(
    `${who} holds ${path}; waited ${Math.round(waitMs / 1000)}s for it. Try again when it has finished`,
  );
}

export function lockPath(stateDir: string): string {
  return join(stateDir, 'lock');
}

// What an earlier holder killed mid-pass left: an `ip -batch` or nft file it had not yet
// unlinked, a half-written state file (named `<name>.<pid>.<random>.tmp`, or
// `<name>.<pid>.tmp` by an older rs-agent). Only a holder writes them, and the kernel
// gives us the lock only once that holder and its commands are gone. Other temp files
// (the daemon's status, written outside the lock) are not ours to touch.
export function removeLeftovers(stateDir: string): void {
  let names: string[];
  try {
    names = readdirSync(stateDir);
  } catch {
    return;
  }
  for (const name of names) {
    const leftover = /^(ip-batch|nft|state\.json)\.(\d+)(\.[0-9a-f]+)?\.tmp$/.exec(name);
    if (leftover && Number(leftover[2]) !== process.pid) rmSync(join(stateDir, name), { force: true });
  }
}
