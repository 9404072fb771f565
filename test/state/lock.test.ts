import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, withLock } from '../../src/state/lock.js';

const dir = () => mkdtempSync(join(tmpdir(), 'rsa-lock-'));

describe('state-dir lock', () => {
  it('serialises holders: the second waits until the first releases', async () => {
    const d = dir();
    const events: string[] = [];
    const first = withLock(d, async () => {
      events.push('first in');
      await new Promise((r) => setTimeout(r, 100));
      events.push('first out');
    });
    await new Promise((r) => setTimeout(r, 10));
    const second = withLock(d, async () => {
      events.push('second in');
    });
    await Promise.all([first, second]);
    expect(events).toEqual(['first in', 'first out', 'second in']);
  });

  it('gives up after the wait with a message naming the holder', async () => {
    const d = dir();
    const lock = await acquireLock(d);
    await expect(acquireLock(d, 50)).rejects.toThrow(new RegExp(`another rs-agent \\(pid ${process.pid}\\) holds .*/lock; waited 0s`));
    lock.release();
  });

  it('takes over a lock whose holder no longer exists', async () => {
    const d = dir();
    const child = spawn(process.execPath, ['-e', '0']);
    const pid = child.pid as number;
    await new Promise((r) => child.on('exit', r));
    writeFileSync(join(d, 'lock'), `${pid}\n`);
    const lock = await acquireLock(d, 50);
    expect(readFileSync(join(d, 'lock'), 'utf8').trim()).toBe(String(process.pid));
    lock.release();
  });
});
