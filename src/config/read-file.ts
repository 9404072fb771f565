import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, describeError } from '../errors.js';

// A config is a few lines per VIP; anything larger is a mistake (or an attack on the parser).
export const MAX_CONFIG_BYTES = 1024 * 1024;

export interface ReadConfigOptions {
  // Accept a config (or a directory above it) that someone other than root could
  // have written. Off by default: rs-agent runs as root and does what the file says.
  allowInsecure?: boolean;
}

export function tooLarge(source: string, bytes: number): ConfigError {
  return new ConfigError(source, '', `is ${formatSize(bytes)}; a config is at most ${formatSize(MAX_CONFIG_BYTES)}`);
}

// Reads the config file, refusing what is not a regular file, what someone other than
// root (or the running user) could have written, as sshd does with StrictModes, and
// anything over MAX_CONFIG_BYTES. At most MAX_CONFIG_BYTES + 1 bytes are read, so the
// parser can see that the file is too large without the file ever being read whole.
export function readConfigFile(path: string, options: ReadConfigOptions = {}): string {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO in its place must not hang the agent waiting for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw cannotRead(path, error);
  }
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) throw new ConfigError(path, '', 'is a directory, not a file');
    if (!stats.isFile()) throw new ConfigError(path, '', 'is not a regular file');
    if (!options.allowInsecure) {
      requireTrusted(path, null, stats);
      for (const dir of parentDirectories(path)) requireTrusted(path, `directory ${dir}`, statSync(dir));
    }
    if (stats.size > MAX_CONFIG_BYTES) throw tooLarge(path, stats.size);
    return readAtMost(fd, MAX_CONFIG_BYTES + 1).toString('utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw cannotRead(path, error);
  } finally {
    closeSync(fd);
  }
}

// Owned by root or the running user, and not writable by group or others. A sticky
// directory (/tmp) is fine: others cannot replace what is in it.
// subject: null for the file itself, or the directory being checked.
function requireTrusted(source: string, subject: string | null, stats: Stats): void {
  const uid = process.getuid?.() ?? 0;
  const who = subject ? `${subject} ` : '';
  const hint = 'whoever can change it decides what rs-agent does as root; fix that, or pass --allow-insecure-config';
  if (stats.uid !== 0 && stats.uid !== uid)
    throw new ConfigError(source, '', `${who}is owned by uid ${stats.uid}, not root: ${hint}`);
  const sticky = stats.isDirectory() && (stats.mode & 0o1000) !== 0;
  if ((stats.mode & 0o022) !== 0 && !sticky) {
    const mode = (stats.mode & 0o7777).toString(8).padStart(4, '0');
    throw new ConfigError(
      source,
      '',
      `${who}is writable by ${stats.mode & 0o020 ? 'its group' : 'others'} (mode ${mode}): ${hint}`,
    );
  }
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

function cannotRead(path: string, error: unknown): ConfigError {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT') return new ConfigError(path, '', 'no such file (set --config or RS_AGENT_CONFIG)');
  if (code === 'EISDIR') return new ConfigError(path, '', 'is a directory, not a file');
  if (code === 'EAGAIN') return new ConfigError(path, '', 'is not a regular file');
  return new ConfigError(path, '', `cannot read: ${describeError(error)}`);
}

export function formatSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MiB` : `${bytes} bytes`;
}
