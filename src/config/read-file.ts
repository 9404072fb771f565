import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, describeError } from '../errors.js';
import { serviceAccount } from '../system/service-user.js';
import { describeUid, type Owners } from '../system/trusted-path.js';

// A config is a few lines per VIP; anything larger is a mistake (or an attack on the parser).
export const MAX_CONFIG_BYTES = 1024 * 1024;

export interface ReadConfigOptions {
  // Accept a config (or a directory above it) that someone other than root could
  // have written. Off by default: rs-agent runs as root and does what the file says.
  allowInsecure?: boolean;
}

export function tooLarge(source: string, bytes: number): ConfigError {
  return new ConfigError(source, '', sizeProblem(bytes, MAX_CONFIG_BYTES, 'a config'));
}

function sizeProblem(bytes: number, max: number, what: string): string {
  return `is ${formatSize(bytes)}; ${what} is at most ${formatSize(max)}`;
}

// Reads the config file, refusing what is not a regular file, what someone other than
// root (or the running user) could have written, as sshd does with StrictModes, and
// anything over MAX_CONFIG_BYTES.
export function readConfigFile(path: string, options: ReadConfigOptions = {}): string {
  const fail = (detail: string): never => {
    throw new ConfigError(path, '', detail);
  };
  const missing = 'no such file (set --config or RS_AGENT_CONFIG)';
  const rules = { ...options, maxBytes: MAX_CONFIG_BYTES, what: 'a config', missing };
  return readTrustedFile(path, rules, fail).toString('utf8');
}

export interface TrustedFileOptions extends ReadConfigOptions {
  maxBytes: number; // a larger file is refused without being read whole
  what: string; // "a config", for that message
  missing: string; // what to say when there is no such file
  // A key or a password: readable by its owner alone (not by its group, not by others).
  secret?: boolean;
  // Who may own the file and the directories above it; by default root and the running user.
  owners?: Owners;
}

// A file rs-agent acts on as root (the config, the store's CA, certificate, key and
// credentials): a regular file, owned by root or the running user (or options.owners),
// writable by no one else, in directories no one else can write to; a secret also readable by no one else.
// Every problem goes to fail, as one line without the file's content.
export function readTrustedFile(path: string, options: TrustedFileOptions, fail: (detail: string) => never): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO in its place must not hang the agent waiting for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return fail(cannotRead(error, options.missing));
  }
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) fail('is a directory, not a file');
    if (!stats.isFile()) fail('is not a regular file');
    if (!options.allowInsecure) {
      const hint =
        'whoever can change it decides what rs-agent does as root; fix that, or pass --allow-insecure-config';
      for (const problem of [
        ownerProblem(null, stats, options.owners),
        ...parentDirectories(path).map((dir) => ownerProblem(`directory ${dir}`, statSync(dir), options.owners)),
      ])
        if (problem) fail(`${problem}: ${hint}`);
      const readers = options.secret ? secretProblem(stats) : null;
      if (readers) fail(`${readers}: it holds a secret; chmod 0600 it, or pass --allow-insecure-config`);
    }
    const tooBig = (bytes: number) => fail(sizeProblem(bytes, options.maxBytes, options.what));
    if (stats.size > options.maxBytes) tooBig(stats.size);
    // One byte more than allowed: a file that grew since fstat is seen to be too large.
    const content = readAtMost(fd, options.maxBytes + 1);
    return content.length > options.maxBytes ? tooBig(content.length) : content;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    return fail(cannotRead(error, options.missing));
  } finally {
    closeSync(fd);
  }
}

// Why someone other than root (or the running user, or one of owners) could change
// this file or directory, or null: owned by another user, or writable by its group or by others. A
// sticky directory (/tmp) is fine: others cannot rename or remove what is in it, and
// what is in it is checked on its own. subject: null for the file itself, or a name.
export function ownerProblem(subject: string | null, stats: Stats, owners?: Owners): string | null {
  const uid = process.getuid?.() ?? 0;
  const who = subject ? `${subject} ` : '';
  const allowed = owners ?? [0, uid];
  if (!allowed.includes(stats.uid)) {
    const others = allowed.filter((owner) => owner !== 0 && owner !== uid).map((owner) => describeUid(owner));
    return `${who}is owned by uid ${stats.uid}, not ${['root', ...others].join(' or ')}`;
  }
  const sticky = stats.isDirectory() && (stats.mode & 0o1000) !== 0;
  if ((stats.mode & 0o022) !== 0 && !sticky)
    return `${who}is writable by ${stats.mode & 0o020 ? 'its group' : 'others'} (mode ${modeOf(stats)})`;
  return null;
}

// Why others can read a secret (a key, a password), or null. Its group may read it when
// that group is the service user's (system/service-user.ts): mode 0640, root:rs-agent is
// how the daemon, run by the packaged units as that user, reads a key root owns.
export function secretProblem(stats: Stats, serviceGid = serviceAccount()?.gid): string | null {
  const groupReads = (stats.mode & 0o040) !== 0 && stats.gid !== serviceGid;
  if (!groupReads && (stats.mode & 0o004) === 0) return null;
  const readers = [groupReads ? 'its group' : '', stats.mode & 0o004 ? 'others' : ''].filter(Boolean).join(' and ');
  return `is readable by ${readers} (mode ${modeOf(stats)})`;
}

function modeOf(stats: Stats): string {
  return (stats.mode & 0o7777).toString(8).padStart(4, '0');
}

// Every directory above the file, both as named and where a symlink leads, up to /.
function parentDirectories(path: string): string[] {
  const dirs = new Set<string>();
  for (const start of [resolve(path), realpathSync(path)]) {
    for (let dir = dirname(start); !dirs.has(dir); dir = dirname(dir)) dirs.add(dir);
  }
  return [...dirs];
}

// At most `limit` bytes from the file: one more than a reader accepts tells it the file is too large.
export function readAtMost(fd: number, limit: number): Buffer {
  const buffer = Buffer.alloc(limit);
  let length = 0;
  while (length < limit) {
    const n = readSync(fd, buffer, length, limit - length, null);
    if (n === 0) break;
    length += n;
  }
  return buffer.subarray(0, length);
}

function cannotRead(error: unknown, missing: string): string {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT') return missing;
  if (code === 'EISDIR') return 'is a directory, not a file';
  if (code === 'EAGAIN') return 'is not a regular file';
  return `cannot read: ${describeError(error)}`;
}

export function formatSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MiB` : `${bytes} bytes`;
}
