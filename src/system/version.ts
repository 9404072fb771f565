import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let version: string | null = null;

// The version in the package.json above the bundle (or the source tree): the one yargs
// prints for --version, found the same way. Status records carry it too.
export function agentVersion(): string {
  if (version !== null) return version;
  version = 'unknown';
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const path = join(dir, 'package.json');
    if (!existsSync(path)) continue;
    try {
      const pkg = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'rs-agent' && pkg.version) version = pkg.version;
    } catch {
      // an unreadable package.json: version unknown
    }
    break;
  }
  return version;
}
