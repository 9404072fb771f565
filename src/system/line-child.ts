import { spawn, type ChildProcess } from 'node:child_process';
import { AgentError } from '../errors.js';
import { decodeBytes } from './byte-text.js';

// A long-lived child that answers requests written to its stdin with lines on its stdout:
// the daemon's pass talks to it instead of starting a process per step (an exec costs
// milliseconds, and a pass that repairs a VIP took three of them). One request at a time;
// a request that gets no complete answer within its time kills the child, as the runner
// kills a command at its timeout, and the next request starts a new one.
export interface LineChildSpec {
  argv: readonly string[];
  // Given to the child as its fd 3 (the state-dir lock's descriptor).
  fd3?: number;
  // What to call it in errors.
  name: string;
}

// The child did not answer within the request's time, and was killed.
export class NoAnswerError extends AgentError {}

interface Waiting {
  done(lines: string[]): boolean; // the lines so far: whether they complete the answer
  resolve(lines: string[]): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class LineChild {
  private readonly child: ChildProcess;
  private partial: Buffer = Buffer.alloc(0);
  private lines: string[] = [];
  private waiting: Waiting | null = null;
  private ended: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly exited: Promise<void>; // resolved once the child has exited, or never ran

  constructor(private readonly spec: LineChildSpec) {
    const [file, ...args] = spec.argv;
    if (file === undefined) throw new Error('empty argv');
    // stdio given as numbers: node dup2()s each to that fd in the child, without CLOEXEC.
    const stdio: ('pipe' | 'ignore' | number)[] = ['pipe', 'pipe', 'ignore'];
    if (spec.fd3 !== undefined) stdio.push(spec.fd3);
    this.child = spawn(file, args, { stdio, env: { ...process.env, LC_ALL: 'C' } });
    this.child.stdout?.on('data', (chunk: Buffer) => this.onData(chunk));
    let exited!: () => void;
    this.exited = new Promise((resolve) => (exited = resolve));
    this.child.on('error', (error) => {
      this.end(`cannot run ${file}: ${error.message}`);
      exited();
    });
    this.child.on('exit', (code, signal) => {
      this.end(`${spec.name} ended (${signal ?? `exit ${code}`})`);
      exited();
    });
    // A write to a child that has just died fails with EPIPE: the exit says it.
    this.child.stdin?.on('error', () => undefined);
  }

  get alive(): boolean {
    return this.ended === null;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  // Writes data (whole, in one write when it fits the pipe) and resolves with the lines
  // the child prints until done() says the answer is complete.
  // Requests made while one is under way wait for it.
  request(data: Buffer, done: (lines: string[]) => boolean, timeoutMs: number): Promise<string[]> {
    const answer = this.queue.then(() => this.send(data, done, timeoutMs));
    this.queue = answer.catch(() => undefined);
    return answer;
  }

  private send(data: Buffer, done: (lines: string[]) => boolean, timeoutMs: number): Promise<string[]> {
    if (this.ended !== null) return Promise.reject(new AgentError(this.ended));
    this.lines = [];
    return new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        // Rejected with this, not with the end that stop() reports to whoever waits, and
        // only once the child has exited, as the runner does with a command it kills: a
        // change the child was making when killed is made before the pass goes on (and
        // lets go of the lock).
        this.waiting = null;
        this.stop();
        const error = new NoAnswerError(`${this.spec.name}: no answer after ${timeoutMs / 1000} s; killed it`);
        void this.exited.then(() => reject(error));
      }, timeoutMs);
      this.waiting = { done, resolve, reject, timer };
      this.child.stdin?.write(data);
    });
  }

  // Closes its stdin (the children here exit on end of input) and kills it.
  stop(): void {
    this.child.stdin?.end();
    if (this.ended === null) this.child.kill('SIGKILL');
    this.end(`${this.spec.name} stopped`);
  }

  private onData(chunk: Buffer): void {
    let data = this.partial.length ? Buffer.concat([this.partial, chunk]) : chunk;
    for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10)) {
      this.lines.push(decodeBytes(data.subarray(0, nl)));
      data = data.subarray(nl + 1);
    }
    this.partial = Buffer.from(data);
    const waiting = this.waiting;
    if (waiting && waiting.done(this.lines)) {
      this.waiting = null;
      clearTimeout(waiting.timer);
      waiting.resolve(this.lines);
      this.lines = [];
    }
  }

  private end(reason: string): void {
    if (this.ended === null) this.ended = reason;
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting) {
      clearTimeout(waiting.timer);
      waiting.reject(new AgentError(this.ended));
    }
  }
}
