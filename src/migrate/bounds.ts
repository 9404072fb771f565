import { formatSize } from '../config/read-file.js';
import { AgentError } from '../errors.js';

// The limits of rs-agent import. A real init script is a few KB, a few hundred lines,
// and expands in a few hundred steps; a hostile or broken one (a loop over a loop over
// a list, functions calling each other twice, a variable doubled again and again) would
// otherwise hang import or exhaust its memory. Past any limit import stops with the line.

export const MAX_SCRIPT_BYTES = 1024 * 1024;
// One line, its continuation lines and a multi-line array joined.
export const MAX_LINE = 16 * 1024;
// What the expansions of one line add up to.
export const MAX_EXPANSION = 64 * 1024;
// Functions calling each other and loops inside loops, and functions defined inside
// functions (each level is a frame on import's own stack).
export const MAX_DEPTH = 100;
// About one step per character read again, expanded or compared, and per variable
// looked through; the budget is the import's, across every statement, call, loop and
// match. Reading each line once is not counted: MAX_SCRIPT_BYTES bounds that.
export const MAX_STEPS = 2_000_000;

const BY_HAND = 'rs-agent import stops here; translate it by hand';

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

// The work left for one import, and the line being read, which an error names. Every
// part of import that can be made to repeat itself spends from it.
export class Budget {
  line = 0;
  private depth = 0;
  private left: number;
  private readonly walked = new WeakSet<object>();

  constructor(readonly steps = MAX_STEPS) {
    this.left = steps;
  }

  spend(steps: number): void {
    this.left -= steps;
    if (this.left < 0)
      throw new ScriptBoundError(
        this.line,
        `expanding this script takes more than ${this.steps} steps (functions calling each other, loops): ${BY_HAND}`,
      );
  }

  // A statement walked: the first time is part of reading the script, every later time
  // (a function called again, a loop's next pass) is paid for by its length.
  walk(statement: { line: number; text: string }): void {
    this.line = statement.line;
    if (this.walked.has(statement)) this.spend(1 + statement.text.length);
    else this.walked.add(statement);
  }

  // Runs a function body or a loop's pass one level deeper.
  nested<T>(body: () => T): T {
    if (this.depth >= MAX_DEPTH)
      throw new ScriptBoundError(this.line, `functions and loops nest more than ${MAX_DEPTH} deep here: ${BY_HAND}`);
    this.depth++;
    try {
      return body();
    } finally {
      this.depth--;
    }
  }

  // The expansions of the current line have added up to `length` characters.
  expanded(length: number): void {
    if (length > MAX_EXPANSION)
      throw new ScriptBoundError(
        this.line,
        `this line expands to more than ${MAX_EXPANSION} characters (a variable built from itself?): ${BY_HAND}`,
      );
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
