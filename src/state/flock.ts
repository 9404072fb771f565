import { closeSync, constants, fstatSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { AgentError, describeError, isCode } from '../errors.js';
import { shareWithDirectoryOwner } from '../system/service-user.js';
import { loadExeca, withFd3 } from '../system/runner.js';
import { utilLinux } from '../system/util-linux.js';

// flock(2) locks belong to an open file description, not to a process: every process
// that inherits the descriptor shares the lock, and the kernel drops it only when the
// last of them has closed it or exited, SIGKILL included. Node has no flock, so util-linux
// `flock` takes the lock on a descriptor node opened and hands over as its fd 3; once
// it has exited the lock stays with node's descriptor.

export type FlockResult = { fd: number } | { heldBy: number | null };

export interface FlockOptions {
  // 0: one try; otherwise how long to wait for the holder.
  waitMs: number;
  signal?: AbortSignal;
  // What the lock is, for messages ("lock", "daemon lock").
  what: string;
  // Only asks whether an exclusive holder exists: takes a shared lock, and leaves the
  // holder pid in the file as it is.
  probe?: boolean;
}

// flock's exit status when the lock is held by someone else (distinct from its errors).
const CONFLICT = 75;

// Opens (creating) the lock file and takes a flock on it (exclusive; shared for a probe),
// or reports who holds it.
export async function takeFlock(path: string, options: FlockOptions): Promise<FlockResult> {
  if (options.signal?.aborted) throw cancelled(options.what, path);
  const fd = openLockFile(path, options.what);
  try {
    const taken = await flockOn(fd, path, options);
    if ('heldBy' in taken) closeSync(fd);
    return taken;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

// takeFlock on a descriptor the caller opened (openLockFile) and keeps open whatever the
// outcome: the daemon's pass lock (pass-lock.ts), whose descriptor outlives each pass.
export async function flockOn(fd: number, path: string, options: FlockOptions): Promise<FlockResult> {
  if (options.signal?.aborted) throw cancelled(options.what, path);
  const { execa } = await loadExeca();
  const wait = options.waitMs > 0 ? ['--wait', String(options.waitMs / 1000)] : ['--nonblock'];
  // Probes share the lock among themselves, so two `stop`s asking at once do not take
  // each other for a daemon.
  const mode = options.probe ? '--shared' : '--exclusive';
  const result = await execa(utilLinux('flock'), [mode, ...wait, '--conflict-exit-code', String(CONFLICT), '3'], {
    stdio: withFd3(['ignore', 'ignore', 'pipe'], fd),
    env: { LC_ALL: 'C' },
    reject: false,
    cancelSignal: options.signal,
    forceKillAfterDelay: 1000,
  });
  if (result.exitCode === 0) {
    if (!options.probe) writeHolder(fd, path, options.what);
    return { fd };
  }
  if (result.isCanceled) throw cancelled(options.what, path);
  if (result.exitCode === CONFLICT) return { heldBy: readHolder(path) };
  const code = (result.cause as NodeJS.ErrnoException | undefined)?.code ?? result.code;
  if (code === 'ENOENT') throw new AgentError('flock: command not found in PATH (install util-linux)');
  throw new AgentError(`${options.what} ${path}: flock failed: ${String(result.stderr).trim() || result.shortMessage}`);
}

// The lock file outlives its holders (every process must lock the same file), so it
// cannot be created exclusively. Opened without following a symlink, and refused unless
// it is a regular file with no other name (Linux opens a FIFO O_RDWR without blocking):
// a hard link to another file would have writeHolder truncate that file.
export function openLockFile(path: string, what: string): number {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    if (isCode(error, 'EISDIR'))
      throw new AgentError(`${what} ${path} is a directory; it must be a file rs-agent creates (remove the directory)`);
    throw new AgentError(`${what} ${path}: cannot open: ${describeError(error)}`);
  }
  const stats = fstatSync(fd);
  if (stats.isFile() && stats.nlink === 1) {
    try {
      shareWithDirectoryOwner(fd, dirname(path));
    } catch (error) {
      closeSync(fd);
      throw new AgentError(`${what} ${path}: cannot give it to its directory's owner: ${describeError(error)}`);
    }
    return fd;
  }
  closeSync(fd);
  throw new AgentError(
    `${what} ${path} is ${stats.isFile() ? 'a file with other hard links' : 'not a regular file'}; it must be a file rs-agent creates (remove it)`,
  );
}

// The pid is for messages only: flock cannot say who holds a lock.
export function writeHolder(fd: number, path: string, what: string): void {
  try {
    ftruncateSync(fd, 0);
    writeSync(fd, `${process.pid}\n`, 0);
  } catch (error) {
    throw new AgentError(`${what} ${path}: cannot write: ${describeError(error)}`);
  }
}

export function readHolder(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function cancelled(what: string, path: string): AgentError {
  return new AgentError(`${what} ${path}: cancelled while waiting for it`);
}

// Whether a process with this pid exists.
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isCode(error, 'EPERM');
  }
}
