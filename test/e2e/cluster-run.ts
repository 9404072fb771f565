// Boots the e2e VM (vm/run-vm.sh) and reads back what the in-VM scenarios observed
// (guest/cluster.sh): one JSON object per line, {mode, phase, obs, ...facts}.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const cacheDir = join(here, '.cache');

// dr and tun serve an IPv4 VIP; dr6 and tun6 the same with an IPv6 VIP. tun-gue, tun-gre,
// tun6-gue and tun6-gre tunnel with GUE (UDP port 6080) or GRE instead of IP-in-IP.
export const ALL_MODES = ['dr', 'tun', 'dr6', 'tun6', 'tun-gue', 'tun-gre', 'tun6-gue', 'tun6-gre'] as const;
export type Mode = (typeof ALL_MODES)[number];

// The modes to run: E2E_MODES (comma-separated, e.g. "tun6") or all of them, always in
// ALL_MODES's order: a module stays loaded for the rest of the VM's life, and each TUN mode
// must find its tunnel module (ipip, ip6_tunnel) not loaded yet.
export function modesToRun(env = process.env.E2E_MODES): Mode[] {
  if (!env) return [...ALL_MODES];
  const asked = env
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  for (const m of asked) {
    if (!(ALL_MODES as readonly string[]).includes(m))
      throw new Error(`E2E_MODES: unknown mode "${m}"; use ${ALL_MODES.join(',')}`);
  }
  return ALL_MODES.filter((m) => asked.includes(m));
}

export interface Observation {
  mode: Mode;
  phase: string;
  obs: string;
  [fact: string]: unknown;
}

export interface ClusterRun {
  observations: Observation[];
  consoleLog: string;
  seconds: number;
}

// Runs the VM to completion. The console goes to a log file (and to stderr with
// E2E_VERBOSE=1); the environment (E2E_RS_AGENT, E2E_ACCEL, ...) passes through to run-vm.sh.
// A VM still running after timeoutSeconds (by default just inside the suite's 30-minute hook
// timeout) is killed and the run fails with the console's tail: vitest's own timeout would
// leave it running, orphaned, taking the CPU of whatever runs next.
export async function runCluster(modes: Mode[], timeoutSeconds = 29 * 60): Promise<ClusterRun> {
  mkdirSync(cacheDir, { recursive: true });
  const resultsFile = join(cacheDir, `results-${modes.join('-')}.jsonl`);
  const consoleLog = join(cacheDir, `console-${modes.join('-')}.log`);
  const log = createWriteStream(consoleLog);
  const started = Date.now();
  const child = spawn(join(here, 'vm', 'run-vm.sh'), [resultsFile], {
    env: { ...process.env, E2E_MODES: modes.join(',') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (process.env.E2E_VERBOSE === '1') process.stderr.write(chunk);
    });
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  clearTimeout(timer);
  await new Promise((resolve) => log.end(resolve));
  if (code !== 0) {
    throw new Error(
      `run-vm.sh exited ${code} (killed after ${timeoutSeconds} s?); console log: ${consoleLog}\n${tail(consoleLog)}`,
    );
  }
  const observations = readFileSync(resultsFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Observation);
  for (const mode of modes) {
    if (!observations.some((o) => o.mode === mode && o.obs === 'done')) {
      throw new Error(`the ${mode} scenario did not finish; console log: ${consoleLog}\n${tail(consoleLog)}`);
    }
  }
  return { observations, consoleLog, seconds: (Date.now() - started) / 1000 };
}

function tail(file: string): string {
  return readFileSync(file, 'utf8').split('\n').slice(-40).join('\n');
}

// The one observation of a kind; missing means the scenario broke before making it.
export function observation<T>(run: ClusterRun, mode: Mode, phase: string, obs: string, host?: string): T {
  const found = run.observations.filter(
    (o) => o.mode === mode && o.phase === phase && o.obs === obs && (host === undefined || o.host === host),
  );
  if (found.length !== 1) {
    throw new Error(
      `expected one observation ${JSON.stringify({ mode, phase, obs, host })}, found ${found.length}; ` +
        `console log: ${run.consoleLog}`,
    );
  }
  return found[0] as T;
}
