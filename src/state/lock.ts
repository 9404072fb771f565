import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentError } from '../errors.js';
import { describe, isCode } from '../system/sysctl-fs.js';
import { ensureStateDir } from './state-file.js';

export const DEFAULT_LOCK_WAIT_MS = 30_000;

export interface Lock {
  release(): void;
}

// One lock serialises every mutating pass (start, stop, check --fix, each daemon
// reconcile), so two of them never interleave their observe and apply. The lock file
// holds the owner's pid; it is created with link(2), which is atomic, and a lock left
// by a process that no longer exists (killed with SIGKILL) is taken over.
// A second process waits up to waitMs, then fails with a message naming the holder.
export async function acquireLock(stateDir: string, waitMs = DEFAULT_LOCK_WAIT_MS): Promise<Lock> {
  ensureStateDir(stateDir);
  const path = join(stateDir, 'lock');
  const mine = `${path}.${process.pid}`;
  writeOwnerFile(mine);
  const deadline = Date.now() + waitMs;
  let delay = 5;
  try {
    for (;;) {
      try {
        linkSync(mine, path);
        return { release: () => releaseIfMine(path) };
      } catch (error) {
        if (!isCode(error, 'EEXIST')) throw new AgentError(`lock ${path}: cannot create: ${describe(error)}`);
      }
      const holder = readHolder(path);
      if (holder !== null && !isAlive(holder)) {
        // Only one contender wins the rename of a stale lock; the others retry.
        try {
          renameSync(path, `${path}.stale.${process.pid}`);
          rmSync(`${path}.stale.${process.pid}`, { force: true });
        } catch {
          /* someone else took it over first */
        }
        continue;
      }
      if (Date.now() >= deadline) {
        throw new AgentError(
          `another rs-agent (pid ${holder ?? 'unknown'}) holds ${path}; waited ${Math.round(waitMs / 1000)}s for it. Try again when it has finished`,
        );
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 100);
    }
  } finally {
    rmSync(mine, { force: true });
  }
}

// Runs fn while holding the lock.
export async function withLock<T>(stateDir: string, fn: () => Promise<T>, waitMs?: number): Promise<T> {
  const lock = await acquireLock(stateDir, waitMs);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

function writeOwnerFile(path: string): void {
  try {
    const fd = openSync(path, 'w', 0o600);
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw new AgentError(`lock ${path}: cannot create: ${describe(error)}`);
  }
}

function readHolder(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function releaseIfMine(path: string): void {
  if (readHolder(path) === process.pid) rmSync(path, { force: true });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isCode(error, 'EPERM');
  }
}
