import { formatSize } from '../config/read-file.js';
import { AgentError } from '../errors.js';

// The limits of rs-agent import. A real init script is a few KB and a few hundred short
// lines; a hostile or broken one would otherwise exhaust import's memory or time. Past
// a limit within the script import stops with the line.

export const MAX_SCRIPT_BYTES = 1024 * 1024;
// One line, its continuation lines and a multi-line array joined.
export const MAX_LINE = 16 * 1024;

// A script past one of the limits: its line and which limit.
export class ScriptBoundError extends AgentError {
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`);
    this.name = 'ScriptBoundError';
  }
}

// A script larger than import reads, refused before anything else is done with it.
export function scriptTooLarge(source: string, bytes: number): AgentError {
  return new AgentError(
    `import ${source}: is ${formatSize(bytes)}; rs-agent import reads at most ${formatSize(MAX_SCRIPT_BYTES)} (an init script is a few KB)`,
  );
}

// A line (continuation lines and a multi-line array joined) longer than import reads.
export function lineTooLong(line: number, length: number): ScriptBoundError {
  return new ScriptBoundError(
    line,
    `this line is ${length} characters long, more than the ${MAX_LINE} rs-agent import reads (continuation lines included): translate it by hand`,
  );
}
