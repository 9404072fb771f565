import { execa, type ResultPromise } from 'execa';
import { readdirSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestNamespace } from './netns.js';
import { childrenOf } from './storm.js';

// Kill points for a command under test, each an event of that command seen as it happens:
// a file in its state dir, a sysctl it changed, a child it started, VIPs it added or removed.
// A point is looked at every millisecond, so every look is a file read (or inotify's queue),
// never a process: cheap and precise on a fast idle machine and on a loaded one alike. A
// point that holds from its event to the command's end (a count reached, a file seen) is
// still seen by a look that comes late on a busy machine; a child is seen only while it
// runs, so it is a point only for a long-lived one (`ip -batch`).

// What a point can look at while the command runs.
export interface Seen {
  // Every file the state dir has held since the command started, gone or not.
  stateFiles(): string[];
  // Whether any of the probed sysctls differs from its value when the command started.
  sysctlsChanged(): boolean;
  // IPv4 addresses in the namespace, minus those there when the command started.
  addressesAdded(): number;
  // Routes to those addresses (rs-agent adds one per VIP, after all the VIPs), likewise.
  routesAdded(): number;
  // The argv of each child the command has now.
  children(): string[][];
}
export type KillPoint = (seen: Seen) => boolean;

export const whenStateFile =
  (pattern: RegExp): KillPoint =>
  (seen) =>
    seen.stateFiles().some((f) => pattern.test(f));
export const whenSysctlChanged: KillPoint = (seen) => seen.sysctlsChanged();
// A child whose argv begins with these words (after its exec: before it, a fork shows node's).
export const whenChild =
  (...argv: string[]): KillPoint =>
  (seen) =>
    seen.children().some((c) => argv.every((word, i) => c[i] === word));
// n VIPs added since the command started (negative n: removed). `ip -batch` adds and
// removes them in the config's order, so this is "VIP n of the config is there (gone)".
export const whenAddresses =
  (n: number): KillPoint =>
  (seen) =>
    n >= 0 ? seen.addressesAdded() >= n : seen.addressesAdded() <= n;
// n routes to VIPs added since the command started.
export const whenRoutes =
  (n: number): KillPoint =>
  (seen) =>
    seen.routesAdded() >= n;

// A `sleep` parked in the namespace, holding its /proc/sys files open: a /proc/sys file opened
// in a network namespace reads that namespace's value, also when reopened through
// /proc/PID/fd/N; and /proc/PID/net is that process's namespace's /proc/net. So the test reads
// the namespace's sysctls and local routes from outside it, one file read each.
export class NamespaceProbe {
  private constructor(
    private readonly child: ResultPromise,
    private readonly sysctlPaths: string[],
  ) {}

  static async open(ns: TestNamespace, sysctlPaths: string[]): Promise<NamespaceProbe> {
    const opens = sysctlPaths.map((p, i) => `exec ${i + 3}</proc/sys/${p}`).join('\n');
    const child = execa('ip', ['netns', 'exec', ns.name, 'bash', '-c', `${opens}\nexec sleep infinity`], {
      reject: false,
    });
    const probe = new NamespaceProbe(child, sysctlPaths);
    // Ready once bash has opened the files and exec'd sleep (a bound for a very busy machine).
    for (const deadline = Date.now() + 30_000; probe.comm() !== 'sleep'; await sleep(1)) {
      if (child.exitCode === null && Date.now() < deadline) continue;
      await probe.close();
      throw new Error(`the namespace probe did not start: ${(await child).stderr}`);
    }
    return probe;
  }

  private get pid(): number {
    return this.child.pid as number;
  }

  private comm(): string {
    try {
      return readFileSync(`/proc/${this.pid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  }

  sysctls(): string[] {
    return this.sysctlPaths.map((_, i) => readFileSync(`/proc/${this.pid}/fd/${i + 3}`, 'utf8').trim());
  }

  // The namespace's IPv4 addresses and the routes to them, as counts from the kernel's FIB
  // trie (fib_triestat: a few hundred bytes; fib_trie would list them all). An address is a
  // leaf (its local route); a route to that address in the main table is a second route on
  // the same leaf, since the kernel keeps main and local in one trie while there are no
  // policy rules, as in a fresh namespace.
  fib(): { addresses: number; routes: number } {
    const stat = readFileSync(`/proc/${this.pid}/net/fib_triestat`, 'utf8');
    const local = /^Local:\n(?:\t.*\n)*?\tLeaves:\s+(\d+)\n\tPrefixes:\s+(\d+)/m.exec(stat);
    if (!local) throw new Error(`no Local leaves and prefixes in fib_triestat:\n${stat}`);
    const [leaves, prefixes] = [Number(local[1]), Number(local[2])];
    return { addresses: leaves, routes: prefixes - leaves };
  }

  async close(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.child;
  }
}

// The argv of each child of a process, read from /proc.
export function argvOfChildren(pid: number): string[][] {
  try {
    return childrenOf(pid).map((child) => readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0'));
  } catch {
    return []; // it (or a child) exited while we looked
  }
}

// The names of the files a directory has held since the first call: inotify (fs.watch)
// queues each creation and deletion in the kernel, so a file that came and went between two
// looks (the nft file of a guard's removal lives for milliseconds) is still seen, however
// late the test gets to look on a busy machine. A first start creates the dir: watched once
// it exists, with what it holds then.
function filesSeen(dir: string): { names: () => string[]; close: () => void } {
  const seen = new Set<string>();
  let watcher: FSWatcher | undefined;
  return {
    names: () => {
      if (!watcher) {
        try {
          watcher = watch(dir, (_event, name) => name && seen.add(name));
          for (const name of readdirSync(dir)) seen.add(name);
        } catch {
          return []; // not made yet
        }
      }
      return [...seen];
    },
    close: () => watcher?.close(),
  };
}

// Holds the children of a process whose argv begins with `command` (SIGSTOP): what such a
// child was doing stays half done, its descriptors (the lock) open, for as long as the test
// needs, however fast the machine. Returns their pids, for SIGCONT.
export function holdChildren(pid: number, command: string): number[] {
  let pids: number[];
  try {
    pids = childrenOf(pid);
  } catch {
    return []; // it has exited
  }
  return pids.filter((child) => {
    try {
      if (readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0')[0] !== command) return false;
      process.kill(child, 'SIGSTOP');
      return true;
    } catch {
      return false; // exited meanwhile
    }
  });
}

export interface KillOptions {
  signal?: NodeJS.Signals;
  // Called with the command's pid at the kill point, just before the signal.
  beforeKill?: (pid: number) => void;
}

// Runs the CLI command in the namespace and sends it `signal` (to node itself: `ip netns exec`
// execs it in place) as soon as `point` holds. Says how it ended: "killed by SIGNAL" only if
// it died of that signal, so the kill landed while it ran; else how it finished without it.
export async function killAt(
  ns: TestNamespace,
  command: string,
  point: KillPoint,
  sysctlPaths: string[],
  { signal = 'SIGKILL', beforeKill }: KillOptions = {},
): Promise<string> {
  const probe = await NamespaceProbe.open(ns, sysctlPaths);
  const files = filesSeen(ns.stateDir);
  try {
    files.names(); // watching from here if the dir exists
    const before = { sysctls: probe.sysctls().join(), ...probe.fib() };
    const child = execa('ip', ns.cliArgv([command]), { reject: false });
    const pid = child.pid as number;
    const seen: Seen = {
      stateFiles: files.names,
      sysctlsChanged: () => probe.sysctls().join() !== before.sysctls,
      addressesAdded: () => probe.fib().addresses - before.addresses,
      routesAdded: () => probe.fib().routes - before.routes,
      children: () => argvOfChildren(pid),
    };
    let finished = false;
    void child.then(() => (finished = true));
    while (!finished && !point(seen)) await sleep(1);
    if (!finished) {
      beforeKill?.(pid);
      child.kill(signal);
    }
    const result = await child;
    if (result.signal === signal) return `killed by ${signal}`;
    return `finished before the kill point (exit ${result.exitCode}, signal ${result.signal}): ${result.stderr}`;
  } finally {
    files.close();
    await probe.close();
  }
}
