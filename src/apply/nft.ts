import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentError, describeError } from '../errors.js';
import type { MssChange, NftChange } from '../plan/types.js';
import type { CommandResult, Runner } from '../system/runner.js';

export function nftArgv(file: string): string[] {
  return ['nft', '-f', file];
}

// Loads (or deletes) rs-agent's nftables table: the change carries the whole file,
// which nft applies as one transaction, so the table is never seen half-built. The
// MSS clamp table (inet) is loaded the same way.
export async function runNft(
  change: NftChange | MssChange,
  ctx: { runner: Runner; batchDir: string; lockFd?: number },
): Promise<string | null> {
  const file = join(ctx.batchDir, `nft.${process.pid}.tmp`);
  const argv = nftArgv(file);
  try {
    writeFileSync(file, change.ruleset, { mode: 0o600 });
  } catch (error) {
    return `cannot write ${file}: ${describeError(error)}`;
  }
  let result: CommandResult;
  try {
    result = await ctx.runner.run(argv, { lockFd: ctx.lockFd });
  } catch (error) {
    if (!(error instanceof AgentError)) throw error;
    const what =
      change.kind === 'mss'
        ? 'MSS clamping needs nft: install the nftables package, or set tunnel.mss: off'
        : 'the ARP guard needs nft: install the nftables package, or set arp.guard: off';
    return `${error.message} (${what})`;
  } finally {
    rmSync(file, { force: true });
  }
  if (result.exitCode === 0) return null;
  return `nft -f: ${result.stderr.trim() || `exit ${result.exitCode}`}`;
}
