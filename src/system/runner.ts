import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Options } from 'execa';
import { onExit } from 'signal-exit';
import { AgentError } from '../errors.js';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

// The seam every external command goes through: an argv array, never a shell.
// Non-zero exits are returned, not thrown; the caller knows which ones it expects.
export interface Runner {
  run(argv: readonly string[], options?: RunOptions): Promise<CommandResult>;
}

export interface RunOptions {
  input?: string;
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

// Runs commands (no shell) with node's child_process, in the C locale so error text is
// stable. Every command has a timeout: on expiry it is killed (TERM, then KILL) and the
// pass fails with one error naming it. Children are killed when rs-agent exits or is
// killed with TERM/INT/HUP (signal-exit, as execa's cleanup does). Not execa itself: its
// loading and its streams cost a converged `check` more than the rest of its own work.
export function createRunner(options: RunnerOptions = {}): Runner {
  const timeoutMs = options.timeoutMs ?? timeoutFromEnv();
  return {
    run(argv, runOptions = {}) {
      const [file, ...args] = argv;
      if (file === undefined) throw new Error('empty argv');
      const limit = runOptions.timeoutMs ?? (file === 'modprobe' ? timeoutMs * MODPROBE_FACTOR : timeoutMs);
      return runProcess(file, args, runOptions, limit);
    },
  };
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

function runProcess(file: string, args: string[], { input, lockFd }: RunOptions, timeoutMs: number) {
  return new Promise<CommandResult>((resolve, reject) => {
    const stdio: StdioOptions = [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'];
    if (lockFd !== undefined) stdio.push(lockFd);
    // Before the child exists: a TERM that comes once it does finds the handler in place
    // (node runs it after spawn has returned).
    const forget = onExit(() => {
      child.kill();
    });
    const child = spawn(file, args, { env: { ...process.env, LC_ALL: 'C' }, stdio });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    const deadline = killAfter(child, timeoutMs);
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      deadline.clear();
      forget();
      outcome();
    };
    child.once('error', (error: NodeJS.ErrnoException) => settle(() => reject(spawnError(file, error))));
    child.once('close', (code, signal) =>
      settle(() => {
        if (deadline.expired) {
          const command = [file, ...args].join(' ');
          reject(
            new AgentError(
              `${command}: no answer after ${formatSeconds(timeoutMs)}; killed it (${TIMEOUT_ENV} sets the limit)`,
            ),
          );
        } else if (code === null) reject(new AgentError(`cannot run ${file}: it was killed by ${signal}`));
        else
          resolve({
            exitCode: code,
            stdout: Buffer.concat(stdout).toString(),
            stderr: Buffer.concat(stderr).toString(),
          });
      }),
    );
    if (input !== undefined && child.stdin) {
      // A command that exits without reading all of it closes the pipe: not a failure.
      child.stdin.on('error', () => {});
      child.stdin.end(input);
    }
  });
}

// TERM once the time is up, KILL if the command is still there KILL_AFTER_MS later.
function killAfter(child: ChildProcess, timeoutMs: number): { readonly expired: boolean; clear(): void } {
  let expired = false;
  let kill: NodeJS.Timeout | undefined;
  const term = setTimeout(() => {
    expired = true;
    child.kill('SIGTERM');
    kill = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
  }, timeoutMs);
  return {
    get expired() {
      return expired;
    },
    clear() {
      clearTimeout(term);
      clearTimeout(kill);
    },
  };
}

function spawnError(file: string, error: NodeJS.ErrnoException): AgentError {
  if (error.code === 'ENOENT') return new AgentError(`${file}: command not found in PATH${hintFor(file)}`);
  return new AgentError(`cannot run ${file}: ${error.message}`);
}

// execa takes a while to load: only what needs more than the runner (the flock lock) loads it.
export const loadExeca = () => import('execa');

// execa's types accept a descriptor number only for fds 0-2; at run time it hands the
// array to node's spawn, which gives any number to the child as that fd.
export function withFd3(stdio: readonly ('ignore' | 'pipe')[], fd: number): Options['stdio'] {
  return [...stdio, fd] as unknown as Options['stdio'];
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
