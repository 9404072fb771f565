import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AgentError, describeError } from '../errors.js';

export interface AtomicWriteOptions {
  mode: number; // of a new file, less the umask
  // Survives a power loss: the file's data reaches the disk before the rename, and the
  // directory's entry after it. Without it, a crash of rs-agent still leaves the old file
  // or the new (rename is atomic), but a crash of the machine may leave neither. Only
  // worth it on a disk: on tmpfs (/run) fsync does nothing, and the file is gone at boot.
  durable: boolean;
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

// Replaces a file so that a reader sees the old content or the new, never half: a temp
// file beside it (same file system, so rename is atomic), renamed over it. The temp
// file is removed on any failure.
export function writeFileAtomic(path: string, content: string | Uint8Array, options: AtomicWriteOptions): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, 'w', options.mode);
    try {
      writeFileSync(fd, content);
      if (options.durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw new WriteError(path, describeError(error));
  }
  if (options.durable) syncDir(dirname(path));
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
