import { readFileSync, writeFileSync } from 'node:fs';
import { AgentError } from '../errors.js';

// The seam for /proc/sys. Values are the kernel's text, trimmed; null when the file
// does not exist (the interface is not there).
export interface SysctlFs {
  read(path: string): string | null;
  write(path: string, value: string): void;
}

export function createSysctlFs(root = '/proc/sys'): SysctlFs {
  return {
    read(path) {
      try {
        return readFileSync(`${root}/${path}`, 'utf8').trim();
      } catch (error) {
        if (isCode(error, 'ENOENT')) return null;
        throw new AgentError(`cannot read ${root}/${path}: ${describe(error)}`);
      }
    },
    write(path, value) {
      try {
        writeFileSync(`${root}/${path}`, `${value}\n`);
      } catch (error) {
        throw new AgentError(`cannot write ${value} to ${root}/${path}: ${describe(error)}`);
      }
    },
  };
}

export function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === code;
}

export function describe(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const e = error as { code?: string; message?: string };
    if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied (run as root)';
    if (e.code === 'EROFS') return 'read-only file system';
    if (e.code) return `${e.code}: ${e.message ?? ''}`.trim();
    if (e.message) return e.message;
  }
  return String(error);
}
