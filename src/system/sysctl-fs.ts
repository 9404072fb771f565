import { readFileSync, writeFileSync } from 'node:fs';
import { AgentError, describeError, isCode } from '../errors.js';

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
        throw new AgentError(`cannot read ${root}/${path}: ${describeError(error)}`);
      }
    },
    write(path, value) {
      try {
        writeFileSync(`${root}/${path}`, `${value}\n`);
      } catch (error) {
        throw new AgentError(`cannot write ${value} to ${root}/${path}: ${describeError(error)}`);
      }
    },
  };
}
