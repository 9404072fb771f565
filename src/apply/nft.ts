import { closeSync } from 'node:fs';
import { AgentError, describeError } from '../errors.js';
import type { MssChange, NftChange } from '../plan/types.js';
import { inputFile } from '../system/exclusive-file.js';
import type { CommandResult, Runner } from '../system/runner.js';

// nft reads the ruleset from its stdin ("-"), a private file already unlinked (see
// inputFile): nothing planted in the state directory can change what it loads.
const NFT_ARGV: readonly string[] = ['nft', '-f', '-'];

// Loads (or deletes) rs-agent's nftables table: the change carries the whole file,
// which nft applies as one transaction, so the table is never seen half-built. The
// MSS clamp table (inet) is loaded the same way.
export async function runNft(
  change: NftChange | MssChange,
  ctx: { runner: Runner; batchDir: string; lockFd?: number },
): Promise<string | null> {
  let input: number;
  try {
    input = inputFile(ctx.batchDir, 'nft', change.ruleset);
  } catch (error) {
    return `cannot write the nft ruleset in ${ctx.batchDir}: ${describeError(error)}`;
  }
  let result: CommandResult;
  try {
    result = await ctx.runner.run(NFT_ARGV, { lockFd: ctx.lockFd, stdinFile: input });
  } catch (error) {
    if (!(error instanceof AgentError)) throw error;
    const what =
      change.kind === 'mss'
        ? 'MSS clamping needs nft: install the nftables package, or set tunnel.mss: off'
        : 'the ARP guard needs nft: install the nftables package, or set arp.guard: off';
    return `${error.message} (${what})`;
  } finally {
    closeSync(input);
  }
  if (result.exitCode === 0) return null;
  return `nft -f: ${result.stderr.trim() || `exit ${result.exitCode}`}`;
}
