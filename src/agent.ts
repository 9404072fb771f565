import { apply, type ApplyResult } from './apply/apply.js';
import { forgetAbsent } from './apply/ownership.js';
import { loadConfig } from './config/load.js';
import { AgentError } from './errors.js';
import type { Config } from './config/types.js';
import { observe } from './observe/observe.js';
import type { ActualState } from './observe/types.js';
import { desiredState, NOTHING } from './plan/desired.js';
import { describeConflict, findConflicts, type Conflict } from './plan/conflicts.js';
import { fouProblems } from './plan/fou.js';
import { plan, sysctlPathsToRead } from './plan/plan.js';
import type { Change, DesiredState, Problem } from './plan/types.js';
import { withLock, type Lock } from './state/lock.js';
import { readState, removeState, writeState } from './state/state-file.js';
import { isEmptyOwned, type Owned } from './state/types.js';
import { requireNetAdmin, requireWritableProcSys } from './system/privileges.js';
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
  // Accept a config file someone other than root could have written.
  allowInsecureConfig?: boolean;
  // Aborted when the caller gives up (the daemon shutting down): a pass still waiting
  // for the lock stops waiting.
  signal?: AbortSignal;
}

export interface Snapshot {
  config: Config | null;
  desired: DesiredState;
  actual: ActualState;
  owned: Owned;
  changes: Change[];
  conflicts: Conflict[]; // VIPs the host holds on a NIC: start refuses, check reports
  problems: Problem[]; // what the config asks for but the host cannot have now: reported
}

// Reads everything a pass needs and plans. With config null the desired state is
// "nothing": what stop converges to.
export async function snapshot(opts: AgentOptions, config: Config | null): Promise<Snapshot> {
  const owned = readState(opts.stateDir);
  let desired: DesiredState = NOTHING;
  const ipv6Routes = Boolean(config?.vips.some((v) => v.family === 6)) || owned.routes.some((r) => r.family === 6);
  const fou = Boolean(config?.vips.some((v) => v.encap === 'gue')) || owned.fou.length > 0;
  const actual = await observe(opts.runner, opts.sysctlFs, (links) => {
    if (config) desired = desiredState(config, links);
    return sysctlPathsToRead(desired, owned);
  }, { ipv6Routes, fou });
  const conflicts = findConflicts(desired, actual.links, owned);
  const problems = [...desired.problems, ...fouProblems(desired.fou, actual.fou)];
  return { config, desired, actual, owned, changes: plan(desired, actual, owned), conflicts, problems };
}

export function validate(opts: Pick<AgentOptions, 'configPath' | 'allowInsecureConfig'>): Config {
  return loadConfig(opts.configPath, { allowInsecure: opts.allowInsecureConfig });
}

export async function planStart(opts: AgentOptions): Promise<Snapshot> {
  return snapshot(opts, validate(opts));
}

export interface RunResult extends ApplyResult {
  changes: Change[];
  problems: Problem[]; // left undone because the host lacks something (reported, exit 2)
}

// Converges the host to the config.
export async function start(opts: AgentOptions): Promise<RunResult> {
  guard(opts, 'start');
  const config = validate(opts);
  return withLock(opts.stateDir, async (lock) => {
    const snap = await snapshot(opts, config);
    refuseConflicts(snap);
    return converge(opts, snap, lock);
  }, opts.lockWaitMs);
}

// Adding a VIP the host also holds on a NIC would finish a DR cluster's breakage, not
// repair it: start refuses, changing nothing, until the operator has fixed it.
export function refuseConflicts(snap: Snapshot): void {
  if (snap.conflicts.length === 0) return;
  const source = snap.config ? `config ${snap.config.source}: ` : '';
  throw new AgentError(`${source}${snap.conflicts.map(describeConflict).join('; ')}; nothing was changed`);
}

// Removes what rs-agent added and restores what it changed. Needs no config: it
// works from the state file alone, even when the config has since been broken.
export async function stop(opts: AgentOptions): Promise<RunResult> {
  guard(opts, 'stop');
  return withLock(opts.stateDir, async (lock) => converge(opts, await snapshot(opts, null), lock), opts.lockWaitMs);
}

export interface CheckResult {
  drift: Change[]; // what differed before any repair
  repair?: RunResult; // with fix
  remaining: Change[]; // what differs now
  conflicts: Conflict[]; // VIPs on a NIC: reported, never repaired (the address is not rs-agent's)
  problems: Problem[]; // what cannot be put in place now (a configured NIC missing): drift
}

// Compares actual with desired; with fix, repairs and looks again.
export async function check(opts: AgentOptions, fix: boolean): Promise<CheckResult> {
  if (fix) guard(opts, 'check --fix');
  const config = validate(opts);
  if (!fix) {
    const { changes, conflicts, problems } = await snapshot(opts, config);
    return { drift: changes, remaining: changes, conflicts, problems };
  }
  // Observed under the lock, so a repair never acts on what another pass just changed.
  return withLock(opts.stateDir, async (lock) => {
    const before = await snapshot(opts, config);
    if (before.changes.length === 0) return { drift: [], remaining: [], conflicts: before.conflicts, problems: before.problems };
    const repair = await converge(opts, before, lock);
    const after = await snapshot(opts, config);
    return { drift: before.changes, repair, remaining: after.changes, conflicts: after.conflicts, problems: after.problems };
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
  return withLock(opts.stateDir, async (lock) => {
    const snap = await snapshot(opts, config);
    return { snapshot: snap, ...(await converge(opts, { ...snap, changes: select(snap.changes) }, lock)) };
  }, opts.lockWaitMs);
}

async function converge(opts: AgentOptions, snap: Snapshot, lock: Lock): Promise<RunResult> {
  const saveOwned = (owned: Owned) => (isEmptyOwned(owned) ? removeState(opts.stateDir) : writeState(opts.stateDir, owned));
  const owned = forgetAbsent(snap.owned, snap.actual);
  if (snap.changes.length === 0) {
    if (JSON.stringify(owned) !== JSON.stringify(snap.owned)) saveOwned(owned);
    return { changes: [], outcomes: [], ok: true, owned, problems: snap.problems };
  }
  const result = await apply(snap.changes, {
    runner: opts.runner,
    sysctlFs: opts.sysctlFs,
    owned,
    saveOwned,
    batchDir: opts.stateDir,
    onSpawn: (pid) => lock.track(pid),
  });
  return { changes: snap.changes, ...result, problems: snap.problems };
}

function guard(opts: AgentOptions, command: string): void {
  if (opts.skipPrivilegeCheck) return;
  requireNetAdmin(command);
  requireWritableProcSys(command);
}
