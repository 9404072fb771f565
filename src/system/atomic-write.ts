import { closeSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { AgentError, describeError } from '../errors.js';
import { createExclusive, writeAll } from './exclusive-file.js';
import { shareWithDirectoryOwner } from './service-user.js';
import { defaultOwners, directoryProblem, makeDirectory, problemText, type Owners } from './trusted-path.js';

export interface AtomicWriteOptions {
  mode: number; // of a new file, less the umask
  // Survives a power loss: the file's data reaches the disk before the rename, and the
  // directory's entry after it. Without it, a crash of rs-agent still leaves the old file
  // or the new (rename is atomic), but a crash of the machine may leave neither. Only
  // worth it on a disk: on tmpfs (/run) fsync does nothing, and the file is gone at boot.
  durable: boolean;
  // Who may own the directory and those above it (see trusted-path.ts).
  owners?: Owners;
  // Creates the directory with this mode (and any missing above it) when missing;
  // without it, a missing directory fails the write.
  dirMode?: number;
}

// A file that cannot be written: names it and why, in the operator's terms.
export class WriteError extends AgentError {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cannot write ${path}: ${reason}`);
    this.name = 'WriteError';
  }
}

// Replaces a file so that a reader sees the old content or the new, never half: a new
// file beside it (same file system, so rename is atomic), created exclusively (see
// createExclusive), renamed over it; rename replaces a symlink at the path, never follows
// it. Refused when the directory, or one above it, is someone else's (checked at every
// write: a directory can change hands while the daemon runs). The temp file is removed
// on any failure.
export function writeFileAtomic(path: string, content: string | Uint8Array, options: AtomicWriteOptions): void {
  const dir = dirname(path);
  const owners = options.owners ?? defaultOwners();
  const problem =
    options.dirMode === undefined ? directoryProblem(dir, owners) : makeDirectory(dir, options.dirMode, owners);
  if (problem) throw new WriteError(path, problemText(problem));
  let tmp: string | undefined;
  try {
    const file = createExclusive(dir, basename(path), options.mode);
    tmp = file.path;
    try {
      shareWithDirectoryOwner(file.fd, dir);
      writeAll(file.fd, content);
      if (options.durable) fsyncSync(file.fd);
    } finally {
      closeSync(file.fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    if (tmp !== undefined) rmSync(tmp, { force: true });
    throw new WriteError(path, describeError(error));
  }
  if (options.durable) syncDir(dir);
}

// Makes a rename or an unlink in dir survive a power loss.
export function syncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return; // gone (nothing to sync), or not openable on this file system
  }
  try {
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory (EINVAL): nothing more can be done.
  } finally {
    closeSync(fd);
  }
}
