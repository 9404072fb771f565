import { canonicalIPv6 } from '../../config/address.js';
import type { Config } from '../../config/types.js';
import type { Placement } from '../../model/placement.js';
import { deviceKey } from '../../model/safety-keys.js';
import { READ_AGAIN, unreadReason } from '../../observe/nft-read.js';
import type { NftTableState } from '../../observe/types.js';
import type { PlanContext } from '../kind.js';
import type { NftTableSpec } from '../nft-table.js';
import { isOwnBaseChain, nftItems, type Json } from './nft-json.js';
import { resolveMss, type DesiredMss, type MssClamp } from './mss-value.js';

// MSS clamping for TUN VIPs. The director wraps every packet of a TUN service, so a
// client's full-size segment no longer fits the director → real-server link; the
// director would need the client to lower its size through path-MTU discovery, whose
// ICMP many client paths drop, and an upload stalls. The real server avoids it by
// advertising, in the SYN-ACKs it sends from a TUN VIP, at most the MSS that fits after
// encapsulation: nftables rewrites the option on its way out (output hook, mangle
// priority), only ever lowering it. The table is of the inet family: the ARP guard's is
// of the arp family, whose hooks see ARP only, so the two are separate tables with one name.

const KEY = { 4: 'ipv4', 6: 'ipv6' } as const;

// The TUN VIPs to clamp, with the setting of their family (off: left out).
export function desiredMss(placement: Pick<Placement, 'vips' | 'mss'>): DesiredMss[] {
  return placement.vips.flatMap((vip) => {
    const setting = placement.mss?.[KEY[vip.family]] ?? 'off';
    if (vip.mode !== 'tun' || setting === 'off') return [];
    return [{ address: vip.address, family: vip.family, encap: vip.encap ?? 'ipip', setting, dev: vip.dev }];
  });
}

// A clamp as the table holds it: "ADDRESS MSS".
const entry = (c: MssClamp) => `${c.address} ${c.mss}`;
function clampOf(held: string): MssClamp {
  const [address = '', mss] = held.split(' ');
  return { address, family: address.includes(':') ? 6 : 4, mss: Number(mss) };
}

// Clamps grouped by family and value, each group's addresses sorted: IPv4 first, then
// by value, largest first.
export function groupClamps(clamps: readonly MssClamp[]): { family: 4 | 6; mss: number; addresses: string[] }[] {
  const groups = new Map<string, { family: 4 | 6; mss: number; addresses: string[] }>();
  for (const c of clamps) {
    const key = `${c.family} ${c.mss}`;
    const group = groups.get(key) ?? { family: c.family, mss: c.mss, addresses: [] };
    if (!group.addresses.includes(c.address)) group.addresses.push(c.address);
    groups.set(key, group);
  }
  return [...groups.values()]
    .map((g) => ({ ...g, addresses: [...g.addresses].sort() }))
    .sort((a, b) => a.family - b.family || b.mss - a.mss);
}

const sorted = (clamps: readonly MssClamp[]) =>
  groupClamps(clamps).flatMap((g) => g.addresses.map((address) => entry({ address, family: g.family, mss: g.mss })));

// One rule per family and value: a SYN-ACK from one of its VIPs whose MSS is larger gets
// the value (a smaller one, from a smaller route MTU, is left alone).
function body(holds: readonly string[]): string[] {
  const rules = groupClamps(holds.map(clampOf)).map(
    ({ family, mss, addresses }) =>
      `    tcp flags & (syn | ack) == syn | ack ${family === 4 ? 'ip' : 'ip6'} saddr { ${addresses.join(', ')} } ` +
      `tcp option maxseg size > ${mss} tcp option maxseg size set ${mss} counter`,
  );
  return ['  chain output {', '    type filter hook output priority mangle; policy accept;', ...rules, '  }'];
}

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
// the table is exactly as rs-agent loads it (one output chain at mangle priority, only
// rs-agent's rules, each address once); flushed: the chain is there without rules.
export function parseMssTable(text: string): NftTableState {
  const { all, chains, rules } = nftItems(text);
  const others = all.filter((i) => !i.chain && !i.rule && !i.table && !i.metainfo);
  const chainOk = chains.length === 1 && isOwnBaseChain(chains[0], 'output', -150) && others.length === 0;
  const parsed = rules.map((r) => (r.chain === 'output' ? parseRule(r.expr) : null));
  const clamps = parsed.flatMap((p) => p ?? []);
  const unique = new Set(clamps.map((c) => c.address)).size === clamps.length;
  if (chainOk && rules.length === 0) return { state: 'flushed', holds: [] };
  const intact = chainOk && parsed.every((p) => p !== null) && unique;
  return { state: intact ? 'intact' : 'altered', holds: intact ? clamps.map(entry) : [] };
}

// One rule as rs-agent writes it, or null: SYN-ACK, source in the family's addresses,
// MSS larger than N, MSS set to N, a counter.
function parseRule(expr: unknown): MssClamp[] | null {
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

const resolve = (desired: readonly DesiredMss[], { actual }: PlanContext) =>
  resolveMss(desired, actual.links, actual.routes);

export const MSS_CLAMP_TABLE: NftTableSpec<DesiredMss[]> = {
  family: 'inet',
  name: 'rs_agent',
  stateKey: 'mss',
  protects: false,
  provides: 'nft:inet rs_agent',
  observeWhen: (config: Config | null, owned: boolean) =>
    owned ||
    (config !== null &&
      config.vips.some((v) => v.mode === 'tun' && config.tunnel.mss[v.family === 4 ? 'ipv4' : 'ipv6'] !== 'off')),
  counts: false,
  desire: desiredMss,
  // Without nft nothing is loaded: problems says so.
  want: (desired, ctx) => {
    const clamps = resolve(desired, ctx);
    if (clamps.length === 0 || ctx.actual.nft?.['inet rs_agent']?.available !== true) return null;
    // Not loaded when every device its VIPs go on is missing (its module failed): it would clamp nothing.
    return { holds: sorted(clamps), needsAny: [...new Set(clamps.map((c) => deviceKey(c.dev)))].sort() };
  },
  removalNeeds: [],
  // TUN VIPs left unclamped because nft or nf_tables is missing: reported, never a reason
  // to hold back anything else (a VIP without its clamp still serves every client whose
  // path passes ICMP, and every small request).
  problems: (desired, ctx) => {
    const clamps = resolve(desired, ctx);
    const actual = ctx.actual.nft?.['inet rs_agent'];
    if (clamps.length === 0 || actual === undefined || actual.available) return [];
    const unclamped =
      `not clamped: ${clamps.map((c) => c.address).join(', ')} (uploads from clients whose path drops ICMP may stall; ` +
      'everything else is in place)';
    // nft is there but did not answer (a loaded machine's timeout): not a missing package.
    const unread = unreadReason(actual);
    const message =
      unread !== null
        ? `MSS clamping for TUN VIPs could not be read: ${unread}; ${unclamped}; ${READ_AGAIN}`
        : `MSS clamping for TUN VIPs needs nftables: ${actual.reason ?? 'nft is not available'}; ${unclamped}: ` +
          'install nftables, or set tunnel.mss: off';
    return [{ item: 'nft table inet rs_agent', message }];
  },
  parse: parseMssTable,
  body,
  describe: (holds) => (holds.length > 0 ? holds.join(', ') : '{ }'),
  missing: 'MSS clamping needs nft: install the nftables package, or set tunnel.mss: off',
};
