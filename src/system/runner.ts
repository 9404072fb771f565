import { spawn } from 'node:child_process';
import { AgentError } from '../errors.js';

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

// The seam every external command goes through: an argv array, never a shell.
// Non-zero exits are returned, not thrown; the caller knows which ones it expects.
export interface Runner {
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
}

export interface RunOptions {
  input?: string;
  // Told the child's pid as soon as it exists (the state-dir lock records it).
  onSpawn?: (pid: number) => void;
}

// Runs commands with node's own spawn (no shell), in the C locale so error text is
// stable. rs-agent runs at most a few commands a pass, each with all its output read
// at once, so it needs none of execa's features; execa took a fifth of a converged
// `check` to load and to run one command (see the Performance section of the README).
export function createRunner(): Runner {
  return {
    run(argv, options = {}) {
      const [file, ...args] = argv;
      if (file === undefined) throw new Error('empty argv');
      return runProcess(file, args, options);
    },
  };
}

function runProcess(file: string, args: string[], { input, onSpawn }: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: { ...process.env, LC_ALL: 'C' },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) onSpawn?.(child.pid);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') reject(new AgentError(`${file}: command not found in PATH${hintFor(file)}`));
      else reject(new AgentError(`cannot run ${file}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      if (code === null) {
        reject(new AgentError(`cannot run ${file}: it was killed by ${signal ?? 'a signal'}`));
        return;
      }
      resolve({ exitCode: code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
    if (child.stdin) {
      // A command that exits without reading all its input (EPIPE) is judged by its exit status.
      child.stdin.on('error', () => {});
      child.stdin.end(input);
    }
  });
}

function hintFor(file: string): string {
  if (file === 'ip') return ' (install iproute2)';
  if (file === 'modprobe') return ' (install kmod)';
  return '';
}
