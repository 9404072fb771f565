import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/state/lock.js';
import { PassLock } from '../../src/state/pass-lock.js';

const dir = () => mkdtempSync(join(tmpdir(), 'rsa-pass-lock-'));

// Whether another process could take <dir>/lock now (util-linux flock, one try).
const isFree = (d: string) => {
  try {
    execFileSync('/usr/bin/flock', ['--exclusive', '--nonblock', join(d, 'lock'), '/bin/true']);
    return true;
  } catch {
    return false;
  }
};

describe('the daemon pass lock', () => {
  it('is the state-dir lock: others wait while a pass holds it, and take it once released', async () => {
    const d = dir();
    const lock = new PassLock(d);
    try {
      const held = await lock.acquire({ waitMs: 1000 });
      expect(isFree(d)).toBe(false);
      expect(readFileSync(join(d, 'lock'), 'utf8').trim()).toBe(String(process.pid));
      // acquireLock (start, stop, check --fix) fails with the holder named after its wait.
      await expect(acquireLock(d, 0)).rejects.toThrow(`another rs-agent (pid ${process.pid}) holds`);
      held.release();
      const other = await acquireLock(d, 5000); // waits for the helper's unlock, if need be
      other.release();
      // Taken and released again, on the same descriptor.
      const again = await lock.acquire({ waitMs: 1000 });
      expect(again.fd).toBe(held.fd);
      expect(isFree(d)).toBe(false);
      again.release();
      await acquireLock(d, 5000).then((l) => l.release());
    } finally {
      lock.close();
    }
  });

  it('waits for another holder, then holds it on its own descriptor', async () => {
    const d = dir();
    const lock = new PassLock(d);
    try {
      const other = await acquireLock(d, 1000);
      let got = false;
      const taking = lock.acquire({ waitMs: 10_000 }).then((l) => ((got = true), l));
      await new Promise((r) => setTimeout(r, 300));
      expect(got).toBe(false);
      other.release();
      const held = await taking;
      expect(held.fd).toBe(lock.descriptor);
      expect(isFree(d)).toBe(false);
      held.release();
      await acquireLock(d, 5000).then((l) => l.release());
    } finally {
      lock.close();
    }
  });

  it('a command given the descriptor keeps the lock after the helper and the daemon are gone', async () => {
    const d = dir();
    const lock = new PassLock(d);
    const held = await lock.acquire({ waitMs: 1000 });
    const marker = join(d, 'done');
    // A batch's command, still running when the daemon dies.
    const command = spawn('sh', ['-c', `sleep 0.5; touch ${marker}`], {
      stdio: ['ignore', 'ignore', 'ignore', held.fd],
    });
    lock.close(); // the daemon gone: its helper ends without unlocking, its descriptor closed
    expect(isFree(d)).toBe(false);
    await new Promise((r) => command.on('exit', r));
    expect(isFree(d)).toBe(true);
    expect(readFileSync(marker, 'utf8')).toBe('');
  });

  it('a lock file replaced (the state dir removed) is opened again: the lock others take', async () => {
    const d = dir();
    const lock = new PassLock(d);
    try {
      const first = await lock.acquire({ waitMs: 1000 });
      first.release();
      rmSync(join(d, 'lock'));
      writeFileSync(join(d, 'lock'), '', { mode: 0o600 });
      const second = await lock.acquire({ waitMs: 1000 });
      expect(isFree(d)).toBe(false);
      second.release();
    } finally {
      lock.close();
    }
  });

  it('without perl, a pass takes the lock as every command does', async () => {
    const d = dir();
    const path = process.env.PATH;
    process.env.PATH = join(d, 'empty'); // no perl; flock is found where util-linux installs it
    const lock = new PassLock(d);
    try {
      const held = await lock.acquire({ waitMs: 1000 });
      expect(isFree(d)).toBe(false);
      held.release();
      expect(isFree(d)).toBe(true);
      const again = await lock.acquire({ waitMs: 1000 });
      expect(lock.descriptor).toBeNull(); // no descriptor kept: the classic lock
      again.release();
    } finally {
      process.env.PATH = path;
      lock.close();
    }
  });
});
