import { execa } from 'execa';
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

// Runs commands with execa, in the C locale so error text is stable.
export function createRunner(): Runner {
  return {
    async run(argv, options = {}) {
      const [file, ...args] = argv;
      if (file === undefined) throw new Error('empty argv');
      const subprocess = execa(file, args, {
        reject: false,
        input: options.input,
        stdin: options.input === undefined ? 'ignore' : undefined,
        env: { LC_ALL: 'C' },
        stripFinalNewline: false,
      });
      if (subprocess.pid !== undefined) options.onSpawn?.(subprocess.pid);
      const result = await subprocess;
      if (result.failed && result.exitCode === undefined) {
        const code = (result as { code?: string }).code;
        if (code === 'ENOENT') {
          throw new AgentError(`${file}: command not found in PATH${hintFor(file)}`);
        }
        throw new AgentError(`cannot run ${file}: ${result.shortMessage ?? result.message}`);
      }
      return { exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr };
    },
  };
}

function hintFor(file: string): string {
  if (file === 'ip') return ' (install iproute2)';
  if (file === 'modprobe') return ' (install kmod)';
  return '';
}
