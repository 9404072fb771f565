import { execa, type ResultPromise } from 'execa';

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
  const child: ResultPromise = execa(file, args, {
    buffer: false,
    stdin: 'ignore',
    stderr: 'pipe',
    env: { LC_ALL: 'C' },
    reject: false,
    cleanup: true,
  });
  let stopping = false;
  let stderr = '';
  child.stdout?.on('data', () => handlers.onChange());
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-500);
  });
  void child.then((result) => {
    if (stopping) return;
    const how = result.signal ? `signal ${result.signal}` : `exit status ${result.exitCode ?? 'unknown'}`;
    const why = (result as { code?: string }).code === 'ENOENT' ? 'ip: command not found (install iproute2)' : stderr.trim() || how;
    handlers.onExit(`${WATCH_ARGV.join(' ')} ended: ${why}`);
  });
  return {
    stop() {
      stopping = true;
      child.kill('SIGTERM');
    },
  };
}
