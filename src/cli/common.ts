import type { AgentOptions } from '../agent.js';
import { AgentError } from '../errors.js';
import { clipText, escapeLines, escapeText } from '../render/escape.js';

export interface GlobalArgs {
  config: string;
  'state-dir': string;
  'allow-insecure-config': boolean;
}

// The options every library call takes, with the real seams.
export async function agentOptions(args: GlobalArgs): Promise<AgentOptions> {
  const [{ createRunner }, { createSysctlFs }] = await Promise.all([
    import('../system/runner.js'),
    import('../system/sysctl-fs.js'),
  ]);
  return {
    configPath: args.config,
    stateDir: args['state-dir'],
    runner: createRunner(),
    sysctlFs: createSysctlFs(),
    allowInsecureConfig: args['allow-insecure-config'],
  };
}

// Runs a command body; expected failures become one line on stderr and their exit
// status, anything else is a bug and keeps its stack.
export async function runCommand(body: () => Promise<number>): Promise<void> {
  toleratePipeClose();
  try {
    process.exitCode = await body();
  } catch (error) {
    if (error instanceof AgentError) {
      printError(error.message);
      process.exitCode = error.exitCode;
    } else {
      const { readableStack } = await import('../system/stack.js');
      printError(`internal error (please report): ${readableStack(error)}`);
      process.exitCode = 2;
    }
  }
}

// One line on stdout for a person, control characters escaped (render/escape.ts).
export function print(line = ''): void {
  if (process.stdout.writable) process.stdout.write(`${escapeText(line)}\n`);
}

// Many lines in one write (a start of 10000 VIPs reports 20000), each escaped.
export function printLines(lines: readonly string[]): void {
  if (lines.length > 0 && process.stdout.writable) process.stdout.write(`${escapeLines(lines)}\n`);
}

// A line of progress on stderr (drain's, before stop), escaped like print's: stdout stays
// what the command prints.
export function printProgress(line: string): void {
  process.stderr.write(`${escapeText(clipText(line))}\n`);
}

// A message on stderr, "rs-agent: " first, control characters escaped. A message of
// several lines (import's notes, a stack) keeps them, each further line indented: no
// text in it can start a line of its own, where journald would read a "<3>" priority.
export function printError(message: string): void {
  const [first = '', ...rest] = message.split('\n').map((text) => escapeText(clipText(text)));
  const more = rest.map((text) => (/^\s/.test(text) ? text : `  ${text}`));
  process.stderr.write(`rs-agent: ${[first, ...more].join('\n')}\n`);
}

export function printJson(value: unknown): void {
  if (process.stdout.writable) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

// A reader that goes away (`rs-agent status | head -1`, `check | true`) closes the
// pipe: the write fails with EPIPE and Node destroys stdout. That is no failure of
// the command: it finishes, exit status unchanged, with nothing more written to
// stdout (a destroyed stream is no longer writable). Any other stdout error is one.
export function toleratePipeClose(): void {
  if (process.stdout.listeners('error').includes(onStdoutError)) return;
  process.stdout.on('error', onStdoutError);
}

function onStdoutError(error: NodeJS.ErrnoException): void {
  if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
  throw error;
}
