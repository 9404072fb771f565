import { closeSync, lstatSync, openSync, readlinkSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ownerProblem } from '../config/read-file.js';
import { describeError, isCode } from '../errors.js';

// The units `install` writes run the rs-agent that ran it, as root, at every boot.
// Whoever can change that file, a directory on the way to it, a symlink it passes, or
// the interpreter its #! line names, runs code as root: install refuses such a path
// (see install.ts) unless told --allow-unsafe-path.

// systemd's default PATH for services (`systemd-path search-binaries-default`): where
// `#!/usr/bin/env node` finds node when a unit runs the bundle.
export const SERVICE_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const MAX_SYMLINKS = 40; // the kernel's own limit when it follows a path

// Every reason someone other than root could change what ExecStart=binary runs: the
// file and the way to it, then the interpreter of a #! line (for `env PROG`, the PROG
// it finds first on the service PATH, and every PATH directory it looks in before).
export function binaryPathProblems(binary: string): string[] {
  const problems: string[] = [];
  const file = checkPath(binary, problems);
  const interpreter = file === null ? null : shebang(file);
  if (interpreter === null) return problems;
  const realInterpreter = checkPath(interpreter.path, problems);
  if (realInterpreter !== null && basename(realInterpreter) === 'env' && interpreter.program) {
    for (const dir of SERVICE_PATH) {
      const candidate = join(dir, interpreter.program);
      if (checkDirectory(dir, problems) && exists(candidate)) {
        checkPath(candidate, problems);
        break;
      }
    }
  }
  return problems;
}

// Follows path as the kernel does, component by component and through each symlink:
// every directory looked in, every symlink met, and the file reached must be root's (or
// the running user's) and writable by no one else (a sticky directory such as /tmp is
// fine: what is in it is checked in turn). Returns the file reached, or null.
function checkPath(path: string, problems: string[]): string | null {
  let dir = '/';
  let todo = path.split('/');
  let links = 0;
  while (todo.length > 0) {
    const name = todo.shift() as string;
    if (name === '' || name === '.') continue;
    if (name === '..') {
      dir = dirname(dir);
      continue;
    }
    if (!checkDirectory(dir, problems)) return null;
    const next = join(dir, name);
    let stats;
    try {
      stats = lstatSync(next);
    } catch (error) {
      // Not there (yet): only who can write the directory checked above could put it there.
      if (!isCode(error, 'ENOENT')) problems.push(`${next}: ${describeError(error)}`);
      return null;
    }
    if (stats.isSymbolicLink()) {
      // A symlink's mode means nothing; its owner may replace it where the directory is sticky.
      if (stats.uid !== 0 && stats.uid !== process.getuid?.())
        problems.push(`symlink ${next} is owned by uid ${stats.uid}`);
      if (++links > MAX_SYMLINKS) {
        problems.push(`${path}: more than ${MAX_SYMLINKS} symlinks`);
        return null;
      }
      const target = readlinkSync(next);
      if (target.startsWith('/')) dir = '/';
      todo = [...target.split('/'), ...todo];
      continue;
    }
    dir = next;
  }
  const stats = statSync(dir);
  if (!stats.isFile()) {
    problems.push(`${dir} is not a regular file`);
    return null;
  }
  const owner = ownerProblem(dir, stats);
  if (owner) problems.push(owner);
  return dir;
}

function checkDirectory(dir: string, problems: string[]): boolean {
  let stats;
  try {
    stats = statSync(dir);
  } catch (error) {
    problems.push(`${dir}: ${describeError(error)}`);
    return false;
  }
  const owner = ownerProblem(`directory ${dir}`, stats);
  if (owner && !problems.includes(owner)) problems.push(owner);
  return true;
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
