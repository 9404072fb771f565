import { spawn } from 'node:child_process';

// The kernel reports every address, route and link change on netlink; one long-lived
// `ip monitor` child relays them (in the network namespace the daemon runs in). Its
// text is not parsed: any change means "look again", and the level-based reconcile
// decides what, if anything, to do. Changes rs-agent makes itself come back here too;
// they cost one more pass whose plan is empty.

export const WATCH_ARGV = ['ip', 'monitor', 'address', 'route', 'link'] as const;

export interface Watch {
  stop(): void;
}

export interface WatchHandlers {
  onChange(): void;
  // The child ended without being asked to (killed, ip missing): the caller restarts it.
  onExit(reason: string): void;
}

export function startWatch(handlers: WatchHandlers): Watch {
  const [file, ...args] = WATCH_ARGV;
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  let stopping = false;
  let ended = false;
  let stderr = '';
  const end = (why: string) => {
    if (stopping || ended) return;
    ended = true;
    handlers.onExit(`${WATCH_ARGV.join(' ')} ended: ${why}`);
  };
  child.stdout.on('data', () => handlers.onChange());
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-500);
  });
  child.on('error', (error: NodeJS.ErrnoException) => {
    end(error.code === 'ENOENT' ? 'ip: command not found in PATH (install iproute2)' : error.message);
  });
  child.on('close', (code, signal) => end(stderr.trim() || (signal ? `signal ${signal}` : `exit status ${code}`)));
  return {
    stop() {
      stopping = true;
      child.kill('SIGTERM');
    },
  };
}
