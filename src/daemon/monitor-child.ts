import { execa, type Result } from 'execa';
import { escapeText } from '../render/escape.js';
import { utilLinux } from '../system/util-linux.js';
import type { Lifecycle } from './lifecycle.js';
import { joinedNetlinkGroup } from './netlink-joined.js';

// The kernel reports every address, route and link change on netlink; one long-lived
// `ip monitor` child relays them (in the network namespace the daemon runs in). Its
// text is not parsed: any change means "look again", and the level-based reconcile
// decides what, if anything, to do. Changes rs-agent makes itself come back here too;
// they cost one more pass whose plan is empty.

export const IP_MONITOR_ARGV = ['ip', 'monitor', 'address', 'route', 'link'] as const;

export interface MonitorChild {
  stop(): void;
}

// How a monitor child is started: startMonitorChild, or a test's stand-in.
export type StartMonitor = (handlers: MonitorHandlers, argv: readonly string[]) => MonitorChild;

export interface MonitorHandlers {
  onChange(text: string): void; // what the child printed (a chunk: lines may be split)
  // The child ended without being asked to (killed, ip missing): the caller restarts it.
  onExit(reason: string): void;
  // The child has joined the kernel's events: every change from now on reaches it (once).
  onJoined(): void;
}

// How often a started child is looked at until it has joined: soon at first, then at most
// once a second (a child that never shows a joined socket of its own costs little).
const FIRST_LOOK_MS = 10;
const LAST_LOOK_MS = 1000;

// The child is killed when the daemon exits or is killed with TERM/INT/HUP (execa's
// cleanup), and by the kernel when the daemon is killed with SIGKILL: util-linux
// setpriv sets its parent-death signal, then execs ip in place.
const DIE_WITH_PARENT = ['--pdeathsig', 'KILL'] as const;

const PACKAGES: Record<string, string> = { setpriv: 'util-linux', ip: 'iproute2', nft: 'nftables' };
// What setpriv prints when it cannot find the command it was to run (LC_ALL=C).
const EXEC_ENOENT = /^setpriv: failed to execute .*: No such file or directory$/m;
const MAX_STDERR = 500;

// argv: the monitor to run (ip monitor by default; the nftables trigger runs nft monitor).
export function startMonitorChild(handlers: MonitorHandlers, argv: readonly string[] = IP_MONITOR_ARGV): MonitorChild {
  const child = execa(utilLinux('setpriv'), [...DIE_WITH_PARENT, ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { LC_ALL: 'C' },
    buffer: false,
    cleanup: true,
    reject: false,
    forceKillAfterDelay: 1000,
  });
  // Stopped by the daemon, or ended on its own (reported once).
  let state: Lifecycle = 'running';
  let stderr = '';
  const end = (why: string) => {
    if (state !== 'running') return;
    state = 'stopped';
    handlers.onExit(`${argv.join(' ')} ended: ${why}`);
  };
  child.stdout?.on('data', (chunk: Buffer) => handlers.onChange(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-MAX_STDERR);
  });
  const look = (delayMs: number) => {
    const timer = setTimeout(() => {
      void joinedNetlinkGroup(child.pid as number).then((joined) => {
        if (state !== 'running') return;
        if (joined) handlers.onJoined();
        else look(Math.min(delayMs * 2, LAST_LOOK_MS));
      });
    }, delayMs);
    timer.unref();
  };
  if (child.pid !== undefined) look(FIRST_LOOK_MS);
  void child.then((result) => end(exitReason(argv, result, stderr)));
  return {
    stop() {
      state = 'stopping';
      child.kill('SIGTERM');
    },
  };
}

// Why a monitor child ended, in the user's terms. "command not found" only when a command
// is missing: setpriv itself (execa's ENOENT), or the monitor (setpriv's own message). Else
// what setpriv or the monitor said on stderr, with the status: setpriv exits 127 as well when
// it cannot set up the child (it calls capset(2) however it is invoked, which a seccomp
// filter such as systemd's SystemCallFilter=~@privileged refuses).
export function exitReason(argv: readonly string[], result: Result, stderr: string): string {
  const command = argv[0] ?? 'ip';
  const notFound = (name: string) => `${name}: command not found in PATH (install ${PACKAGES[name] ?? name})`;
  const code = (result.cause as NodeJS.ErrnoException | undefined)?.code ?? result.code;
  if (code === 'ENOENT') return notFound('setpriv');
  if (result.exitCode === 127 && EXEC_ENOENT.test(stderr)) return notFound(command);
  if (result.failed && result.exitCode === undefined && !result.signal)
    return result.originalMessage || result.shortMessage || 'failed';
  const status = result.signal ? `signal ${result.signal}` : `exit status ${result.exitCode}`;
  const said = escapeText(stderr.trim().slice(-MAX_STDERR));
  return said ? `${said} (${status})` : status;
}
