import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// docs/configuration.md, the configuration reference, and the keys in the first column of its
// table under "## Keys".
export const REFERENCE = readFileSync(join(import.meta.dirname, '../../docs/configuration.md'), 'utf8');

export function documentedKeys(): string[] {
  const section = REFERENCE.split(/^## /m).find((s) => s.startsWith('Keys\n')) ?? '';
  return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1] as string);
}
