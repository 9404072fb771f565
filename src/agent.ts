import { apply, type ApplyResult } from './apply/apply.js';
import { loadConfig } from './config/load.js';
import type { Config } from './config/types.js';
import type { KeptProtection, Problem } from './model/change.js';
import type { HostAddress } from './model/host.js';
import { unrecordedVips } from './objects/address.js';
import { followRenames, isEmptyOwned, NFT_TABLES, type Change, type Owned } from './objects/registry.js';
import { tableId, type NftTableSpec } from './objects/nft-table.js';
import { observeObjects, readSysctls } from './observe/observe.js';
import type { ActualNftTable, ActualState } from './observe/types.js';
import { findConflicts, withoutConflicts, type Conflict } from './plan/conflicts.js';
import { missingOf, selectChanges } from './plan/gate.js';
import { desiredState, planFull, sysctlPathsToRead, type DesiredState } from './plan/plan.js';
import { refuseWhileDaemonRuns } from './state/instance-lock.js';
import { withLock, type Lock, type LockOptions } from './state/lock.js';
import { readState, removeState, writeState } from './state/state-file.js';
import { verdictOf, type Held, type Verdict } from './verdict.js';
import { requireNetAdmin, requireWritableProcSys } from './system/privileges.js';
import type { Runner } from './system/runner.js';
import type { SysctlFs } from './system/sysctl-fs.js';
import { storeEndpoints } from './store/endpoint-addresses.js';
import { withStoreVips } from './store/resolve.js';

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
  // Aborting it gives up a wait for the lock at once (the daemon's SIGTERM).
  lockSignal?: AbortSignal;
  // Accept a config file someone other than root could have written.
  allowInsecureConfig?: boolean;
  // Which of rs-agent's nftables tables a pass reads afresh, and the last reading of the
  // others (the daemon's, daemon/nft-watch.ts); without it every one is read.
  nftWatch?: NftReadings;
  acquireLock?: LockOptions['acquire']; // the daemon's pass lock (state/pass-lock.ts)
}

// Which tables a pass reads afresh, the last reading of the others, and what it read.
export interface NftReadings {
  toRead<T extends NftTableSpec>(tables: readonly T[]): { read: T[]; known: Record<string, ActualNftTable> };
  remember(read: Readonly<Record<string, ActualNftTable>>): void;
}

export interface Snapshot {
  config: Config | null;
  desired: DesiredState;
  actual: ActualState;
  owned: Owned;
  changes: Change[];
  conflicts: Conflict[]; // VIPs not added (on a NIC, or at another prefix): changes leave them out
  problems: Problem[]; // what the config asks for but the host cannot have now: reported
  kept: KeptProtection[]; // protection left in force for addresses that still need it
}

// Reads everything a pass needs and plans. With config null the desired state is
// "nothing": what stop converges to.
export async function snapshot(opts: AgentOptions, config: Config | null): Promise<Snapshot> {
  const recorded = readState(opts.stateDir);
  const looked = NFT_TABLES.filter((t) => t.observeWhen(config, recorded.nft.includes(tableId(t))));
  const { read, known } = opts.nftWatch?.toRead(looked) ?? { read: looked, known: {} };
  const objects = await observeObjects(opts.runner, {
    ipv6Routes: Boolean(config?.vips.some((v) => v.family === 6)) || recorded.route.some((r) => r.family === 6),
    fou: Boolean(config?.vips.some((v) => v.encap === 'gue')) || recorded.fou.length > 0,
    tables: read,
  });
  opts.nftWatch?.remember(objects.nft ?? {});
  if (looked.length > 0) objects.nft = { ...known, ...objects.nft };
  // The NICs and tunnel devices the config means are among the links found; the sysctls
  // to read are theirs and those rs-agent holds originals for (renamed devices followed).
  // No VIP may be the host's gateway or its store's address (model/lifelines.ts).
  const store = config?.store ? await storeEndpoints(config.store) : [];
  const desired = desiredState(config, objects.links, { gateways: objects.gateways, store });
  const owned = followRenames(recorded, objects.links);
  const actual: ActualState = { ...objects, sysctls: readSysctls(opts.sysctlFs, sysctlPathsToRead(desired, owned)) };
  const conflicts = findConflicts(desired, actual.links, owned);
  const { changes, kept, problems } = planFull(desired, actual, owned);
  if (config?.storeUnknown) problems.push({ item: 'store', message: config.storeUnknown });
  return { config, desired, actual, owned, conflicts, problems, kept, changes: withoutConflicts(changes, conflicts) };
}

export function validate(opts: Pick<AgentOptions, 'configPath' | 'allowInsecureConfig'>): Config {
  return loadConfig(opts.configPath, { allowInsecure: opts.allowInsecureConfig });
}

// The file's config, plus this host's VIPs from a store if it names one.
export async function desiredConfig(opts: AgentOptions): Promise<Config> {
  return withStoreVips(validate(opts), opts.stateDir);
}

export async function planStart(opts: AgentOptions): Promise<Snapshot> {
  return snapshot(opts, await desiredConfig(opts));
}

export interface ConvergeResult extends ApplyResult {
  changes: Change[];
  conflicts: Conflict[]; // VIPs this pass did not add: the caller reports them as a failure
  problems: Problem[]; // left undone because the host lacks something (reported, exit 2)
  kept?: KeptProtection[]; // protection left in force: an address still needs it
  held: Held[]; // planned, but held back: what the flap backoff holds, what is missing, and what needs those
  verdict: Verdict;
}

// Converges the host to the config.
export async function start(opts: AgentOptions): Promise<ConvergeResult> {
  requirePrivileges(opts, 'start');
  const config = await desiredConfig(opts);
  return withLock(
    opts.stateDir,
    async (lock) => {
      return converge(opts, await snapshot(opts, config), lock);
    },
    lockOptions(opts),
  );
}

// Removes what rs-agent added and restores what it changed. Needs no config: it
// works from the state file alone, even when the config has since been broken.
// With no record at all (state file deleted), it changes nothing and names in
// `unrecorded` the VIP-like addresses still on lo and the tunnel devices.
export async function stop(opts: AgentOptions): Promise<ConvergeResult & { unrecorded: HostAddress[] }> {
  requirePrivileges(opts, 'stop');
  await refuseWhileDaemonRuns(opts.stateDir, 'stop');
  return withLock(
    opts.stateDir,
    async (lock) => {
      const snap = await snapshot(opts, null);
      const unrecorded = isEmptyOwned(snap.owned) ? unrecordedVips(snap.actual.links, []) : [];
      return { ...(await converge(opts, snap, lock)), unrecorded };
    },
    lockOptions(opts),
  );
}

export interface CheckResult {
  drift: Change[]; // what differed before any repair
  repair?: ConvergeResult; // with fix
  remaining: Change[]; // what differs now
  conflicts: Conflict[]; // VIPs on a NIC: reported, never repaired (the address is not rs-agent's)
  problems: Problem[]; // what cannot be put in place now (a configured NIC missing): drift
  verdict: Verdict;
}

// Compares actual with desired; with fix, repairs and looks again.
export async function check(opts: AgentOptions, fix: boolean): Promise<CheckResult> {
  if (fix) requirePrivileges(opts, 'check --fix');
  const config = await desiredConfig(opts);
  if (!fix) {
    const { changes, conflicts, problems } = await snapshot(opts, config);
    return {
      drift: changes,
      remaining: changes,
      conflicts,
      problems,
      verdict: verdictOf({ changes, conflicts, problems }),
    };
  }
  // Observed under the lock, so a repair never acts on what another pass just changed.
  return withLock(
    opts.stateDir,
    async (lock) => {
      const before = await snapshot(opts, config);
      if (before.changes.length === 0) {
        const { conflicts, problems } = before;
        return {
          drift: [],
          remaining: [],
          conflicts,
          problems,
          verdict: verdictOf({ changes: [], conflicts, problems }),
        };
      }
      const repair = await converge(opts, before, lock);
      const after = await snapshot(opts, config);
      const verdict = verdictOf({
        changes: before.changes,
        outcomes: repair.outcomes,
        remaining: after.changes,
        conflicts: after.conflicts,
        problems: after.problems,
        ...(repair.error === undefined ? {} : { error: repair.error }),
      });
      return {
        drift: before.changes,
        repair,
        remaining: after.changes,
        conflicts: after.conflicts,
        problems: after.problems,
        verdict,
      };
    },
    lockOptions(opts),
  );
}

export interface ReconcileResult extends ConvergeResult {
  snapshot: Snapshot; // what the pass observed and planned, before the gate held anything back
}

// One pass of the daemon: converges to an already-loaded config, under the lock. The
// gate (plan/gate.ts) holds back what the flap backoff holds, and what needs it.
// lookFirst (the scheduled pass): looks before it takes the lock (a `flock` process), and
// takes it, looking again, only to change or record something; a look that does neither
// does under the lock what it does without: nothing.
export async function reconcile(
  opts: AgentOptions,
  config: Config,
  isHeld: (item: string) => boolean = () => false,
  lookFirst = false,
): Promise<ReconcileResult> {
  requirePrivileges(opts, 'run');
  if (lookFirst) {
    const snap = await snapshot(opts, config);
    const idle = snap.changes.length === 0 ? await convergeIdle(opts, snap, isHeld) : null;
    if (idle) return { ...idle, snapshot: snap };
  }
  return withLock(
    opts.stateDir,
    async (lock) => {
      const snap = await snapshot(opts, config);
      return { ...(await converge(opts, snap, lock, isHeld)), snapshot: snap };
    },
    lockOptions(opts),
  );
}

// converge for an empty plan without the lock (lock null), reconcile's lookFirst: null when
// it would write the state file (the record of what rs-agent owns needs updating).
async function convergeIdle(
  opts: AgentOptions,
  snap: Snapshot,
  isHeld: (item: string) => boolean,
): Promise<ConvergeResult | null> {
  const needsLock = new Error('the state file would be written');
  const refuse = () => {
    throw needsLock;
  };
  try {
    return await converge(opts, snap, null, isHeld, refuse);
  } catch (error) {
    if (error === needsLock) return null;
    throw error;
  }
}

// Applies the plan, less what the gate holds back before it starts (plan/gate.ts): what
// isHeld says (the daemon's flap backoff) and what the problems say is missing, with
// everything that needs them. Apply records what rs-agent owns before and after (see there).
async function converge(
  opts: AgentOptions,
  snap: Snapshot,
  lock: Lock | null,
  isHeld: (item: string) => boolean = () => false,
  saveOwned = (owned: Owned) => (isEmptyOwned(owned) ? removeState(opts.stateDir) : writeState(opts.stateDir, owned)),
): Promise<ConvergeResult> {
  const selection = selectChanges(snap.changes, isHeld, missingOf(snap.problems));
  const result = await apply(selection.apply, {
    runner: opts.runner,
    sysctlFs: opts.sysctlFs,
    owned: snap.owned,
    actual: snap.actual,
    saveOwned,
    batchDir: opts.stateDir,
    ...(lock ? { lockFd: lock.fd } : {}),
  });
  const verdict = verdictOf({
    changes: snap.changes,
    outcomes: result.outcomes,
    held: selection.held,
    conflicts: snap.conflicts,
    problems: snap.problems,
    kept: snap.kept,
    ...(result.error === undefined ? {} : { error: result.error }),
  });
  return {
    changes: snap.changes,
    ...result,
    conflicts: snap.conflicts,
    problems: snap.problems,
    kept: snap.kept,
    held: selection.held,
    verdict,
  };
}

function lockOptions(opts: AgentOptions): LockOptions {
  return { waitMs: opts.lockWaitMs, signal: opts.lockSignal, acquire: opts.acquireLock };
}

function requirePrivileges(opts: AgentOptions, command: string): void {
  if (opts.skipPrivilegeCheck) return;
  requireNetAdmin(command);
  requireWritableProcSys(command);
}
