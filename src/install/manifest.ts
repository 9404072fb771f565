import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AgentError, describeError, isCode } from '../errors.js';

// What `install` wrote: each file's path in the target tree and the SHA-256 of the
// content it wrote, so `uninstall` removes exactly that and nothing an operator edited.
export const MANIFEST = '/etc/rs-agent/installed.json';

export interface Manifest {
  version: 1;
  files: Record<string, string>; // path → sha256 hex
}

export function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export function readManifest(file: string): Manifest | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (isCode(error, 'ENOENT')) return null;
    throw new AgentError(`cannot read ${file}: ${describeError(error)}`);
  }
  const value = safeParse(text) as Partial<Manifest> | null;
  const files = value?.files;
  if (
    value?.version !== 1 ||
    typeof files !== 'object' ||
    files === null ||
    Object.values(files).some((h) => typeof h !== 'string')
  ) {
    throw new AgentError(`${file} is not a manifest rs-agent wrote; move it away to start over`);
  }
  return { version: 1, files };
}

export function renderManifest(files: Record<string, string>): string {
  return `${JSON.stringify({ version: 1, files }, null, 2)}\n`;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
