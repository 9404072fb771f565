import { closeSync, constants, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isCode } from '../errors.js';
import { crypto } from './crypto.js';

export interface ExclusiveFile {
  fd: number; // open for reading and writing, at offset 0
  path: string;
}

// Creates a new file in dir that nobody else can have prepared: an unpredictable name
// (`<prefix>.<pid>.<random>.tmp`; the pid tells whose a leftover was), and O_EXCL with
// O_NOFOLLOW, so a symlink, a FIFO or a file planted at that name makes the open fail
// instead of being written through. The mode is less the umask.
export function createExclusive(dir: string, prefix: string, mode: number): ExclusiveFile {
  const flags = constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  for (let attempt = 1; ; attempt++) {
    const path = join(dir, `${prefix}.${process.pid}.${crypto().randomBytes(6).toString('hex')}.tmp`);
    try {
      return { fd: openSync(path, flags, mode), path };
    } catch (error) {
      // 48 random bits: a name taken by chance is next to impossible; three in a row are
      // someone guessing, and the name rs-agent opens is not theirs to choose.
      if (!isCode(error, 'EEXIST') || attempt === 3) throw error;
    }
  }
}

// Writes all of data from offset 0 with positional writes (pwrite), which leave the
// descriptor's own offset where it was: at 0, where a command given it as stdin reads.
export function writeAll(fd: number, data: string | Uint8Array): void {
  const buffer = typeof data === 'string' ? Buffer.from(data) : data;
  let written = 0;
  while (written < buffer.length) written += writeSync(fd, buffer, written, buffer.length - written, written);
}

// A command's input (an `ip -batch`, an nft ruleset) as a file only rs-agent can reach:
// created exclusively in dir (mode 0600), written whole, and unlinked before the command
// starts, which reads it as its stdin through the descriptor returned. Nothing planted
// or renamed in dir can change what the command reads; and unlike a pipe, a complete
// file: a command whose rs-agent was killed with SIGKILL still reads all of it, never a
// line cut where rs-agent died. The caller closes the descriptor once the command is done.
export function inputFile(dir: string, prefix: string, content: string): number {
  const file = createExclusive(dir, prefix, 0o600);
  try {
    writeAll(file.fd, content);
    return file.fd;
  } catch (error) {
    closeSync(file.fd);
    throw error;
  } finally {
    rmSync(file.path, { force: true });
  }
}
