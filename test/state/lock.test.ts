import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleModule } from '../helpers/bundle.js';
import { describe, expect, it } from 'vitest';
import { acquireLock, withLock } from '../../src/state/lock.js';

// The lock module bundled on its own, for the multi-process test.
const LOCK_MODULE = await bundleModule(resolve(import.meta.dirname, '../../src/state/lock.ts'));

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
    expect(readFileSync(join(d, 'lock'), 'utf8').split(' ')[0]).toBe(String(process.pid));
    lock.release();
  });
});

describe('state-dir lock: a holder killed mid-pass', () => {
  const deadPid = async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => child.on('exit', r));
    return child.pid as number;
  };

  it('is not stale while a child it recorded (an ip batch) still runs', async () => {
    const d = dir();
    const child = spawn('sleep', ['0.4']);
    const exited = new Promise((r) => child.on('exit', r));
    writeFileSync(join(d, 'lock'), `${await deadPid()} 1\n${child.pid} -\n`);
    await expect(acquireLock(d, 100)).rejects.toThrow(/another rs-agent/);
    await exited;
    const lock = await acquireLock(d, 100);
    lock.release();
  });

  it('track() adds the child to the lock file, so a contender sees it', async () => {
    const d = dir();
    const lock = await acquireLock(d);
    lock.track(4242);
    expect(readFileSync(join(d, 'lock'), 'utf8').split('\n').map((l) => l.split(' ')[0])).toEqual([String(process.pid), '4242', '']);
    lock.release();
    expect(existsSync(join(d, 'lock'))).toBe(false);
  });

  it('a pid reused by another process (start time differs) does not hold the lock', async () => {
    const d = dir();
    writeFileSync(join(d, 'lock'), `${process.pid} 1\n`);
    const lock = await acquireLock(d, 100);
    lock.release();
  });

  it('removes what killed holders left: temp files and owner files of dead contenders', async () => {
    const d = dir();
    const dead = await deadPid();
    for (const name of ['state.json.123.tmp', 'ip-batch.123.tmp', 'lock.stale.9.tmp', `lock.${dead}`]) writeFileSync(join(d, name), 'x');
    writeFileSync(join(d, 'state.json'), '{}');
    const lock = await acquireLock(d);
    expect(readdirSync(d).sort()).toEqual(['lock', 'state.json']);
    lock.release();
  });

  it('many processes contending for a stale lock: exactly one holds it at any time', async () => {
    const d = dir();
    writeFileSync(join(d, 'lock'), `${await deadPid()} -\n`);
    const log = join(d, 'log');
    // Each process takes the lock three times and logs entering and leaving.
    const script = `
      import { acquireLock } from ${JSON.stringify(LOCK_MODULE)};
      import { appendFileSync } from 'node:fs';
      for (let i = 0; i < 3; i++) {
        const lock = await acquireLock(${JSON.stringify(d)}, 20000);
        appendFileSync(${JSON.stringify(log)}, 'in\\n');
        await new Promise((r) => setTimeout(r, 5));
        appendFileSync(${JSON.stringify(log)}, 'out\\n');
        lock.release();
      }`;
    const children = Array.from({ length: 8 }, () => spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' }));
    const codes = await Promise.all(children.map((c) => new Promise((r) => c.on('exit', r))));
    expect(codes).toEqual(new Array(8).fill(0));
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(48);
    expect(lines.every((line, i) => line === (i % 2 === 0 ? 'in' : 'out'))).toBe(true);
  });
});

describe('state-dir lock: a holder killed between starting a child and recording it', () => {
  it('is not stale while a process works on one of its temp files', async () => {
    const d = dir();
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    writeFileSync(join(d, 'lock'), `${dead.pid} -\n`);
    // Stands for `ip -force -batch <state-dir>/ip-batch.<holder pid>.tmp`.
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 400)', join(d, `ip-batch.${dead.pid}.tmp`)]);
    const exited = new Promise((r) => child.on('exit', r));
    await new Promise((r) => setTimeout(r, 50));
    await expect(acquireLock(d, 100)).rejects.toThrow(/another rs-agent/);
    await exited;
    (await acquireLock(d, 100)).release();
  });
});
