import { formatSize } from '../config/read-file.js';
import { AgentError } from '../errors.js';

// The limits of rs-agent import. A real init script is a few KB; a file far larger is a
// mistake or an attack, and read whole it would exhaust import's memory.

export const MAX_SCRIPT_BYTES = 1024 * 1024;

// A script larger than import reads, refused before anything else is done with it.
export function scriptTooLarge(source: string, bytes: number): AgentError {
  return new AgentError(
    `import ${source}: is ${formatSize(bytes)}; rs-agent import reads at most ${formatSize(MAX_SCRIPT_BYTES)} (an init script is a few KB)`,
  );
}
