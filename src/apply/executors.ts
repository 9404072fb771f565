import { closeSync } from 'node:fs';
import { AgentError, describeError } from '../errors.js';
import type { ChangeBase } from '../model/change.js';
import { MODULES_LOAD } from '../objects/module.js';
import { kindOf } from '../objects/registry.js';
import { inputFile } from '../system/exclusive-file.js';
import type { CommandResult, Runner } from '../system/runner.js';
import type { SysctlFs } from '../system/sysctl-fs.js';
import {
  batchErrorHint,
  IP_BATCH_ARGV,
  ipBatchInput,
  ipBatchLine,
  isAlreadyDone,
  parseBatchErrors,
} from './ip-batch.js';

// How each kind of change is carried out (objects/kind.ts Execution): modprobe, a
// /proc/sys write, one `ip -batch` for a run of link, address, route and listener
// changes, one `nft -f` per table.

export interface Outcome<C extends ChangeBase = ChangeBase> {
  change: C;
  status: 'applied' | 'failed' | 'skipped';
  error?: string;
  uncertain?: boolean; // failed with its whole batch, which may have run in part (see ownedAfter)
}

export interface ExecContext {
  runner: Runner;
  sysctlFs: SysctlFs;
  // Where the `ip -batch` and nft input files are made (the state dir: root's, 0700).
  batchDir: string;
  // The state-dir lock's descriptor, inherited by every command that changes the host,
  // so the lock outlives a killed rs-agent until those commands have exited.
  lockFd?: number;
}

export type Via = 'module' | 'sysctl' | 'ip' | 'nft';

export const EXECUTORS: Record<Via, (changes: ChangeBase[], ctx: ExecContext) => Promise<Outcome[]>> = {
  module: (changes, ctx) => Promise.all(changes.map((c) => loadModule(c, ctx))),
  sysctl: async (changes, ctx) => changes.map((c) => writeSysctl(c, ctx.sysctlFs)),
  ip: runIpBatch,
  nft: async (changes, ctx) => {
    const out: Outcome[] = [];
    for (const change of changes) {
      const error = await runNft(change, ctx);
      out.push(error === null ? { change, status: 'applied' } : failed(change, error));
    }
    return out;
  },
};

export function viaOf(change: ChangeBase): Via {
  return kindOf(change).execute.via;
}

async function loadModule(change: ChangeBase, ctx: ExecContext): Promise<Outcome> {
  const execute = kindOf(change).execute;
  if (execute.via !== 'module') throw new Error(`${change.kind} is not a module`);
  const module = execute.module(change);
  const argv = ['modprobe', module];
  // Run as the packaged units run the daemon (CAP_NET_ADMIN alone), modprobe cannot load
  // it; say what can, rather than modprobe's own error under the unit's sandbox.
  if (ctx.runner.canLoadModules?.() === false)
    return failed(
      change,
      `kernel module ${module} is not loaded, and rs-agent runs without CAP_SYS_MODULE: load it as root ` +
        `(modprobe ${module}), or restart the unit (its privileged ExecStartPre loads ${MODULES_LOAD})`,
    );
  try {
    const result = await ctx.runner.run(argv, { lockFd: ctx.lockFd });
    if (result.exitCode === 0) return { change, status: 'applied' };
    const stderr = result.stderr.trim();
    // EPERM: the module exists but this process may not load it (a unit's syscall filter
    // or capabilities), which "not available" would misstate.
    const what = /Operation not permitted/i.test(stderr) ? 'could not be loaded: not permitted' : 'is not available';
    return failed(
      change,
      `kernel module ${module} ${what} (${argv.join(' ')}: ${stderr || `exit ${result.exitCode}`})`,
    );
  } catch (error) {
    if (error instanceof AgentError)
      return failed(change, `kernel module ${module} is not available (${error.message})`);
    throw error;
  }
}

function writeSysctl(change: ChangeBase, sysctlFs: SysctlFs): Outcome {
  const execute = kindOf(change).execute;
  if (execute.via !== 'sysctl') throw new Error(`${change.kind} is not a sysctl`);
  try {
    sysctlFs.write(execute.path(change), execute.value(change));
    return { change, status: 'applied' };
  } catch (error) {
    if (error instanceof AgentError) return failed(change, error.message);
    throw error;
  }
}

async function runIpBatch(changes: ChangeBase[], ctx: ExecContext): Promise<Outcome[]> {
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
    // ip could not be run (gone, not executable), or was killed at the command timeout: a
    // failure of these changes, reported with what the pass had already applied, not an
    // abort that hides it. A killed batch ran some of its lines, which ones is unknown.
    if (!(error instanceof AgentError)) throw error;
    return changes.map((change) => ({ ...failed(change, error.message), uncertain: true }));
  } finally {
    closeSync(input);
  }
  const errors = parseBatchErrors(result.stderr);
  if (result.exitCode !== 0 && errors.size === 0) {
    const reason = `${argv.join(' ')}: ${result.stderr.trim() || `exit ${result.exitCode}`}`;
    return changes.map((change) => ({ ...failed(change, reason), uncertain: true }));
  }
  return changes.map((change, i) => {
    const error = errors.get(i + 1);
    if (error === undefined || isAlreadyDone(change, error)) return { change, status: 'applied' };
    return failed(change, `ip ${ipBatchLine(change)}: ${error}${batchErrorHint(change, error)}`);
  });
}

// nft reads the ruleset from its stdin ("-"), a private file already unlinked (see
// inputFile): nothing planted in the state directory can change what it loads.
const NFT_ARGV: readonly string[] = ['nft', '-f', '-'];

// Loads (or deletes) one of rs-agent's nftables tables: the change carries the whole
// file, which nft applies as one transaction, so the table is never seen half-built.
async function runNft(change: ChangeBase, ctx: ExecContext): Promise<string | null> {
  const execute = kindOf(change).execute;
  if (execute.via !== 'nft') throw new Error(`${change.kind} is not an nftables table`);
  let input: number;
  try {
    input = inputFile(ctx.batchDir, 'nft', execute.ruleset(change));
  } catch (error) {
    return `cannot write the nft ruleset in ${ctx.batchDir}: ${describeError(error)}`;
  }
  let result: CommandResult;
  try {
    result = await ctx.runner.run(NFT_ARGV, { lockFd: ctx.lockFd, stdinFile: input });
  } catch (error) {
    if (!(error instanceof AgentError)) throw error;
    return `${error.message} (${execute.missing(change)})`;
  } finally {
    closeSync(input);
  }
  if (result.exitCode === 0) return null;
  return `nft -f: ${result.stderr.trim() || `exit ${result.exitCode}`}`;
}

export function failed(change: ChangeBase, error: string): Outcome {
  return { change, status: 'failed', error };
}

export function skipped(change: ChangeBase, error: string): Outcome {
  return { change, status: 'skipped', error };
}
