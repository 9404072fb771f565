import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { directoryProblem, executableProblem, problemText } from '../system/trusted-path.js';

// The units `install` writes run the rs-agent that ran it, as root, at every boot.
// Whoever can change that file, a directory on the way to it, a symlink it passes, or
// the interpreter its #! line names, runs code as root: install refuses such a path
// (see install.ts) unless told --allow-unsafe-path.

// systemd's default PATH for services (`systemd-path search-binaries-default`): where
// `#!/usr/bin/env node` finds node when a unit runs the bundle.
export const SERVICE_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

// Every reason someone other than root could change what ExecStart=binary runs: the
// file and the way to it, then the interpreter of a #! line (for `env PROG`, the PROG
// it finds first on the service PATH, and every PATH directory it looks in before).
// Each path is followed as the kernel follows it (system/trusted-path.ts): every
// directory looked in, every symlink met, and the file reached must be root's (or the
// running user's) and writable by no one else; a sticky directory such as /tmp is fine
// on the way, what is in it being checked in turn. Not the service user's: it must not
// be able to change what root runs.
export function binaryPathProblems(binary: string): string[] {
  const euid = process.geteuid?.() ?? 0;
  const owners = euid === 0 ? [0] : [0, euid];
  const problems: string[] = [];
  const reach = (path: string): string | null => {
    const { problem, file } = executableProblem(path, owners);
    if (problem) problems.push(problemText(problem));
    return file;
  };
  const file = reach(binary);
  const interpreter = file === null ? null : shebang(file);
  if (interpreter === null) return problems;
  const realInterpreter = reach(interpreter.path);
  if (realInterpreter !== null && basename(realInterpreter) === 'env' && interpreter.program) {
    for (const dir of SERVICE_PATH) {
      const problem = directoryProblem(dir, owners);
      if (problem) {
        problems.push(problemText(problem));
        continue;
      }
      const candidate = join(dir, interpreter.program);
      if (exists(candidate)) {
        reach(candidate);
        break;
      }
    }
  }
  return [...new Set(problems)];
}

// The interpreter a #! line names, and for `env [options] PROG` the program it runs.
function shebang(file: string): { path: string; program: string | null } | null {
  const head = Buffer.alloc(256);
  const fd = openSync(file, 'r');
  let length: number;
  try {
    length = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const line = head.toString('utf8', 0, length).split('\n')[0] as string;
  if (!line.startsWith('#!')) return null;
  const [path, ...args] = line.slice(2).trim().split(/\s+/);
  if (!path) return null;
  const program = basename(path) === 'env' ? (args.find((a) => !a.startsWith('-')) ?? null) : null;
  return { path, program };
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

// The path as an Exec line takes it (systemd.service(5), "Command lines"): '%' starts a
// specifier, so it is doubled; a path with a space is quoted. systemd refuses an
// executable whose path has a quote, a backslash or a control character (and a unit
// file must be UTF-8): such a path cannot be named at all. Null then.
export function unitExecPath(binary: string): string | null {
  if (!binary.startsWith('/') || /["'\\\p{Cc}\ufffd\ud800-\udfff]/u.test(binary)) return null;
  const escaped = binary.replaceAll('%', '%%');
  return /\s/.test(escaped) ? `"${escaped}"` : escaped;
}
