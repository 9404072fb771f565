import { show, type Fail } from './schema.js';

// A file the config names (metrics.file, source.etcd.cache, the TLS files): absolute, one
// line of printable text, no ".." (which would take the path somewhere other than it
// reads), and a file rather than a directory. Where it may be is checked when the config
// is loaded (written-paths.ts): that needs the file system.
export function validateFilePath(value: unknown, key: string, fail: Fail): string {
  if (typeof value !== 'string' || !value.startsWith('/'))
    return fail(key, `${show(value)} must be an absolute file path`);
  if (/[\x00-\x1f\x7f]/.test(value)) return fail(key, `${show(value)} has a control character (a NUL, a newline?)`);
  const parts = value.split('/');
  if (parts.includes('..')) return fail(key, `${show(value)} has a ".." component; name the file by its own path`);
  if (parts.at(-1) === '' || parts.at(-1) === '.') return fail(key, `${show(value)} names a directory, not a file`);
  return value;
}
