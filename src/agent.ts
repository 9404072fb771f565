import { apply, type ApplyResult } from './apply/apply.js';
import { loadConfig } from './config/load.js';
import type { Config } from './config/types.js';
import { observe } from './observe/observe.js';
import type { ActualState } from './observe/types.js';
import { desiredState, NOTHING } from './plan/desired.js';
import { plan, sysctlPathsToRead } from './plan/plan.js';
import type { Change, DesiredState } from './plan/types.js';
import { withLock } from './state/lock.js';
import { readState, removeState, writeState } from './state/state-file.js';
import { isEmptyOwned, type Owned } from './state/types.js';
import { requireNetAdmin } from './system/privileges.js';
import type { Runner } from './system/runner.js';
import type { SysctlFs } from './system/sysctl-fs.js';

// The library behind every command. Each function reads fresh (config, state file,
// kernel), assembles a plan with the pure planner, and applies it where asked.

export interface AgentOptions {
  configPath: string;
  stateDir: string;
  runner: Runner;
  sysctlFs: SysctlFs;
  // Skips the CAP_NET_ADMIN check (tests with a fake kernel).
  skipPrivilegeCheck?: boolean;
  // How long a mutating pass waits for another one to finish.
  lockWaitMs?: number;
}

export interface Snapshot {
  config: Config | null;
  desired: DesiredState;
  actual: ActualState;
  owned: Owned;
  changes: Change[];
}

// Reads everything a pass needs and plans. With config null the desired state is
// "nothing": what stop converges to.
export async function snapshot(opts: AgentOptions, config: Config | null): Promise<Snapshot> {
  const owned = readState(opts.stateDir);
  let desired: DesiredState = NOTHING;
  const ipv6Routes = Boolean(config?.vips.some((v) => v.family === 6)) || owned.routes.some((r) => r.family === 6);
  const actual = await observe(opts.runner, opts.sysctlFs, (links) => {
    if (config) desired = desiredState(config, links);
    return sysctlPathsToRead(desired, owned);
  }, { ipv6Routes });
  return { config, desired, actual, owned, changes: plan(desired, actual, owned) };
}

export function validate(opts: Pick<AgentOptions, 'configPath'>): Config {
  return loadConfig(opts.configPath);
}

export async function planStart(opts: AgentOptions): Promise<Snapshot> {
  return snapshot(opts, loadConfig(opts.configPath));
}

export interface RunResult extends ApplyResult {
  changes: Change[];
}

// Converges the host to the config.
export async function start(opts: AgentOptions): Promise<RunResult> {
  guard(opts, 'start');
  const config = loadConfig(opts.configPath);
  return withLock(opts.stateDir, async () => converge(opts, await snapshot(opts, config)), opts.lockWaitMs);
}

// Removes what rs-agent added and restores what it changed. Needs no config: it
// works from the state file alone, even when the config has since been broken.
export async function stop(opts: AgentOptions): Promise<RunResult> {
  guard(opts, 'stop');
  return withLock(opts.stateDir, async () => converge(opts, await snapshot(opts, null)), opts.lockWaitMs);
}

export interface CheckResult {
  drift: Change[]; // what differed before any repair
  repair?: RunResult; // with fix
  remaining: Change[]; // what differs now
}

// Compares actual with desired; with fix, repairs and looks again.
export async function check(opts: AgentOptions, fix: boolean): Promise<CheckResult> {
  if (fix) guard(opts, 'check --fix');
  const config = loadConfig(opts.configPath);
  if (!fix) {
    const { changes } = await snapshot(opts, config);
    return { drift: changes, remaining: changes };
  }
  // Observed under the lock, so a repair never acts on what another pass just changed.
  return withLock(opts.stateDir, async () => {
    const before = await snapshot(opts, config);
    if (before.changes.length === 0) return { drift: [], remaining: [] };
    const repair = await converge(opts, before);
    const after = await snapshot(opts, config);
    return { drift: before.changes, repair, remaining: after.changes };
  }, opts.lockWaitMs);
}

export interface ReconcileResult extends RunResult {
  snapshot: Snapshot; // what the pass observed and planned, before select
}

// One pass of the daemon: converges to an already-loaded config, under the lock.
// select picks which planned changes to apply (the flap guard holds some back).
export async function reconcile(
  opts: AgentOptions,
  config: Config,
  select: (changes: Change[]) => Change[] = (changes) => changes,
): Promise<ReconcileResult> {
  guard(opts, 'run');
  return withLock(opts.stateDir, async () => {
    const snap = await snapshot(opts, config);
    return { snapshot: snap, ...(await converge(opts, { ...snap, changes: select(snap.changes) })) };
  }, opts.lockWaitMs);
}

async function converge(opts: AgentOptions, snap: Snapshot): Promise<RunResult> {
  if (snap.changes.length === 0) return { changes: [], outcomes: [], ok: true, owned: snap.owned };
  const result = await apply(snap.changes, {
    runner: opts.runner,
    sysctlFs: opts.sysctlFs,
    owned: snap.owned,
    saveOwned: (owned) => (isEmptyOwned(owned) ? removeState(opts.stateDir) : writeState(opts.stateDir, owned)),
  });
  return { changes: snap.changes, ...result };
}

function guard(opts: AgentOptions, command: string): void {
  if (!opts.skipPrivilegeCheck) requireNetAdmin(command);
}
