import { canonicalIPv6 } from '../config/address.js';
import type { Runner } from '../system/runner.js';
import { readNftTable } from './nft-json.js';
import type { ActualMss, MssTable } from './types.js';

export const MSS_OBSERVE_ARGV = ['nft', '-j', 'list', 'table', 'inet', 'rs_agent'] as const;

// Reads rs-agent's MSS clamp table. A missing nft, or a kernel without nf_tables,
// makes clamping unavailable (reported as a problem for the TUN VIPs, not an error).
export function observeMss(runner: Runner): Promise<ActualMss> {
  return readNftTable(runner, MSS_OBSERVE_ARGV, parseMssTable);
}

// nft JSON is loosely typed; every field read is checked.
type Json = Record<string, any>;

// The MSS option as nft names it, on both sides of a rule.
const MAXSEG = JSON.stringify({ 'tcp option': { name: 'maxseg', field: 'size' } });
// `tcp flags & (syn | ack) == syn | ack`.
const SYN_ACK = JSON.stringify({
  match: {
    op: '==',
    left: { '&': [{ payload: { protocol: 'tcp', field: 'flags' } }, ['syn', 'ack']] },
    right: ['syn', 'ack'],
  },
});

// Pure: `nft -j list table inet rs_agent` output → what its rules clamp, and whether
// the table is exactly as rs-agent loads it (one output chain at mangle priority,
// only rs-agent's rules, each address once).
export function parseMssTable(text: string): MssTable {
  const items = ((JSON.parse(text) as Json).nftables ?? []) as Json[];
  const chains = items.filter((i) => i.chain).map((i) => i.chain as Json);
  const rules = items.filter((i) => i.rule).map((i) => i.rule as Json);
  const others = items.filter((i) => !i.chain && !i.rule && !i.table && !i.metainfo);
  const chain = chains[0];
  const chainOk =
    chains.length === 1 &&
    chain?.name === 'output' &&
    chain.type === 'filter' &&
    chain.hook === 'output' &&
    chain.prio === -150 &&
    chain.policy === 'accept' &&
    others.length === 0;
  const parsed = rules.map((r) => (r.chain === 'output' ? parseRule(r.expr) : null));
  const clamps = parsed.flatMap((p) => p ?? []);
  const unique = new Set(clamps.map((c) => c.address)).size === clamps.length;
  if (chainOk && rules.length === 0) return { state: 'flushed', clamps: [] };
  const intact = chainOk && parsed.every((p) => p !== null) && unique;
  return { state: intact ? 'intact' : 'altered', clamps: intact ? clamps : [] };
}

// One rule as rs-agent writes it, or null: SYN-ACK, source in the family's addresses,
// MSS larger than N, MSS set to N, a counter.
function parseRule(expr: unknown): { address: string; family: 4 | 6; mss: number }[] | null {
  if (!Array.isArray(expr) || expr.length !== 5) return null;
  const [flags, saddr, larger, set, counter] = expr as Json[];
  if (JSON.stringify(flags) !== SYN_ACK) return null;
  const source = saddr?.match;
  const protocol = source?.left?.payload?.protocol;
  if (source?.op !== '==' || source.left.payload.field !== 'saddr' || (protocol !== 'ip' && protocol !== 'ip6'))
    return null;
  const family = protocol === 'ip' ? 4 : 6;
  const right = source.right;
  const addresses: unknown[] = typeof right === 'string' ? [right] : Array.isArray(right?.set) ? right.set : [];
  if (addresses.length === 0 || !addresses.every((a) => typeof a === 'string')) return null;
  const mss = larger?.match?.right;
  if (larger?.match?.op !== '>' || JSON.stringify(larger.match.left) !== MAXSEG || !Number.isInteger(mss)) return null;
  if (JSON.stringify(set?.mangle?.key) !== MAXSEG || set?.mangle?.value !== mss || !counter || !('counter' in counter))
    return null;
  return (addresses as string[]).map((a) => ({
    address: family === 6 ? canonicalIPv6(a) : a,
    family,
    mss: mss as number,
  }));
}
