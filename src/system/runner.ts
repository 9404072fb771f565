import type { Options } from 'execa';
import { onExit } from 'signal-exit';
import { AgentError, CommandNotFoundError } from '../errors.js';
import { CAP_SYS_MODULE, hasCapability } from './privileges.js';
import { decodeBytes, encodeBytes } from './byte-text.js';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

// The seam every external command goes through: an argv array, never a shell.
// Non-zero exits are returned, not thrown; the caller knows which ones it expects.
export interface Runner {
  run(argv: readonly string[], options?: RunOptions): Promise<CommandResult>;
  // Whether the commands it runs may load kernel modules (CAP_SYS_MODULE): a property of
  // the process they run as. A runner that does not say (a test's stand-in) may.
  canLoadModules?(): boolean;
}

export interface RunOptions {
  input?: string;
  // An open regular file given to the command as its stdin (see system/exclusive-file.ts's
  // inputFile), read from where its offset stands.
  stdinFile?: number;
  // Given to the child as its fd 3: the state-dir lock's open file description, so the
  // kernel keeps the lock held until this child has exited too (see state/lock.ts).
  lockFd?: number;
  // Overrides the runner's timeout for this command.
  timeoutMs?: number;
}

export interface RunnerOptions {
  // How long a command may run before it is killed; modprobe gets MODPROBE_FACTOR times it.
  timeoutMs?: number;
}

// An `ip -batch` of 10000 lines takes under a second; a command still running after
// 10 s is hung (a wedged netlink socket, a stuck NFS mount in PATH), not slow.
export const DEFAULT_TIMEOUT_MS = 10_000;
export const TIMEOUT_ENV = 'RS_AGENT_COMMAND_TIMEOUT';
// Loading a module reads it from disk and may run its init for a while.
const MODPROBE_FACTOR = 3;
// TERM first, so a command may finish writing; KILL if it ignores TERM.
const KILL_AFTER_MS = 1000;

// Runs commands with execa (no shell), in the C locale so error text is stable. Every
// command has a timeout: on expiry it is killed and the pass fails with one error
// naming it. Children are killed when rs-agent exits or is killed with TERM/INT/HUP.
export function createRunner(options: RunnerOptions = {}): Runner {
  const timeoutMs = options.timeoutMs ?? timeoutFromEnv();
  handleSignalsFromNow();
  return {
    run(argv, runOptions = {}) {
      const [file, ...args] = argv;
      if (file === undefined) throw new Error('empty argv');
      const limit = runOptions.timeoutMs ?? (file === 'modprobe' ? timeoutMs * MODPROBE_FACTOR : timeoutMs);
      return runProcess(file, args, runOptions, limit);
    },
    canLoadModules: () => hasCapability(CAP_SYS_MODULE),
  };
}

// execa kills its children when rs-agent exits or is killed (its cleanup, through
// signal-exit), but signal-exit catches signals only once loaded, which execa does at its
// first spawn: a TERM, INT or HUP arriving while that spawn returns (the child already
// running, the cleanup not yet registered) killed rs-agent with the child left running.
// Loaded from the runner's creation, the signal waits for the cleanup. Once: signal-exit
// unloads when its last callback goes, and this one stays.
let signalsHandled = false;
function handleSignalsFromNow(): void {
  if (signalsHandled) return;
  signalsHandled = true;
  onExit(() => undefined);
}

// RS_AGENT_COMMAND_TIMEOUT: seconds, a positive number.
export function timeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[TIMEOUT_ENV];
  if (text === undefined || text === '') return DEFAULT_TIMEOUT_MS;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new AgentError(`${TIMEOUT_ENV}=${JSON.stringify(text)}: must be a positive number of seconds`);
  }
  return Math.round(seconds * 1000);
}

async function runProcess(
  file: string,
  args: string[],
  { input, stdinFile, lockFd }: RunOptions,
  timeoutMs: number,
): Promise<CommandResult> {
  const stdin = stdinFile ?? (input === undefined ? 'ignore' : 'pipe');
  const { execa } = await loadExeca();
  const result = await execa(file, args, {
    env: { LC_ALL: 'C' },
    input: input === undefined ? undefined : encodeBytes(input),
    stdio: lockFd === undefined ? descriptors([stdin, 'pipe', 'pipe']) : withFd3([stdin, 'pipe', 'pipe'], lockFd),
    timeout: timeoutMs,
    forceKillAfterDelay: KILL_AFTER_MS,
    cleanup: true,
    reject: false,
    stripFinalNewline: false,
    // Bytes, decoded without loss: an interface name need not be UTF-8 (byte-text.ts).
    encoding: 'buffer',
    maxBuffer: 1 << 30,
  });
  if (result.timedOut) {
    throw new AgentError(
      `${[file, ...args].join(' ')}: no answer after ${formatSeconds(timeoutMs)}; killed it (${TIMEOUT_ENV} sets the limit)`,
    );
  }
  if (result.failed && result.exitCode === undefined) {
    const code = (result.cause as NodeJS.ErrnoException | undefined)?.code ?? result.code;
    if (code === 'ENOENT') throw new CommandNotFoundError(`${file}: command not found in PATH${hintFor(file)}`);
    if (result.signal) throw new AgentError(`cannot run ${file}: it was killed by ${result.signal}`);
    throw new AgentError(`cannot run ${file}: ${result.originalMessage ?? result.shortMessage}`);
  }
  return { exitCode: result.exitCode ?? 0, stdout: textOf(result.stdout), stderr: textOf(result.stderr) };
}

function textOf(output: unknown): string {
  return output instanceof Uint8Array ? decodeBytes(Buffer.from(output.buffer, output.byteOffset, output.length)) : '';
}

// execa takes a while to load: commands that run nothing (validate, install) skip it.
export const loadExeca = () => import('execa');

// execa's types take no plain descriptor number in stdio; at run time execa hands the
// array to node's spawn, which gives each number to the child as that fd.
export function withFd3(stdio: readonly ('ignore' | 'pipe' | number)[], fd: number): Options['stdio'] {
  return descriptors([...stdio, fd]);
}

function descriptors(stdio: readonly ('ignore' | 'pipe' | number)[]): Options['stdio'] {
  return stdio as unknown as Options['stdio'];
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function hintFor(file: string): string {
  if (file === 'ip') return ' (install iproute2)';
  if (file === 'modprobe') return ' (install kmod)';
  if (file === 'nft') return ' (install nftables)';
  return '';
}
