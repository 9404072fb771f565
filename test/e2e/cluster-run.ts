// Boots the e2e VM (vm/run-vm.sh) and reads back what the in-VM scenarios observed
// (guest/cluster.sh): one JSON object per line, {mode, phase, obs, ...facts}.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { consoleTail, runVm } from './vm-run.js';

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

// Runs the VM to completion (vm-run.ts: a silent VM is killed, a slow one is not, up to
// timeoutSeconds; the suite's hook timeout is above it).
export async function runCluster(modes: Mode[], timeoutSeconds = 75 * 60): Promise<ClusterRun> {
  mkdirSync(cacheDir, { recursive: true });
  const resultsFile = join(cacheDir, `results-${modes.join('-')}.jsonl`);
  const consoleLog = join(cacheDir, `console-${modes.join('-')}.log`);
  const started = Date.now();
  await runVm(resultsFile, consoleLog, { ...process.env, E2E_MODES: modes.join(',') }, timeoutSeconds);
  const observations = readFileSync(resultsFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Observation);
  for (const mode of modes) {
    if (!observations.some((o) => o.mode === mode && o.obs === 'done')) {
      throw new Error(`the ${mode} scenario did not finish; console log: ${consoleLog}\n${consoleTail(consoleLog)}`);
    }
  }
  return { observations, consoleLog, seconds: (Date.now() - started) / 1000 };
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
