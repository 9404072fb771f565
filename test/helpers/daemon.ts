import { execa, type ResultPromise } from 'execa';
import { setTimeout as sleep } from 'node:timers/promises';
import { envPrefix, type TestNamespace } from './netns.js';

export interface LogLine {
  time: string;
  level: string;
  event: string;
  message: string;
  [field: string]: unknown;
}

// `rs-agent run` inside a test namespace, its JSON log lines collected as they come.
// `ip netns exec` and `env` exec in place, so the pid is the daemon's own.
export class Daemon {
  readonly lines: LogLine[] = [];
  stderr = '';
  private readonly child: ResultPromise;

  // prefix: what runs it (as another user, under a seccomp filter), before the env.
  constructor(ns: TestNamespace, env: Record<string, string> = {}, prefix: string[] = []) {
    this.child = execa('ip', ns.cliArgv(['run'], [...prefix, ...envPrefix(env)]), { reject: false, buffer: false });
    let partial = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) if (line) this.lines.push(JSON.parse(line) as LogLine);
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  // Waits for a log line matching the predicate, from index `from` on (the bound is for a
  // busy machine: a line that comes is taken at once).
  async waitFor(match: (line: LogLine) => boolean, timeoutMs = 20_000, from = 0): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.slice(from).find(match);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `no such log line within ${timeoutMs} ms; log:\n${this.lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr: ${this.stderr}`,
        );
      }
      await sleep(20);
    }
  }

  repairsOf(item: string): LogLine[] {
    return this.lines.filter((l) => l.event === 'repair' && l.item === item);
  }

  // Closes the read end of its stdout, as `rs-agent run | head` does once head is done.
  closeStdout(): void {
    this.child.stdout?.destroy();
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  async exit(): Promise<{ exitCode: number | undefined; signal: string | undefined }> {
    const result = await this.child;
    return { exitCode: result.exitCode, signal: result.signal };
  }

  // Ends it whatever state it is in, and every process left in the namespace (its
  // `ip monitor` child outlives a SIGKILL; under systemd the cgroup is killed whole).
  async kill(ns: TestNamespace): Promise<void> {
    this.child.kill('SIGKILL');
    await this.child;
    const pids = (await execa('ip', ['netns', 'pids', ns.name], { reject: false })).stdout.split('\n').filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}

// Polls until check() holds or the time is up; returns whether it held.
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(20);
  }
  return check();
}
