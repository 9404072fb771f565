import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { isCode } from '../errors.js';

// A small file rs-agent wrote and reads back (a record, a file it is about to replace):
// its text; null when there is none; '' (no file of rs-agent's) when over maxBytes.
// Opened without following a symlink and without blocking on a FIFO, so whatever is
// planted there neither redirects the read nor hangs the reader; not a regular file: an
// error.
export function readSmallFile(path: string, maxBytes: number): string | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if (isCode(error, 'ENOENT')) return null;
    throw error;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new Error('not a regular file');
    return stats.size > maxBytes ? '' : readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
