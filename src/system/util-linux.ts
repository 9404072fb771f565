import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

// util-linux's flock and setpriv are rs-agent's own machinery, not commands the
// operator chooses: found on PATH, else where Debian and its kin install them, so a
// PATH without them still reports the command the operator cares about (ip).
const FALLBACK_DIRS = ['/usr/bin', '/bin'];

export function utilLinux(name: 'flock' | 'setpriv', path = process.env.PATH ?? ''): string {
  for (const dir of [...path.split(delimiter).filter(Boolean), ...FALLBACK_DIRS]) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return name; // reported as not found when run
}
