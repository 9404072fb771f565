import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  fstatSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/system/atomic-write.js';
import { createExclusive, inputFile } from '../../src/system/exclusive-file.js';
import { useTempDir } from '../helpers/temp-dir.js';

describe('createExclusive', () => {
  const dir = useTempDir('rsa-excl-');

  it('makes a new file under a name no one can guess, mode 0600 asked for', () => {
    const a = createExclusive(dir(), 'ip-batch', 0o600);
    const b = createExclusive(dir(), 'ip-batch', 0o600);
    closeSync(a.fd);
    closeSync(b.fd);
    expect(a.path).toMatch(new RegExp(`/ip-batch\\.${process.pid}\\.[0-9a-f]{12}\\.tmp$`));
    expect(b.path).not.toBe(a.path);
    expect(readdirSync(dir()).sort()).toEqual([a.path, b.path].map((p) => p.slice(dir().length + 1)).sort());
  });
});

describe('inputFile', () => {
  const dir = useTempDir('rsa-input-');

  it('leaves no name behind, and its descriptor reads the whole content from the start', () => {
    const content = 'address add 192.0.2.10/32 dev lo\n'.repeat(5000);
    const fd = inputFile(dir(), 'ip-batch', content);
    try {
      expect(readdirSync(dir())).toEqual([]);
      expect(fstatSync(fd).nlink).toBe(0);
      // Read from the descriptor's own offset, as ip reading its stdin does.
      const buffer = Buffer.alloc(content.length + 10);
      let length = 0;
      for (let n; (n = readSync(fd, buffer, length, buffer.length - length, null)) > 0;) length += n;
      expect(buffer.subarray(0, length).toString()).toBe(content);
    } finally {
      closeSync(fd);
    }
  });
});

describe('writeFileAtomic: what is planted at the old predictable temp name', () => {
  const dir = useTempDir('rsa-planted-');

  // rs-agent used to write through `<path>.<pid>.tmp`: whoever could write the directory
  // could plant a symlink there and have root write where it pointed.
  it('a symlink is not followed: the write goes to a file of its own', () => {
    const target = join(dir(), 'root-only');
    writeFileSync(target, 'root only\n', { mode: 0o600 });
    const path = join(dir(), 'metrics.prom');
    symlinkSync(target, `${path}.${process.pid}.tmp`);
    writeFileAtomic(path, 'rs_agent_in_sync 1\n', { mode: 0o644, durable: false });
    expect(readFileSync(target, 'utf8')).toBe('root only\n');
    expect(readFileSync(path, 'utf8')).toBe('rs_agent_in_sync 1\n');
  });

  it('a FIFO is not opened: the file put in place is a regular one', () => {
    const path = join(dir(), 'state.json');
    const fifo = `${path}.${process.pid}.tmp`;
    execFileSync('mkfifo', [fifo]);
    // A reader at the other end, as the user who planted it would run, so that opening
    // the FIFO to write (as rs-agent used to) cannot hang the test.
    const reader = spawn('sh', ['-c', 'exec cat "$0" >/dev/null', fifo], { stdio: 'ignore' });
    try {
      writeFileAtomic(path, '{}\n', { mode: 0o600, durable: false });
      expect(lstatSync(path).isFile()).toBe(true);
      expect(readFileSync(path, 'utf8')).toBe('{}\n');
    } finally {
      reader.kill('SIGKILL');
    }
  });

  it('a symlink at the path itself is replaced, not written through', () => {
    const target = join(dir(), 'root-only');
    writeFileSync(target, 'root only\n', { mode: 0o600 });
    const path = join(dir(), 'desired-cache.json');
    symlinkSync(target, path);
    writeFileAtomic(path, '{}\n', { mode: 0o600, durable: true });
    expect(readFileSync(target, 'utf8')).toBe('root only\n');
    expect(readFileSync(path, 'utf8')).toBe('{}\n');
  });
});
