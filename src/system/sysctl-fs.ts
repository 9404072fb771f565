import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { AgentError, describeError, isCode } from '../errors.js';
import { encodeBytes } from './byte-text.js';

// The seam for /proc/sys. Values are the kernel's text, trimmed; null when the file
// does not exist (the interface is not there).
export interface SysctlFs {
  read(path: string): string | null;
  write(path: string, value: string): void;
  // A reader kept open for re-reading one file often (the daemon's sysctl watch).
  openReader?(path: string): SysctlReader;
}

export interface SysctlReader {
  read(): string | null; // null: gone or unreadable
  close(): void;
}

export function createSysctlFs(root = '/proc/sys'): SysctlFs {
  return {
    read(path) {
      try {
        return readFileSync(fileOf(root, path), 'utf8').trim();
      } catch (error) {
        if (isCode(error, 'ENOENT')) return null;
        throw new AgentError(`cannot read ${root}/${path}: ${describeError(error)}`);
      }
    },
    // One pread per re-read instead of open, read and close: a /proc/sys file reads
    // from offset 0 afresh each time. An interface that goes away fails the read.
    openReader(path) {
      let fd: number | null = null;
      try {
        fd = openSync(fileOf(root, path), 'r');
      } catch {
        fd = null;
      }
      const buf = Buffer.alloc(64);
      return {
        read: () => {
          if (fd === null) return null;
          try {
            return buf.toString('utf8', 0, readSync(fd, buf, 0, buf.length, 0)).trim();
          } catch {
            return null;
          }
        },
        close: () => {
          if (fd !== null) closeSync(fd);
          fd = null;
        },
      };
    },
    write(path, value) {
      try {
        writeFileSync(fileOf(root, path), `${value}\n`);
      } catch (error) {
        throw new AgentError(`cannot write ${value} to ${root}/${path}: ${describeError(error)}`);
      }
    },
  };
}

// The file's name as bytes: a device's name need not be UTF-8 (see byte-text.ts).
function fileOf(root: string, path: string): Buffer {
  return encodeBytes(`${root}/${path}`);
}
