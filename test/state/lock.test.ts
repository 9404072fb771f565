import { execFileSync, spawn } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleModule } from '../helpers/bundle.js';
import { describe, expect, it } from 'vitest';
import { acquireLock, withLock } from '../../src/state/lock.js';

// The lock and the runner bundled on their own, for the multi-process tests.
const LOCK_MODULE = await bundleModule(resolve(import.meta.dirname, '../../src/state/lock.ts'));
const RUNNER_MODULE = await bundleModule(resolve(import.meta.dirname, '../../src/system/runner.ts'));

const dir = () => mkdtempSync(join(tmpdir(), 'rsa-lock-'));

const exitOf = (child: ReturnType<typeof spawn>) =>
  new Promise<number | null>((r) => child.on('exit', (code) => r(code)));

async function waitForFile(path: string): Promise<string> {
  while (!existsSync(path) || readFileSync(path, 'utf8') === '') await new Promise((r) => setTimeout(r, 10));
  return readFileSync(path, 'utf8').trim();
}

describe('state-dir lock', () => {
  it('serialises holders: the second waits until the first releases', async () => {
    const d = dir();
    const events: string[] = [];
    // The second asks only once the first holds it (taking it runs flock: no fixed time).
    let firstIn!: () => void;
    const held = new Promise<void>((r) => (firstIn = r));
    const first = withLock(d, async () => {
      events.push('first in');
      firstIn();
      await new Promise((r) => setTimeout(r, 300));
      events.push('first out');
    });
    await held;
    const second = withLock(d, async () => {
      events.push('second in');
    });
    await Promise.all([first, second]);
    expect(events).toEqual(['first in', 'first out', 'second in']);
  });

  it('gives up after the wait with a message naming the holder', async () => {
    const d = dir();
    const lock = await acquireLock(d);
    expect(readFileSync(join(d, 'lock'), 'utf8')).toBe(`${process.pid}\n`);
    await expect(acquireLock(d, 50)).rejects.toThrow(
      new RegExp(`another rs-agent \\(pid ${process.pid}\\) holds .*/lock; waited 0s`),
    );
    lock.release();
    (await acquireLock(d, 50)).release();
  });

  it('a lock path that is a directory is one clear error at once, not a wait', async () => {
    const d = dir();
    mkdirSync(join(d, 'lock'));
    // A wait would outlast the test's own timeout.
    await expect(acquireLock(d, 600_000)).rejects.toThrow(`lock ${join(d, 'lock')} is a directory`);
  });

  it('a wait is cancelled when its signal is aborted, and the lock is not taken', async () => {
    const d = dir();
    const lock = await acquireLock(d);
    const controller = new AbortController();
    const waiting = acquireLock(d, { waitMs: 600_000, signal: controller.signal });
    await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await expect(waiting).rejects.toThrow(`lock ${join(d, 'lock')}: cancelled while waiting for it`);
    lock.release();
    (await acquireLock(d, 50)).release();
    await expect(acquireLock(d, { signal: AbortSignal.abort() })).rejects.toThrow(/cancelled/);
  });

  it('removes what a killed holder left (its ip batch, a half-written state file), not the daemon temp files', async () => {
    const d = dir();
    const names = [
      'state.json.123.tmp', // an older rs-agent's names
      'ip-batch.123.tmp',
      'state.json.123.0123456789ab.tmp',
      'ip-batch.123.0123456789ab.tmp',
      'nft.123.0123456789ab.tmp',
      'daemon.json.77.0123456789ab.tmp',
      'metrics.prom.77.tmp',
      'state.json',
    ];
    for (const name of names) writeFileSync(join(d, name), 'x');
    const lock = await acquireLock(d);
    expect(readdirSync(d).sort()).toEqual([
      'daemon.json.77.0123456789ab.tmp',
      'lock',
      'metrics.prom.77.tmp',
      'state.json',
    ]);
    lock.release();
  });

  it('refuses a lock file that is a FIFO or has another name (a hard link would have it truncate that file)', async () => {
    const d = dir();
    execFileSync('mkfifo', [join(d, 'lock')]);
    await expect(acquireLock(d, 0)).rejects.toThrow(
      `lock ${join(d, 'lock')} is not a regular file; it must be a file rs-agent creates (remove it)`,
    );
    const e = dir();
    writeFileSync(join(e, 'precious'), 'keep\n');
    linkSync(join(e, 'precious'), join(e, 'lock'));
    await expect(acquireLock(e, 0)).rejects.toThrow(/is a file with other hard links/);
    expect(readFileSync(join(e, 'precious'), 'utf8')).toBe('keep\n');
  });
});

describe('state-dir lock: a holder killed mid-pass', () => {
  it('stays held by a command the holder started until that command exits', async () => {
    const d = dir();
    const pidFile = join(d, 'command.pid');
    // A holder that starts a command with the lock's descriptor (as apply does for
    // `ip -batch`) and is then killed with SIGKILL while the command runs.
    const script = `
      import { acquireLock } from ${JSON.stringify(LOCK_MODULE)};
      import { createRunner } from ${JSON.stringify(RUNNER_MODULE)};
      const lock = await acquireLock(${JSON.stringify(d)});
      await createRunner({ timeoutMs: 600000 }).run(['sh', '-c', 'echo $$ > ${pidFile}; exec sleep 600'], { lockFd: lock.fd });`;
    const holder = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
    const commandPid = Number(await waitForFile(pidFile));
    const holderExit = exitOf(holder);
    holder.kill('SIGKILL');
    await holderExit;
    await expect(acquireLock(d, 100)).rejects.toThrow(
      new RegExp(`a command started by rs-agent pid ${holder.pid}, which has exited, holds .*/lock`),
    );
    process.kill(commandPid, 'SIGKILL');
    (await acquireLock(d, 60_000)).release();
  });

  it('many processes contending: exactly one holds it at any time', async () => {
    const d = dir();
    const log = join(d, 'log');
    // Each process takes the lock three times and logs entering and leaving.
    const script = `
      import { acquireLock } from ${JSON.stringify(LOCK_MODULE)};
      import { appendFileSync } from 'node:fs';
      for (let i = 0; i < 3; i++) {
        const lock = await acquireLock(${JSON.stringify(d)}, 60000);
        appendFileSync(${JSON.stringify(log)}, 'in\\n');
        await new Promise((r) => setTimeout(r, 5));
        appendFileSync(${JSON.stringify(log)}, 'out\\n');
        lock.release();
      }`;
    const children = Array.from({ length: 8 }, () =>
      spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' }),
    );
    const codes = await Promise.all(children.map(exitOf));
    expect(codes).toEqual(new Array(8).fill(0));
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(48);
    expect(lines.every((line, i) => line === (i % 2 === 0 ? 'in' : 'out'))).toBe(true);
  });
});

describe('one daemon per state directory (the instance lock)', () => {
  it('two stops asking at once both see no daemon; a daemon is refused only by a live one', async () => {
    const { takeInstanceLock, runningDaemon } = await import('../../src/state/instance-lock.js');
    const d = dir();
    expect(await Promise.all([runningDaemon(d), runningDaemon(d), runningDaemon(d)])).toEqual([null, null, null]);
    await takeInstanceLock(d);
    expect(await runningDaemon(d)).toBe(process.pid);
    await expect(takeInstanceLock(d)).rejects.toThrow(`another rs-agent run (pid ${process.pid}) already runs on ${d}`);
  });
});
