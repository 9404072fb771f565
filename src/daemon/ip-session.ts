import { readSync } from 'node:fs';
import { IP_BATCH_ARGV } from '../apply/ip-batch.js';
import { AgentError } from '../errors.js';
import type { AgentOptions } from '../agent.js';
import { OBSERVE_ARGV } from '../observe/observe.js';
import { PassLock } from '../state/pass-lock.js';
import { encodeBytes } from '../system/byte-text.js';
import { LineChild, NoAnswerError } from '../system/line-child.js';
import { timeoutFromEnv, TIMEOUT_ENV, type CommandResult, type Runner, type RunOptions } from '../system/runner.js';

// The daemon's `ip -batch` runs without a process each: one long-lived `ip -force -json
// -batch -`, fed through a pipe, reads the host (OBSERVE_ARGV's input) and applies small
// batches (IP_BATCH_ARGV's) for every pass. It has the pass lock's descriptor as its fd 3
// (state/pass-lock.ts), the same description a pass locks, so a batch it is given keeps the
// lock held after a killed daemon until it has run, as a batch's own `ip` does.
//
// Why a pipe is safe here where ip-batch.ts feeds a file: a batch goes to the session only
// when it and the request's end line fit PIPE_BUF, and Linux writes that much into a pipe in
// one piece. Killed while writing it, the daemon has given ip all of the batch or none, never
// a line cut short. Larger batches still run as their own `ip` reading a file.
const PIPE_BUF = 4096;
// Ends every request: `ip` always fails on it, with "Command failed -:N", N its line:
// output up to that line is the request's whole answer (stderr is merged into stdout, in
// the order ip wrote them).
const END_LINE = 'addr show dev ""';
// The most of a batch that goes to the session: with END_LINE, one write of PIPE_BUF at most.
const MAX_BATCH = PIPE_BUF - END_LINE.length - 1;
const SESSION_COMMAND = 'ip -force -json -batch -';
const SESSION_ARGV = ['sh', '-c', `exec ${SESSION_COMMAND} 2>&1`];

export class IpSession {
  private child: LineChild | null = null;
  private lineCount = 0; // lines the current child has been given: its numbering

  constructor(
    private readonly lockFd: () => number | null,
    private readonly timeoutMs = timeoutFromEnv(),
  ) {}

  // Runs a batch (lines, each ending in a newline); the output lines it printed (JSON, or
  // errors renumbered from 1 as if it were a batch of its own).
  async run(batch: Buffer): Promise<string[]> {
    const child = this.start();
    const first = this.lineCount + 1;
    let end = first;
    for (let i = batch.indexOf(10); i !== -1; i = batch.indexOf(10, i + 1)) end++;
    this.lineCount = end;
    const marker = `Command failed -:${end}`;
    const input = Buffer.concat([batch, Buffer.from(`${END_LINE}\n`)]);
    let out: string[];
    try {
      out = await child.request(input, (got) => got.includes(marker), this.timeoutMs);
    } catch (error) {
      this.stop();
      // Said as the runner says a one-off command's timeout, and what becomes of the child.
      if (error instanceof NoAnswerError)
        throw new AgentError(`${error.message}; the next pass starts another (${TIMEOUT_ENV} sets the limit)`);
      throw error;
    }
    const answer = out.slice(0, out.indexOf(marker));
    if (answer[answer.length - 1]?.startsWith('Device ""')) answer.pop();
    return answer.map((line) => {
      const failed = /^Command failed -:(\d+)$/.exec(line);
      return failed ? `Command failed -:${Number(failed[1]) - first + 1}` : line;
    });
  }

  stop(): void {
    this.child?.stop();
    this.child = null;
  }

  private start(): LineChild {
    if (this.child?.alive) return this.child;
    const fd = this.lockFd();
    this.child = new LineChild({
      argv: SESSION_ARGV,
      ...(fd === null ? {} : { fd3: fd }),
      name: `${SESSION_COMMAND} (long-lived)`,
    });
    this.lineCount = 0;
    return this.child;
  }
}

// A runner that sends the observation and the small batches of a pass holding lockFd to
// the session, and everything else to base.
export function sessionRunner(base: Runner, session: IpSession, lockFd: () => number | null): Runner {
  return {
    ...base,
    async run(argv, options: RunOptions = {}): Promise<CommandResult> {
      if (same(argv, OBSERVE_ARGV) && options.input !== undefined && options.lockFd === undefined) {
        let out: string[];
        try {
          out = await session.run(encodeBytes(options.input));
        } catch {
          return base.run(argv, options); // reading changes nothing: a process of its own then
        }
        const json = out.filter((l) => l.startsWith('['));
        const other = out.filter((l) => !l.startsWith('['));
        return { exitCode: other.length ? 1 : 0, stdout: json.map((l) => `${l}\n`).join(''), stderr: other.join('\n') };
      }
      const held = lockFd();
      if (same(argv, IP_BATCH_ARGV) && options.stdinFile !== undefined && held !== null && options.lockFd === held) {
        const batch = readSmall(options.stdinFile);
        if (batch !== null) {
          const out = await session.run(batch);
          const failed = out.some((l) => l.startsWith('Command failed'));
          return { exitCode: failed ? 1 : 0, stdout: '', stderr: out.map((l) => `${l}\n`).join('') };
        }
      }
      return base.run(argv, options);
    },
  };
}

function same(argv: readonly string[], expected: readonly string[]): boolean {
  return argv.length === expected.length && argv.every((a, i) => a === expected[i]);
}

// The batch file's bytes when they are MAX_BATCH at most, else null. Read with pread from
// 0, leaving the descriptor's offset where a command would start reading.
function readSmall(fd: number): Buffer | null {
  const buffer = Buffer.alloc(MAX_BATCH + 1);
  let length = 0;
  for (;;) {
    const n = readSync(fd, buffer, length, buffer.length - length, length);
    length += n;
    if (n === 0 || length === buffer.length) break;
  }
  if (length > MAX_BATCH || (length > 0 && buffer[length - 1] !== 10)) return null;
  return buffer.subarray(0, length);
}

// What a daemon pass runs through, and how to let it go when the daemon stops.
export interface PassAgent {
  agent: Partial<Pick<AgentOptions, 'runner' | 'acquireLock'>>;
  close(): void;
}

// The pass lock and the session, wired: a session holds the lock's descriptor as its fd 3,
// and goes with it when the lock lets its descriptor go.
export function longLivedPass(agent: Pick<AgentOptions, 'runner' | 'stateDir'>): PassAgent {
  const lock = new PassLock(agent.stateDir);
  const held = () => lock.descriptor;
  const session = new IpSession(held);
  lock.onDrop(() => session.stop());
  return {
    agent: {
      runner: sessionRunner(agent.runner, session, held),
      acquireLock: (_dir, options) => lock.acquire(typeof options === 'number' ? { waitMs: options } : options),
    },
    close: () => {
      lock.close();
      session.stop();
    },
  };
}
