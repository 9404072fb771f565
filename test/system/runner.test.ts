import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { AgentError, CommandNotFoundError } from '../../src/errors.js';
import { isProcessAlive } from '../../src/state/flock.js';
import { acquireLock } from '../../src/state/lock.js';
import { createRunner, DEFAULT_TIMEOUT_MS, timeoutFromEnv } from '../../src/system/runner.js';
import { bundleModule } from '../helpers/bundle.js';

// The real runner with real processes: what `ip` and `modprobe` go through.
describe('createRunner', () => {
  const runner = createRunner();

  it('passes input on stdin and returns stdout unchanged, final newline included', async () => {
    expect(await runner.run(['cat'], { input: 'addr show\nroute show\n' })).toEqual({
      exitCode: 0,
      stdout: 'addr show\nroute show\n',
      stderr: '',
    });
  });

  it('returns a non-zero exit with its stderr instead of throwing', async () => {
    const result = await runner.run(['sh', '-c', 'echo "RTNETLINK answers: File exists" >&2; exit 3']);
    expect(result).toEqual({ exitCode: 3, stdout: '', stderr: 'RTNETLINK answers: File exists\n' });
  });

  it('runs argv as given, never through a shell', async () => {
    expect((await runner.run(['echo', '$HOME; true'])).stdout).toBe('$HOME; true\n');
  });

  it('runs in the C locale and keeps the rest of the environment', async () => {
    const env = (await runner.run(['env'])).stdout.split('\n');
    expect(env).toContain('LC_ALL=C');
    expect(env).toContain(`PATH=${process.env.PATH}`);
  });

  it('gives no stdin when there is no input (a command reading it sees end of file at once)', async () => {
    expect(await runner.run(['cat'])).toEqual({ exitCode: 0, stdout: '', stderr: '' });
  });

  it('survives a command that exits without reading its input', async () => {
    const result = await runner.run(['true'], { input: 'x'.repeat(4 << 20) });
    expect(result.exitCode).toBe(0);
  });

  it('reads large output whole (an ip -json dump of thousands of addresses)', async () => {
    const result = await runner.run(['head', '-c', String(8 << 20), '/dev/zero']);
    expect(result.stdout.length).toBe(8 << 20);
  });

  it('names a missing command with an install hint', async () => {
    const error = await runner.run(['rs-agent-no-such-command']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandNotFoundError);
    expect((error as AgentError).message).toBe('rs-agent-no-such-command: command not found in PATH');
    const ip = createRunner();
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(ip.run(['ip', '-V'])).rejects.toThrow('ip: command not found in PATH (install iproute2)');
    } finally {
      process.env.PATH = saved;
    }
  });

  it('reports a command killed by a signal as an error', async () => {
    await expect(runner.run(['sh', '-c', 'kill -9 $$'])).rejects.toThrow('cannot run sh: it was killed by SIGKILL');
  });

  it('kills a command that does not finish within its timeout, with one error naming it and the limit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsa-runner-'));
    const pidFile = join(dir, 'pid');
    // Long enough for sh to write its pid first, however busy the machine.
    const slow = createRunner({ timeoutMs: 1000 });
    await expect(slow.run(['sh', '-c', `echo $$ > ${pidFile}; exec sleep 600`])).rejects.toThrow(
      new AgentError(
        `sh -c echo $$ > ${pidFile}; exec sleep 600: no answer after 1 s; killed it (RS_AGENT_COMMAND_TIMEOUT sets the limit)`,
      ),
    );
    expect(isProcessAlive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
  });

  it('kills with SIGKILL a command that ignores SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsa-runner-'));
    const pidFile = join(dir, 'pid');
    const slow = createRunner({ timeoutMs: 1000 }); // sh has set its trap and written its pid by then
    await expect(slow.run(['sh', '-c', `trap '' TERM; echo $$ > ${pidFile}; exec sleep 600`])).rejects.toThrow(
      /no answer after 1 s; killed it/,
    );
    expect(isProcessAlive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
  });

  it('takes its timeout from RS_AGENT_COMMAND_TIMEOUT (seconds) and rejects a bad one naming it', () => {
    expect(timeoutFromEnv({})).toBe(DEFAULT_TIMEOUT_MS);
    expect(timeoutFromEnv({ RS_AGENT_COMMAND_TIMEOUT: '2.5' })).toBe(2500);
    for (const bad of ['0', '-1', 'ten']) {
      expect(() => timeoutFromEnv({ RS_AGENT_COMMAND_TIMEOUT: bad })).toThrow(
        new AgentError(`RS_AGENT_COMMAND_TIMEOUT="${bad}": must be a positive number of seconds`),
      );
    }
  });

  it('gives the lock descriptor to the command as its fd 3, and to no command otherwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsa-runner-'));
    const lock = await acquireLock(dir);
    try {
      const withLock = await runner.run(['sh', '-c', 'readlink /proc/self/fd/3'], { lockFd: lock.fd });
      expect(withLock.stdout.trim()).toBe(join(dir, 'lock'));
      const without = await runner.run(['sh', '-c', 'readlink /proc/self/fd/3 || echo none'], {});
      expect(without.stdout.trim()).toBe('none');
    } finally {
      lock.release();
    }
  });
  // execa's cleanup: a command outlives neither a killed rs-agent nor one that exits.
  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)(
    'takes its commands with it when rs-agent is killed with %s',
    async (signal) => {
      const dir = mkdtempSync(join(tmpdir(), 'rsa-runner-'));
      const script = await bundleModule(resolve(import.meta.dirname, 'fixtures/runs-sleep.ts'));
      const pidFile = join(dir, 'pid');
      const agent = execa(process.execPath, [script, pidFile], { reject: false });
      while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8') === '') await sleep(10);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      expect(isRunning(pid)).toBe(true);
      agent.kill(signal);
      expect((await agent).signal).toBe(signal);
      // Bounded to catch a command left running for good, not to time its end.
      for (let i = 0; i < 500 && isRunning(pid); i++) await sleep(20);
      expect(isRunning(pid)).toBe(false);
    },
  );
  // A signal that came while the first spawn returned, before execa registered its cleanup,
  // killed rs-agent and left the command running (a third of the kills above, at a load of
  // 5 on 2 cores): the runner catches the signals from its creation, before any spawn.
  it('catches TERM, INT and HUP from its creation, before its first command', async () => {
    const script = await bundleModule(resolve(import.meta.dirname, 'fixtures/signal-listeners.ts'));
    const { stdout } = await execa(process.execPath, [script]);
    const counts = JSON.parse(stdout) as { before: number[]; after: number[] };
    expect(counts.before).toEqual([0, 0, 0]);
    for (const after of counts.after) expect(after).toBeGreaterThan(0);
  });
});

// Alive and not a zombie: an orphan that has exited waits for PID 1 to reap it, which in
// a container may take its time.
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
