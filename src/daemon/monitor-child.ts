import { execa } from 'execa';
import { utilLinux } from '../system/util-linux.js';
import type { Lifecycle } from './lifecycle.js';

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
}

// The child is killed when the daemon exits or is killed with TERM/INT/HUP (execa's
// cleanup), and by the kernel when the daemon is killed with SIGKILL: util-linux
// setpriv sets its parent-death signal, then execs ip in place.
const DIE_WITH_PARENT = ['--pdeathsig', 'KILL'] as const;

// argv: the monitor to run (ip monitor by default; the nftables trigger runs nft monitor).
export function startMonitorChild(handlers: MonitorHandlers, argv: readonly string[] = IP_MONITOR_ARGV): MonitorChild {
  const command = argv[0] ?? 'ip';
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
    stderr = (stderr + chunk.toString()).slice(-500);
  });
  void child.then((result) => {
    const code = (result.cause as NodeJS.ErrnoException | undefined)?.code ?? result.code;
    if (code === 'ENOENT') end('setpriv: command not found in PATH (install util-linux)');
    else if (result.exitCode === 127)
      end(
        `${command}: command not found in PATH (install ${command === 'ip' ? 'iproute2' : command === 'nft' ? 'nftables' : command})`,
      );
    else if (result.failed && result.exitCode === undefined && !result.signal)
      end(result.originalMessage || result.shortMessage || 'failed');
    else end(stderr.trim() || (result.signal ? `signal ${result.signal}` : `exit status ${result.exitCode}`));
  });
  return {
    stop() {
      state = 'stopping';
      child.kill('SIGTERM');
    },
  };
}
