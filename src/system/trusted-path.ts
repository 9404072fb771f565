import { chmodSync, lstatSync, mkdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { describeError, isCode } from '../errors.js';
import { serviceAccount } from './service-user.js';

// Who may own a directory rs-agent writes in, and every directory above it: whoever
// owns one can rename what rs-agent wrote there and put a symlink or a FIFO in its
// place. As sshd's StrictModes accepts a home owned by root or by the user itself: root,
// and the user rs-agent runs as; run as root, also the service user the packaged units
// run the daemon as (system/service-user.ts), whose state directory root shares.
export type Owners = readonly number[];

export function defaultOwners(passwd?: string): Owners {
  const euid = process.geteuid?.() ?? 0;
  if (euid !== 0) return [0, euid];
  const service = serviceAccount(passwd);
  return service ? [0, service.uid] : [0];
}

// What is wrong with a path, naming the component at fault (the directory itself or
// one above it) and why, e.g. "/tmp/x is owned by uid 1000 (bob) and mode 0777: ...".
export interface PathProblem {
  path: string;
  reason: string;
}

export function problemText(problem: PathProblem): string {
  return `${problem.path} ${problem.reason}`;
}

// The problem with `target` for a message that names it as `subject`: "state directory
// /x is owned by ..." when the problem is target itself, else "state directory /x/state:
// /x is owned by ...".
export function explainProblem(subject: string, target: string, problem: PathProblem): string {
  if (problem.path === resolve(target)) return `${subject} ${problem.reason}`;
  return `${subject}: ${problemText(problem)}`;
}

// The kernel gives up after 40 symlinks in one lookup (ELOOP); so does this.
const MAX_LINKS = 40;

interface Walk {
  problem: PathProblem | null;
  // The directories below the deepest one that exists, outermost first.
  missing: string[];
}

// Checks a directory as sshd's StrictModes checks a home: it and each directory above
// it (symlinks followed, and each link itself) owned by one of owners and writable by
// no one else. An ancestor owned by root with the sticky bit (/tmp, /dev/shm) is
// accepted although everyone may write it: there others cannot rename or delete an
// entry they do not own, so the next component, checked in its turn, stays put. The
// directory itself may not be one: whoever can create names in it can plant them.
// A missing directory is no problem (see makeDirectory).
export function directoryProblem(dir: string, owners: Owners = defaultOwners()): PathProblem | null {
  return walk(dir, owners).problem;
}

// Creates what is missing of dir (mode exactly `mode`, whatever the umask), once every
// directory that exists above it has passed the check; then checks the whole again.
export function makeDirectory(dir: string, mode: number, owners: Owners = defaultOwners()): PathProblem | null {
  const { problem, missing } = walk(dir, owners);
  if (problem) return problem;
  for (const path of missing) {
    try {
      mkdirSync(path, { mode });
      chmodSync(path, mode);
    } catch (error) {
      // Made meanwhile by someone allowed to write the parent: the check below decides.
      if (!isCode(error, 'EEXIST')) return { path, reason: `cannot be created: ${describeError(error)}` };
    }
  }
  return missing.length > 0 ? walk(dir, owners).problem : null;
}

// A file rs-agent has something run (the binary a unit's ExecStart names, its interpreter):
// the way to it checked as directoryProblem checks a directory's (every directory and every
// symlink on it, as the kernel follows them), and the file itself, where it exists, owned by
// one of owners and writable by no one else. file: where the path led (null when missing or
// refused).
export function executableProblem(
  path: string,
  owners: Owners = defaultOwners(),
): { problem: PathProblem | null; file: string | null } {
  const { problem, missing, file } = walk(path, owners, true);
  if (problem) return { problem, file: null };
  if (missing.length > 0 || file === undefined) return { problem: null, file: null };
  return { problem: check(file, owners, false), file };
}

// dir: the directory to check. fileAtEnd: the path's last component (where symlinks lead)
// may be a file, which is returned as `file` unchecked.
function walk(dir: string, owners: Owners, fileAtEnd = false): Walk & { file?: string } {
  const root = check('/', owners, false);
  if (root) return { problem: root, missing: [] };
  let links = 0;
  let file: string | undefined;
  // Resolves `path` from the checked directory `from` as the kernel would, component by
  // component, following symlinks; every directory met is checked as an ancestor. last: the
  // path ends where the whole path ends (its last component may be the file).
  const follow = (from: string, path: string, last: boolean): Walk | string => {
    const parts = path.split('/').filter((p) => p !== '' && p !== '.');
    let current = from;
    for (const [i, name] of parts.entries()) {
      const atEnd = last && i === parts.length - 1;
      if (name === '..') {
        current = dirname(current); // current is a real path: its parent was checked on the way
        continue;
      }
      const next = join(current, name);
      let stats: Stats;
      try {
        stats = lstatSync(next);
      } catch (error) {
        if (isCode(error, 'ENOENT')) return { problem: null, missing: missingFrom(current, parts.slice(i)) };
        return { problem: { path: next, reason: `cannot be checked: ${describeError(error)}` }, missing: [] };
      }
      if (stats.isSymbolicLink()) {
        // Whoever owns the link can point it elsewhere.
        if (!owners.includes(stats.uid)) return { problem: notOwned(next, stats, owners), missing: [] };
        if (++links > MAX_LINKS) return { problem: { path: next, reason: 'has too many symlinks' }, missing: [] };
        const target = readlinkSync(next);
        const resolved = follow(isAbsolute(target) ? '/' : current, target, atEnd);
        if (typeof resolved !== 'string') {
          if (resolved.problem || file !== undefined) return resolved;
          if (fileAtEnd && atEnd) return { problem: null, missing: [next] };
          return { problem: { path: next, reason: 'is a symlink to a directory that does not exist' }, missing: [] };
        }
        current = resolved;
        continue;
      }
      if (fileAtEnd && atEnd && !stats.isDirectory()) {
        if (!stats.isFile()) return { problem: { path: next, reason: 'is not a regular file' }, missing: [] };
        file = next;
        return { problem: null, missing: [] };
      }
      if (!stats.isDirectory()) return { problem: { path: next, reason: 'is not a directory' }, missing: [] };
      const problem = check(next, owners, true, stats);
      if (problem) return { problem, missing: [] };
      current = next;
    }
    return current;
  };
  const result = follow(isAbsolute(dir) ? '/' : process.cwd(), dir, true);
  if (typeof result !== 'string') return file === undefined ? result : { ...result, file };
  if (fileAtEnd) return { problem: { path: result, reason: 'is a directory, not a file' }, missing: [] };
  // The directory itself, wherever the path led: the sticky exception is not for it.
  return { problem: check(result, owners, false), missing: [] };
}

// The directories to create below `from`, lexically (nothing exists there to follow).
function missingFrom(from: string, parts: string[]): string[] {
  const missing: string[] = [];
  let current = from;
  for (const name of parts) {
    current = name === '..' ? dirname(current) : join(current, name);
    if (name === '..') missing.pop();
    else missing.push(current);
  }
  return missing;
}

function check(path: string, owners: Owners, ancestor: boolean, stats = lstatSync(path)): PathProblem | null {
  const sticky = (stats.mode & 0o1000) !== 0;
  if (ancestor && sticky && stats.uid === 0) return null;
  if (owners.includes(stats.uid) && (stats.mode & 0o022) === 0) return null;
  return notOwned(path, stats, owners);
}

function notOwned(path: string, stats: Stats, owners: Owners): PathProblem {
  const mode = (stats.mode & 0o7777).toString(8).padStart(4, '0');
  const allowed = owners.map((uid) => (uid === 0 ? 'root' : describeUid(uid))).join(' or ');
  return {
    path,
    reason: `is owned by ${describeUid(stats.uid)} and mode ${mode}: it must be owned by ${allowed} and writable by no one else`,
  };
}

// "uid 1000 (bob)": the number, and the name where /etc/passwd has a plain one.
export function describeUid(uid: number, passwd = '/etc/passwd'): string {
  let name: string | undefined;
  try {
    name = readFileSync(passwd, 'utf8')
      .split('\n')
      .map((line) => line.split(':'))
      .find((fields) => fields[2] === String(uid))?.[0];
  } catch {
    // no passwd to read: the number alone
  }
  return name && /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(name) ? `uid ${uid} (${name})` : `uid ${uid}`;
}

// A file rs-agent replaces (renames a file of its own over) and may read back: its
// directory as directoryProblem wants it, and the file, where one exists, a regular file
// with no other name, owned and writable as a directory must be. Not a symlink: rs-agent
// would replace the link, but what rs-agent reads back would be the file it points at.
export function replacedFileProblem(path: string, owners: Owners = defaultOwners()): PathProblem | null {
  const problem = directoryProblem(dirname(path), owners);
  if (problem) return problem;
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch (error) {
    if (isCode(error, 'ENOENT')) return null;
    return { path, reason: `cannot be checked: ${describeError(error)}` };
  }
  if (stats.isSymbolicLink()) return { path, reason: 'is a symlink; name the file itself' };
  if (stats.isDirectory()) return { path, reason: 'is a directory, not a file' };
  if (!stats.isFile()) return { path, reason: 'is not a regular file' };
  if (stats.nlink > 1) return { path, reason: `has ${stats.nlink - 1} other hard link(s)` };
  return check(path, owners, false, stats);
}
