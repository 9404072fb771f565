import { closeSync, linkSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentError, describeError, isCode } from '../errors.js';
import { ensureStateDir } from './state-file.js';

export const DEFAULT_LOCK_WAIT_MS = 30_000;

export interface Lock {
  release(): void;
  // Records a child the holder started (an `ip -batch` run). If the holder is killed,
  // the child goes on changing the host; the lock is not stale until it has exited too.
  track(pid: number): void;
}

// A process named by pid and start time, so a pid reused by an unrelated process
// after the holder died is not mistaken for the holder.
interface Holder {
  pid: number;
  start: string | null;
}

// One lock serialises every mutating pass (start, stop, check --fix, each daemon
// reconcile), so two of them never interleave their observe and apply. The lock file
// lists its holder and the holder's children; it is created with link(2), which is
// atomic, and a lock whose processes are all gone (killed with SIGKILL) is taken over.
// A second process waits up to waitMs, then fails with a message naming the holder.
export async function acquireLock(stateDir: string, waitMs = DEFAULT_LOCK_WAIT_MS): Promise<Lock> {
  ensureStateDir(stateDir);
  const path = join(stateDir, 'lock');
  const mine = `${path}.${process.pid}`;
  const holders = [self()];
  writeFileOrFail(mine, holders);
  const deadline = Date.now() + waitMs;
  let delay = 5;
  try {
    for (;;) {
      try {
        linkSync(mine, path);
        removeLeftovers(stateDir);
        return {
          release: () => releaseIfMine(path),
          track: (pid) => {
            holders.push({ pid, start: startTime(pid) });
            replaceLockFile(path, holders);
          },
        };
      } catch (error) {
        if (!isCode(error, 'EEXIST')) throw new AgentError(`lock ${path}: cannot create: ${describeError(error)}`);
      }
      const seen = readLockFile(path);
      if (seen !== null && seen.holders.length > 0 && !seen.holders.some(isAlive) && !childAtWork(seen.holders[0] as Holder)) {
        breakStale(path, seen.text);
        continue;
      }
      if (Date.now() >= deadline) {
        throw new AgentError(
          `another rs-agent (pid ${seen?.holders[0]?.pid ?? 'unknown'}) holds ${path}; waited ${Math.round(waitMs / 1000)}s for it. Try again when it has finished`,
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
export async function withLock<T>(stateDir: string, fn: (lock: Lock) => Promise<T>, waitMs?: number): Promise<T> {
  const lock = await acquireLock(stateDir, waitMs);
  try {
    return await fn(lock);
  } finally {
    lock.release();
  }
}

// Moves the stale lock aside and deletes it, unless what was moved is not the lock
// judged stale: another contender broke that one first and now holds a fresh lock at
// the same path, which is put back. (Contents name pid and start time, so they are
// unique where inode numbers may be reused.)
function breakStale(path: string, staleText: string): void {
  const aside = `${path}.stale.${process.pid}.tmp`;
  try {
    renameSync(path, aside);
  } catch {
    return; // already gone: released, or broken by another contender
  }
  if (readLockFile(aside)?.text !== staleText) {
    try {
      linkSync(aside, path);
    } catch {
      // A third contender linked in the instant the path was free; both it and the
      // lock's owner now run. It takes a dead holder, three contenders and two
      // system calls' worth of interleaving; the owner's release still removes only its own.
    }
  }
  rmSync(aside, { force: true });
}

// Rewritten through a rename, so a reader never sees the file empty or half written.
function replaceLockFile(path: string, holders: Holder[]): void {
  const tmp = `${path}.track.${process.pid}.tmp`;
  writeFileOrFail(tmp, holders);
  renameSync(tmp, path);
}

function writeFileOrFail(path: string, holders: Holder[]): void {
  try {
    const fd = openSync(path, 'w', 0o600);
    try {
      writeSync(fd, holders.map((h) => `${h.pid} ${h.start ?? '-'}\n`).join(''));
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw new AgentError(`lock ${path}: cannot create: ${describeError(error)}`);
  }
}

function readLockFile(path: string): { text: string; holders: Holder[] } | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const holders: Holder[] = [];
  for (const line of text.split('\n')) {
    const [pidText = '', start] = line.trim().split(/\s+/);
    const pid = Number.parseInt(pidText, 10);
    if (Number.isInteger(pid) && pid > 0) holders.push({ pid, start: start && start !== '-' ? start : null });
  }
  return { text, holders };
}

function releaseIfMine(path: string): void {
  if (readLockFile(path)?.holders[0]?.pid === process.pid) rmSync(path, { force: true });
}

// What earlier holders killed mid-pass left: temp files (only a holder writes them,
// and the caller holds the lock now) and owner files of contenders that are gone.
function removeLeftovers(stateDir: string): void {
  let names: string[];
  try {
    names = readdirSync(stateDir);
  } catch {
    return;
  }
  for (const name of names) {
    const owner = /^lock\.(\d+)$/.exec(name);
    const stale = name.endsWith('.tmp') || (owner !== null && !isAlive({ pid: Number(owner[1]), start: null }));
    if (stale) rmSync(join(stateDir, name), { force: true });
  }
}

// A holder killed between starting a child and recording it leaves a child the lock
// does not name. Every child that changes the host (ip) works from a temp file named
// after the holder's pid, so a process with such a file on its command line is one.
function childAtWork(holder: Holder): boolean {
  const tag = new RegExp(`(^|/)[\\w.-]+\\.${holder.pid}\\.tmp$`);
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return false;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    if (cmdline.split('\0').some((arg) => tag.test(arg))) return true;
  }
  return false;
}

function self(): Holder {
  return { pid: process.pid, start: startTime(process.pid) };
}

// Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot.
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

// Whether a process with this pid exists (any process: the pid alone cannot tell a
// reused pid from the original; the lock compares start times for that).
export function isProcessAlive(pid: number): boolean {
  return isAlive({ pid, start: null });
}

function isAlive(holder: Holder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if (!isCode(error, 'EPERM')) return false;
  }
  if (holder.start === null) return true;
  const now = startTime(holder.pid);
  return now === null || now === holder.start;
}
