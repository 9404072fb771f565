import { AgentError, CommandNotFoundError } from '../errors.js';
import type { Runner } from '../system/runner.js';
import type { ActualNftTable, NftTableState } from './types.js';

// Why a table could not be read although nft is there (it gave no answer, or refused):
// null when it was read, or when nft or nf_tables is missing. The next pass reads again.
export function unreadReason(table: ActualNftTable | undefined): string | null {
  return table !== undefined && !table.available && table.missing === false ? (table.reason ?? 'nft failed') : null;
}
export const READ_AGAIN = 'the next start, check --fix or daemon pass tries again';

// The argv that lists one of rs-agent's tables as JSON.
export function nftListArgv(family: string, name: string): string[] {
  return ['nft', '-j', 'list', 'table', family, name];
}

// `nft -j list table …`: the table parsed; null when there is none; unavailable (with
// the reason) when nft is missing or the kernel lacks nf_tables for that family (not an
// error: arp.guard auto then goes without, the MSS clamp is reported), and when nft ran
// but gave no answer (a timeout, a refusal): then `missing` is false, for the report.
export async function readNftTable(
  runner: Runner,
  argv: readonly string[],
  parse: (json: string) => NftTableState,
): Promise<ActualNftTable> {
  let result;
  try {
    result = await runner.run(argv);
  } catch (error) {
    if (error instanceof AgentError)
      return { available: false, missing: error instanceof CommandNotFoundError, reason: error.message, table: null };
    throw error;
  }
  if (result.exitCode === 0) return { available: true, table: parse(result.stdout) };
  const stderr = result.stderr.trim();
  if (/No such file or directory/.test(stderr)) return { available: true, table: null };
  const missing = /not supported/i.test(stderr); // no nf_tables (or not for this family) in the kernel
  return {
    available: false,
    missing,
    reason: `${argv.join(' ')}: ${stderr || `exit ${result.exitCode}`}`,
    table: null,
  };
}
