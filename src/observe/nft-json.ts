import { AgentError } from '../errors.js';
import type { Runner } from '../system/runner.js';
import type { ActualNft, NftTable } from './types.js';

export const NFT_OBSERVE_ARGV = ['nft', '-j', 'list', 'table', 'arp', 'rs_agent'] as const;

// The rules as rs-agent loads them, in nft's JSON (counters zeroed): anything else
// in the table means someone changed it.
const INPUT_RULE = JSON.stringify([
  { match: { op: '==', left: { payload: { protocol: 'arp', field: 'operation' } }, right: 'request' } },
  { match: { op: '==', left: { payload: { protocol: 'arp', field: 'daddr ip' } }, right: '@vips4' } },
  { counter: null },
  { drop: null },
]);
const OUTPUT_RULE = JSON.stringify([
  { match: { op: '==', left: { payload: { protocol: 'arp', field: 'saddr ip' } }, right: '@vips4' } },
  { counter: null },
  { drop: null },
]);

// Reads rs-agent's table. A missing nft, or a kernel without nf_tables for the arp
// family, makes the guard unavailable (not an error: arp.guard auto then goes without).
export function observeNft(runner: Runner): Promise<ActualNft> {
  return readNftTable(runner, NFT_OBSERVE_ARGV, parseNftTable);
}

// `nft -j list table …`: the table parsed; null when there is none; unavailable (with
// the reason) when nft is missing or the kernel lacks nf_tables for that family.
export async function readNftTable<T>(
  runner: Runner,
  argv: readonly string[],
  parse: (json: string) => T,
): Promise<{ available: true; table: T | null } | { available: false; reason: string; table: null }> {
  let result;
  try {
    result = await runner.run(argv);
  } catch (error) {
    if (error instanceof AgentError) return { available: false, reason: error.message, table: null };
    throw error;
  }
  if (result.exitCode === 0) return { available: true, table: parse(result.stdout) };
  const stderr = result.stderr.trim();
  if (/No such file or directory/.test(stderr)) return { available: true, table: null };
  return { available: false, reason: `${argv.join(' ')}: ${stderr || `exit ${result.exitCode}`}`, table: null };
}

// nft JSON is loosely typed; every field read is checked.
type Json = Record<string, any>;

// Pure: `nft -j list table arp rs_agent` output → the set's elements and whether the
// chains and rules are rs-agent's, unaltered.
export function parseNftTable(text: string): NftTable {
  const items = ((JSON.parse(text) as Json).nftables ?? []) as Json[];
  const sets = items.filter((i) => i.set).map((i) => i.set as Json);
  const chains = items.filter((i) => i.chain).map((i) => i.chain as Json);
  const rules = items.filter((i) => i.rule).map((i) => i.rule as Json);
  const vips = sets.find((s) => s.name === 'vips4');
  const elements = ((vips?.elem ?? []) as unknown[]).map(elementText).sort();
  const chainOk = (name: string) => {
    const c = chains.find((x) => x.name === name);
    return c !== undefined && c.hook === name && c.type === 'filter' && c.policy === 'accept';
  };
  const ruleOk = (chain: string, want: string) => {
    const mine = rules.filter((r) => r.chain === chain);
    return mine.length === 1 && JSON.stringify(zeroCounters(mine[0]?.expr)) === want;
  };
  const intact =
    vips !== undefined &&
    vips.type === 'ipv4_addr' &&
    sets.length === 1 &&
    chains.length === 2 &&
    chainOk('input') &&
    chainOk('output') &&
    ruleOk('input', INPUT_RULE) &&
    ruleOk('output', OUTPUT_RULE);
  return { elements, intact };
}

function elementText(e: unknown): string {
  if (typeof e === 'string') return e;
  const x = e as Json;
  if (x.prefix) return x.prefix.len === 32 ? String(x.prefix.addr) : `${x.prefix.addr}/${x.prefix.len}`;
  if (x.range) return `${x.range[0]}-${x.range[1]}`;
  if (x.elem) return elementText(x.elem.val);
  return JSON.stringify(e);
}

function zeroCounters(expr: unknown): unknown {
  if (!Array.isArray(expr)) return expr;
  return expr.map((s: Json) => ('counter' in s ? { counter: null } : s));
}
