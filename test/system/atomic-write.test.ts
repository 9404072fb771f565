import * as fs from 'node:fs';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { writeFileAtomic, WriteError } from '../../src/system/atomic-write.js';
import { useTempDir } from '../helpers/temp-dir.js';

// The real fsync, watched: which descriptors it was given, and of what.
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return { ...real, fsyncSync: vi.fn(real.fsyncSync) };
});

const fsync = vi.mocked(fs.fsyncSync);
const realFsync = (await vi.importActual<typeof import('node:fs')>('node:fs')).fsyncSync;
// What each fsync was given, by what the descriptor was at the time (file or directory).
const synced: string[] = [];

describe('writeFileAtomic', () => {
  const dir = useTempDir('rsa-atomic-');
  beforeEach(() => {
    synced.length = 0;
    fsync.mockClear();
    fsync.mockImplementation((fd) => {
      synced.push(fs.fstatSync(fd).isDirectory() ? 'dir' : `file ${fs.fstatSync(fd).size}`);
      realFsync(fd);
    });
  });

  it('replaces the content whole, with the mode asked for (less the umask), and leaves no temp file', () => {
    const path = join(dir(), 'state.json');
    writeFileAtomic(path, 'old\n', { mode: 0o600, durable: false });
    writeFileAtomic(path, Buffer.from('new\n'), { mode: 0o600, durable: false });
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(statSync(path).mode & 0o777).toBe(0o600 & ~process.umask());
    expect(readdirSync(dir())).toEqual(['state.json']);
  });

  it('durable: fsyncs the file with its full content before the rename, then the directory', () => {
    const path = join(dir(), '90-rs-agent.conf');
    writeFileAtomic(path, 'net.ipv4.conf.all.arp_ignore = 1\n', { mode: 0o644, durable: true });
    expect(synced).toEqual([`file ${'net.ipv4.conf.all.arp_ignore = 1\n'.length}`, 'dir']);
    expect(statSync(path).mode & 0o777).toBe(0o644 & ~process.umask());
  });

  it('not durable (tmpfs): never fsyncs', () => {
    writeFileAtomic(join(dir(), 'daemon.json'), '{}\n', { mode: 0o600, durable: false });
    expect(fsync).not.toHaveBeenCalled();
  });

  it('a rename that fails leaves the old content and no temp file, and names the path and the reason', () => {
    const path = join(dir(), 'metrics.prom');
    mkdirSync(path); // a directory in the way: the rename over it fails
    writeFileSync(join(path, 'keep'), 'x');
    const attempt = () => writeFileAtomic(path, 'a 1\n', { mode: 0o644, durable: true });
    expect(attempt).toThrow(WriteError);
    expect(attempt).toThrow(new RegExp(`^cannot write ${path}: EISDIR`));
    expect(readdirSync(dir())).toEqual(['metrics.prom']);
    expect(readdirSync(path)).toEqual(['keep']);
  });

  it('a directory that does not exist: the error names the path', () => {
    expect(() => writeFileAtomic(join(dir(), 'missing', 'x'), '', { mode: 0o644, durable: false })).toThrow(
      /cannot write .*missing\/x: ENOENT/,
    );
  });

  it('with dirMode, a missing directory is made with that mode', () => {
    const path = join(dir(), 'lib', 'rs-agent', 'desired-cache.json');
    writeFileAtomic(path, '{}\n', { mode: 0o600, durable: true, dirMode: 0o700 });
    expect(readFileSync(path, 'utf8')).toBe('{}\n');
    expect(statSync(join(dir(), 'lib')).mode & 0o7777).toBe(0o700);
  });

  it('a failing fsync removes the temp file and keeps the old content', () => {
    const path = join(dir(), 'desired-cache.json');
    writeFileAtomic(path, 'old\n', { mode: 0o600, durable: false });
    fsync.mockImplementationOnce(() => {
      throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    });
    expect(() => writeFileAtomic(path, 'new\n', { mode: 0o600, durable: true })).toThrow(
      /cannot write .*desired-cache\.json: EIO/,
    );
    expect(readFileSync(path, 'utf8')).toBe('old\n');
    expect(readdirSync(dir())).toEqual(['desired-cache.json']);
  });
});
