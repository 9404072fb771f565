import { execa, type ResultPromise } from 'execa';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestNamespace } from './netns.js';

// The outside of a storm test: a tool that fights the daemon over VIPs on lo, a
// witness of what the kernel really did, and what the daemon's process costs.

export interface AddressEvent {
  at: number; // ms since the epoch, as stamped by `ip -ts monitor`
  vip: string;
  deleted: boolean;
}

const EVENT = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\] (Deleted )?\d+: lo\s+inet ([\d.]+)\/32 /;

// `ip -ts monitor address` in the namespace: every IPv4 /32 added to or removed from
// lo, in the kernel's order. Deleting a VIP that is not there makes no event, so
// these are the drift events that really happened.
export class AddressMonitor {
  readonly events: AddressEvent[] = [];
  stderr = '';
  private readonly child: ResultPromise;

  constructor(ns: TestNamespace, onEvent: (event: AddressEvent) => void) {
    this.child = execa('ip', ['-n', ns.name, '-ts', 'monitor', 'address'], { reject: false, buffer: false });
    eachLine(this.child, (line) => {
      const m = EVENT.exec(line);
      if (!m) return;
      // ip prints local time with microseconds.
      const event = {
        at: Date.parse(m[1] as string) + Number(m[2]) / 1000,
        vip: m[4] as string,
        deleted: m[3] !== undefined,
      };
      this.events.push(event);
      onEvent(event);
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
  }

  // Resolves once the monitor reports changes: a probe address (not rs-agent's, so the
  // daemon leaves it alone) is added and removed until the monitor has seen it.
  async ready(ns: TestNamespace, probe = '198.51.100.99'): Promise<void> {
    for (let tries = 0; tries < 100; tries++) {
      await ns.ip(['addr', 'add', `${probe}/32`, 'dev', 'lo']);
      await ns.ip(['addr', 'del', `${probe}/32`, 'dev', 'lo']);
      await sleep(20);
      if (this.events.some((e) => e.vip === probe && e.deleted)) return;
    }
    throw new Error(`ip monitor in ${ns.name} reported nothing: ${this.stderr}`);
  }

  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    await this.child;
  }
}

// The fighting tool: one long-lived `ip -force -batch -` reading `address del` lines
// from a pipe, so each deletion costs a line, not a process (`-force`: a refused line
// is reported on stderr and the batch goes on).
export class Deleter {
  sent = 0;
  private stderr = '';
  private readonly child: ResultPromise;

  constructor(ns: TestNamespace) {
    this.child = execa('ip', ['-n', ns.name, '-force', '-batch', '-'], { reject: false, buffer: false, stdin: 'pipe' });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
  }

  delete(vip: string): void {
    this.sent += 1;
    this.child.stdin?.write(`address del ${vip}/32 dev lo\n`);
  }

  // Ends the batch; resolves with what ip reported (empty: every deletion worked).
  async close(): Promise<string> {
    this.child.stdin?.end();
    await this.child;
    return this.stderr;
  }
}

export interface ProcessCost {
  rssKiB: number;
  anonKiB: number; // the process's own pages (heap, stacks)
  fileKiB: number; // mapped files, mostly the node binary shared with every node process
  fds: string[]; // what each open fd points to
}

export function processCost(pid: number): ProcessCost {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKiB: kib('VmRSS'), anonKiB: kib('RssAnon'), fileKiB: kib('RssFile'), fds: openFds(pid) };
}

// A pass holds the pipes of its `ip` child for a few ms: the fds of a daemon at rest
// are those of the quietest of several looks.
export async function restingFds(pid: number, looks = 20): Promise<string[]> {
  let fewest = openFds(pid);
  for (let i = 1; i < looks; i++) {
    await sleep(25);
    const fds = openFds(pid);
    if (fds.length < fewest.length) fewest = fds;
  }
  return fewest;
}

function openFds(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`).map((fd) => {
    try {
      return `${fd} -> ${readlinkSync(`/proc/${pid}/fd/${fd}`)}`;
    } catch {
      return `${fd} -> (closed meanwhile)`;
    }
  });
}

// CPU time in clock ticks (USER_HZ, 100 a second on Linux): the process's own, and that
// of its children it has reaped (each pass's `ip` runs).
export function cpuTicks(pid: number): { own: number; reaped: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After the command name in parentheses, fields start at 3 (state): utime is 14.
  const [utime, stime, cutime, cstime] = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .slice(11, 15)
    .map(Number);
  return { own: (utime ?? 0) + (stime ?? 0), reaped: (cutime ?? 0) + (cstime ?? 0) };
}

// Its children that have not been reaped yet (running, or zombies).
export function childrenOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
    readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
  );
}

// The daemon's long-lived `ip monitor` child (command nft: its `nft monitor` one).
export function watchChildOf(pid: number, command = 'ip'): number | undefined {
  return childrenOf(pid).find((child) => {
    try {
      return readFileSync(`/proc/${child}/cmdline`, 'utf8').startsWith(`${command}\0monitor`);
    } catch {
      return false; // a pass's ip that has just ended
    }
  });
}

function eachLine(child: ResultPromise, onLine: (line: string) => void): void {
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) onLine(line);
  });
}
