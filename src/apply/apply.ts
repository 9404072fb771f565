import { closeSync } from 'node:fs';
import { AgentError, describeError } from '../errors.js';
import type { ActualState } from '../observe/types.js';
import type { Change, ModuleChange, MssChange, NftChange, SysctlChange } from '../plan/types.js';
import type { CommandResult, Runner } from '../system/runner.js';
import { type SysctlFs } from '../system/sysctl-fs.js';
import { sameOwned, type Owned } from '../state/types.js';
import {
  batchErrorHint,
  IP_BATCH_ARGV,
  ipBatchInput,
  ipBatchLine,
  isAlreadyDone,
  parseBatchErrors,
  type IpChange,
} from './ip-batch.js';
import { runNft } from './nft.js';
import { ownedAfter, type Observed } from './ownership.js';

export interface Outcome {
  change: Change;
  status: 'applied' | 'failed' | 'skipped';
  error?: string;
}

export interface ApplyResult {
  outcomes: Outcome[];
  ok: boolean;
  owned: Owned;
  // A failure that belongs to no one change (the state file could not be written):
  // the outcomes still say what was applied before it.
  error?: string;
}

export interface ApplyContext {
  runner: Runner;
  sysctlFs: SysctlFs;
  owned: Owned; // what the state file holds (renamed devices followed)
  actual: ActualState; // what the pass observed before planning
  // Persists what rs-agent owns (see apply for when).
  saveOwned(owned: Owned): void;
  // Where the `ip -batch` and nft input files are made (the state dir: root's, 0700).
  batchDir: string;
  // The state-dir lock's descriptor, inherited by every command that changes the host,
  // so the lock outlives a killed rs-agent until those commands have exited.
  lockFd?: number;
}

type Executor = 'module' | 'sysctl' | 'ip' | 'nft' | 'mss';

// Executes exactly the plan, in its order, and records what rs-agent owns (ownedAfter)
// through ctx.saveOwned, only here and only when it changes:
// - before the first change: everything the plan may add (state file first, kernel
//   second, so a crash at any point leaves a record from which stop can undo it all);
// - before the first write to a sysctl of a device this pass created: its original,
//   read just then;
// - after the last change: what the outcomes made true.
// A state file that cannot be written stops the pass before the next change: a change
// not recorded first could not be undone by stop.
//
// Safety rules: if setting a protective sysctl or loading the ARP guard fails, no VIP,
// route or link is brought up after it (no VIP is added without ARP protection);
// removals still run. If a module fails to load, only what lives on its device is
// skipped (that family's TUN VIPs): everything else is still converged. If anything
// failed before the sysctl restores and guard removal at the end, they are skipped: a
// VIP that could not be removed keeps its protection.
export async function apply(changes: Change[], ctx: ApplyContext): Promise<ApplyResult> {
  const observed: Observed & { originals: Record<string, string | null> } = { actual: ctx.actual, originals: {} };
  let saved = ctx.owned;
  let error: string | undefined;
  let stopReason: string | null = null;
  const record = (outcomes: readonly Outcome[] | null) => {
    const next = ownedAfter(ctx.owned, changes, outcomes, observed);
    if (error !== undefined || sameOwned(next, saved)) return;
    try {
      ctx.saveOwned(next);
      saved = next;
    } catch (e) {
      if (!(e instanceof AgentError)) throw e;
      error = e.message;
      stopReason = 'not attempted: the state file could not be written first';
    }
  };
  record(null); // before: all the plan may add
  const outcomes: Outcome[] = [];
  const missingModule = new Map<string, string>(); // device (or fou) → why it is not there
  let exposureBlocked: string | null = null;

  for (const segment of segments(changes)) {
    if (stopReason !== null) {
      outcomes.push(...segment.changes.map((change) => skipped(change, stopReason as string)));
      continue;
    }
    const restoring =
      (segment.executor === 'sysctl' && segment.changes.every((c) => c.action === 'restore')) ||
      (segment.executor === 'nft' && segment.changes.every((c) => c.action === 'delete'));
    if (restoring && outcomes.some((o) => o.status === 'failed')) {
      const reason = 'kept protective: an earlier change failed';
      outcomes.push(...segment.changes.map((change) => skipped(change, reason)));
      continue;
    }
    const runnable: Change[] = [];
    for (const change of segment.changes) {
      const dev = dependencyOf(change);
      const why =
        (dev !== null ? missingModule.get(dev) : undefined) ??
        (exposes(change) ? exposureBlocked : null) ??
        (change.kind === 'mss' ? clampsNothing(change, missingModule) : null);
      if (why) outcomes.push(skipped(change, why));
      else runnable.push(change);
    }
    if (runnable.length === 0) continue;
    if (readOriginals(runnable, ctx.sysctlFs, saved, observed.originals)) record(null); // and the originals just read
    if (stopReason !== null) {
      outcomes.push(...runnable.map((change) => skipped(change, stopReason as string)));
      continue;
    }

    const results = await execute({ executor: segment.executor, changes: runnable }, ctx);
    outcomes.push(...results);
    for (const o of results) {
      if (o.status !== 'failed') continue;
      if (o.change.kind === 'module') {
        missingModule.set(
          o.change.device ?? o.change.module,
          `not attempted: kernel module ${o.change.module} failed first`,
        );
      } else if ((o.change.kind === 'sysctl' || o.change.kind === 'nft') && !restoring && exposureBlocked === null) {
        exposureBlocked = `not attempted: ${o.change.kind} ${o.change.target} failed first`;
      }
    }
  }
  record(outcomes); // after: what the outcomes made true
  const ok = error === undefined && outcomes.every((o) => o.status === 'applied');
  return { outcomes, ok, owned: saved, ...(error === undefined ? {} : { error }) };
}

// The device a change acts on, if any (a sysctl's is in its path); for a GUE
// listener, the module it needs (fou has no device).
function dependencyOf(change: Change): string | null {
  switch (change.kind) {
    case 'module':
    case 'nft':
    case 'mss':
      return null;
    case 'fou':
      return 'fou';
    case 'sysctl':
      return /^net\/ipv[46]\/conf\/([^/]+)\//.exec(change.path)?.[1] ?? null;
    case 'link':
    case 'address':
    case 'route':
      return change.dev;
  }
}

// An MSS clamp whose VIPs all live on devices whose module failed: none of them is
// placed, so the table would clamp nothing; why, or null.
function clampsNothing(change: MssChange, missingModule: Map<string, string>): string | null {
  if (change.action !== 'load' || change.devices.length === 0) return null;
  return change.devices.every((d) => missingModule.has(d))
    ? (missingModule.get(change.devices[0] as string) ?? null)
    : null;
}

// A change that can make a VIP reachable: never run once protection failed.
function exposes(change: Change): boolean {
  if (change.kind === 'address' || change.kind === 'route') return change.action === 'add';
  return change.kind === 'link' && change.action === 'up';
}

// A device created by this pass (tunl0 after modprobe) had no value to plan with: its
// originals are read just before they are first written. Says whether any was read.
function readOriginals(
  changes: Change[],
  sysctlFs: SysctlFs,
  owned: Owned,
  originals: Record<string, string | null>,
): boolean {
  let read = false;
  for (const change of changes) {
    if (change.kind !== 'sysctl' || change.action !== 'set' || change.from !== null) continue;
    if (owned.sysctls[change.path] || change.path in originals) continue;
    originals[change.path] = sysctlFs.read(change.path);
    read = true;
  }
  return read;
}

async function execute(segment: Segment, ctx: ApplyContext): Promise<Outcome[]> {
  switch (segment.executor) {
    case 'module':
      return Promise.all(segment.changes.map((c) => loadModule(c as ModuleChange, ctx)));
    case 'sysctl':
      return segment.changes.map((c) => writeSysctl(c as SysctlChange, ctx.sysctlFs));
    case 'ip':
      return runIpBatch(segment.changes as IpChange[], ctx);
    case 'nft':
    case 'mss': {
      const out: Outcome[] = [];
      for (const change of segment.changes as (NftChange | MssChange)[]) {
        const error = await runNft(change, ctx);
        out.push(error === null ? { change, status: 'applied' } : failed(change, error));
      }
      return out;
    }
  }
}

async function loadModule(change: ModuleChange, ctx: ApplyContext): Promise<Outcome> {
  const argv = ['modprobe', change.module];
  try {
    const result = await ctx.runner.run(argv, { lockFd: ctx.lockFd });
    if (result.exitCode === 0) return { change, status: 'applied' };
    const stderr = result.stderr.trim();
    // EPERM: the module exists but this process may not load it (a unit's syscall filter
    // or capabilities), which "not available" would misstate.
    const what = /Operation not permitted/i.test(stderr) ? 'could not be loaded: not permitted' : 'is not available';
    return failed(
      change,
      `kernel module ${change.module} ${what} (${argv.join(' ')}: ${stderr || `exit ${result.exitCode}`})`,
    );
  } catch (error) {
    if (error instanceof AgentError)
      return failed(change, `kernel module ${change.module} is not available (${error.message})`);
    throw error;
  }
}

function writeSysctl(change: SysctlChange, sysctlFs: SysctlFs): Outcome {
  try {
    sysctlFs.write(change.path, change.to);
    return { change, status: 'applied' };
  } catch (error) {
    if (error instanceof AgentError) return failed(change, error.message);
    throw error;
  }
}

async function runIpBatch(changes: IpChange[], ctx: ApplyContext): Promise<Outcome[]> {
  const argv = IP_BATCH_ARGV;
  let input: number;
  try {
    input = ipBatchInput(ctx.batchDir, changes);
  } catch (error) {
    return changes.map((change) =>
      failed(change, `cannot write the ip batch in ${ctx.batchDir}: ${describeError(error)}`),
    );
  }
  let result: CommandResult;
  try {
    result = await ctx.runner.run(argv, { lockFd: ctx.lockFd, stdinFile: input });
  } catch (error) {
    // ip could not be run at all (gone, or not executable): a failure of these changes,
    // reported with what the pass had already applied, not an abort that hides it.
    if (!(error instanceof AgentError)) throw error;
    return changes.map((change) => failed(change, error.message));
  } finally {
    closeSync(input);
  }
  const errors = parseBatchErrors(result.stderr);
  if (result.exitCode !== 0 && errors.size === 0) {
    const reason = `${argv.join(' ')}: ${result.stderr.trim() || `exit ${result.exitCode}`}`;
    return changes.map((change) => failed(change, reason));
  }
  return changes.map((change, i) => {
    const error = errors.get(i + 1);
    if (error === undefined || isAlreadyDone(change, error)) return { change, status: 'applied' };
    return failed(change, `ip ${ipBatchLine(change)}: ${error}${batchErrorHint(change, error)}`);
  });
}

interface Segment {
  executor: Executor;
  changes: Change[];
}

// Consecutive changes that one executor can run together (one `ip -batch` for all
// link, address and route changes in a row).
function segments(changes: Change[]): Segment[] {
  const out: Segment[] = [];
  for (const change of changes) {
    const executor: Executor =
      change.kind === 'module' || change.kind === 'sysctl' || change.kind === 'nft' || change.kind === 'mss'
        ? change.kind
        : 'ip';
    const last = out[out.length - 1];
    const sameSysctlAction = executor !== 'sysctl' || last?.changes[0]?.action === change.action;
    if (last && last.executor === executor && sameSysctlAction) last.changes.push(change);
    else out.push({ executor, changes: [change] });
  }
  return out;
}

function failed(change: Change, error: string): Outcome {
  return { change, status: 'failed', error };
}

function skipped(change: Change, error: string): Outcome {
  return { change, status: 'skipped', error };
}
