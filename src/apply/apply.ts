import { AgentError } from '../errors.js';
import type { Change, ModuleChange, SysctlChange } from '../plan/types.js';
import type { Runner } from '../system/runner.js';
import type { SysctlFs } from '../system/sysctl-fs.js';
import type { Owned } from '../state/types.js';
import { IP_BATCH_ARGV, ipBatchLine, isAlreadyDone, parseBatchErrors, type IpChange } from './ip-batch.js';
import { claimAll, releaseAll } from './ownership.js';

export interface Outcome {
  change: Change;
  status: 'applied' | 'failed' | 'skipped';
  error?: string;
}

export interface ApplyResult {
  outcomes: Outcome[];
  ok: boolean;
  owned: Owned;
}

export interface ApplyContext {
  runner: Runner;
  sysctlFs: SysctlFs;
  owned: Owned;
  // Persists what rs-agent owns; called before the first change that needs it.
  saveOwned(owned: Owned): void;
}

type Executor = 'module' | 'sysctl' | 'ip';

// Executes exactly the plan, in its order. It records what it is about to own before
// it changes anything (state file first, kernel second), so a crash at any point
// leaves a state file from which `stop` can still undo everything.
//
// Safety rules: if loading a module or setting a protective sysctl fails, nothing
// after it runs (no VIP is added without ARP protection). If anything failed before
// the sysctl restores at the end, they are skipped: a VIP that could not be removed
// keeps its protection.
export async function apply(changes: Change[], ctx: ApplyContext): Promise<ApplyResult> {
  // Everything the plan will create or change is recorded before the first mutation.
  // ctx.owned is what the state file holds: it is rewritten only when that changes
  // (a stop of 10000 VIPs claims nothing new, and each write is megabytes).
  let saved = ctx.owned;
  const save = (next: Owned) => {
    if (next !== saved) ctx.saveOwned((saved = next));
  };
  let owned = claimAll(ctx.owned, changes);
  save(owned);
  const outcomes: Outcome[] = [];
  let stopReason: string | null = null;

  for (const segment of segments(changes)) {
    if (stopReason !== null) {
      outcomes.push(...segment.changes.map((change) => skipped(change, stopReason as string)));
      continue;
    }
    const restoring = segment.executor === 'sysctl' && segment.changes.every((c) => c.action === 'restore');
    if (restoring && outcomes.some((o) => o.status === 'failed')) {
      const reason = 'kept protective: an earlier change failed';
      outcomes.push(...segment.changes.map((change) => skipped(change, reason)));
      continue;
    }
    const late = claimUnseen(owned, segment.changes, ctx.sysctlFs);
    save((owned = late));

    const results = await execute(segment, ctx);
    outcomes.push(...results);
    const failed = results.find((o) => o.status === 'failed');
    if (failed && (segment.executor === 'module' || (segment.executor === 'sysctl' && !restoring))) {
      stopReason = `not attempted: ${failed.change.kind} ${failed.change.target} failed first`;
    }
  }
  owned = releaseAll(owned, outcomes.map((o) => ({ change: o.change, applied: o.status === 'applied' })), ctx.owned);
  save(owned);
  return { outcomes, ok: outcomes.every((o) => o.status === 'applied'), owned };
}

// A device created by this pass (tunl0 after modprobe) had no value to plan with:
// its originals are read and recorded just before they are first written.
function claimUnseen(owned: Owned, changes: Change[], sysctlFs: SysctlFs): Owned {
  const unseen = changes.flatMap((change) =>
    change.kind === 'sysctl' && change.from === null && !owned.sysctls[change.path] ? [{ ...change, from: sysctlFs.read(change.path) }] : [],
  );
  return claimAll(owned, unseen);
}

async function execute(segment: Segment, ctx: ApplyContext): Promise<Outcome[]> {
  switch (segment.executor) {
    case 'module':
      return Promise.all(segment.changes.map((c) => loadModule(c as ModuleChange, ctx.runner)));
    case 'sysctl':
      return segment.changes.map((c) => writeSysctl(c as SysctlChange, ctx.sysctlFs));
    case 'ip':
      return runIpBatch(segment.changes as IpChange[], ctx.runner);
  }
}

async function loadModule(change: ModuleChange, runner: Runner): Promise<Outcome> {
  const argv = ['modprobe', change.module];
  try {
    const result = await runner.run(argv);
    if (result.exitCode === 0) return { change, status: 'applied' };
    return failed(change, `kernel module ${change.module} is not available (${argv.join(' ')}: ${result.stderr.trim() || `exit ${result.exitCode}`})`);
  } catch (error) {
    if (error instanceof AgentError) return failed(change, `kernel module ${change.module} is not available (${error.message})`);
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

async function runIpBatch(changes: IpChange[], runner: Runner): Promise<Outcome[]> {
  const input = changes.map((c) => `${ipBatchLine(c)}\n`).join('');
  const result = await runner.run(IP_BATCH_ARGV, { input });
  const errors = parseBatchErrors(result.stderr);
  if (result.exitCode !== 0 && errors.size === 0) {
    const reason = `${IP_BATCH_ARGV.join(' ')}: ${result.stderr.trim() || `exit ${result.exitCode}`}`;
    return changes.map((change) => failed(change, reason));
  }
  return changes.map((change, i) => {
    const error = errors.get(i + 1);
    if (error === undefined || isAlreadyDone(change, error)) return { change, status: 'applied' };
    return failed(change, `ip ${ipBatchLine(change)}: ${error}`);
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
    const executor: Executor = change.kind === 'module' ? 'module' : change.kind === 'sysctl' ? 'sysctl' : 'ip';
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
