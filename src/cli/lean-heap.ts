import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';

// V8 flags for a pass over thousands of VIPs, which allocates in one burst and exits:
// 1 MiB semi-spaces (V8 grows them to 16 MiB under that load) and V8's size-over-speed
// heuristics. At 10000 VIPs they take a stop's peak RSS from about 111 MiB to 85.
// They cost about 15 ms of start-up (any V8 flag invalidates node's code cache for its
// built-in modules), which a cron check on a host with a handful of VIPs should not
// pay; so a pass runs under them only when its files say it is big, by running node
// again with the flags.
export const LEAN_HEAP_FLAGS = ['--max-semi-space-size=1', '--optimize-for-size'];
const RERUN_MARK = 'RS_AGENT_LEAN_HEAP';

// A config of about 4000 VIPs, or a state file recording about 1500.
const LARGE_CONFIG_BYTES = 64 * 1024;
const LARGE_STATE_BYTES = 256 * 1024;

// The one-shot commands that observe and plan a whole host. `run` is long-lived and
// gets its flags from its unit; the others do not grow with the VIP count.
const PASSES = new Set(['plan', 'start', 'stop', 'check', 'status']);

export function needsLeanHeap(command: string, configBytes: number, stateBytes: number): boolean {
  return PASSES.has(command) && (configBytes > LARGE_CONFIG_BYTES || stateBytes > LARGE_STATE_BYTES);
}

// Runs this same command again under LEAN_HEAP_FLAGS when the pass is big, and returns
// its exit status; null when this process should run the command itself.
export function rerunWithLeanHeap(command: string, args: { config: string; 'state-dir': string }): number | null {
  if (process.env[RERUN_MARK] === '1') return null;
  if (!needsLeanHeap(command, sizeOf(args.config), sizeOf(join(args['state-dir'], 'state.json')))) return null;
  const script = process.argv[1];
  if (script === undefined) return null;
  const result = spawnSync(process.execPath, [...LEAN_HEAP_FLAGS, ...process.execArgv, script, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [RERUN_MARK]: '1' },
  });
  // Could not start node again: run the pass here, only with more memory.
  if (result.error) return null;
  if (result.signal) process.kill(process.pid, result.signal);
  return result.status ?? 2;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // missing or unreadable: the command itself reports it
  }
}
