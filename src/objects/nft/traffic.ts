import { canonicalIPv6 } from '../../config/address.js';
import type { Config } from '../../config/types.js';
import { deviceKey } from '../../model/safety-keys.js';
import type { NftTableState } from '../../observe/types.js';
import type { NftTableSpec } from '../nft-table.js';
import { isOwnBaseChain, nftItems, type Json } from './nft-json.js';

// New connections per VIP:port: in its input hook (what reaches this host, before any
// filter of the operator's drops it), every TCP SYN to a VIP updates a dynamic set keyed
// by destination address and port, whose elements carry counters. The director sends a
// new connection's SYN here once it has chosen this server, so the counters say whether
// it still does (a drain waits for them to stand still). Nothing is dropped or changed;
// a reload (a VIP added) starts the counters again from 0. At most SET_SIZE VIP:port
// pairs are counted: a SYN to another port once the set is full is let through uncounted.

export const TRAFFIC_TABLE_ID = 'inet rs_agent_traffic';
const SET_SIZE = 4096;

const FAMILY = { 4: { proto: 'ip', addr: 'ipv4_addr' }, 6: { proto: 'ip6', addr: 'ipv6_addr' } } as const;

function body(holds: readonly string[]): string[] {
  const lines: string[] = [];
  for (const f of [4, 6] as const) {
    const elements = holds.filter((a) => a.includes(':') === (f === 6));
    lines.push(`  set vips${f} {`, `    type ${FAMILY[f].addr}`);
    if (elements.length > 0) lines.push(`    elements = { ${elements.join(', ')} }`);
    lines.push('  }');
  }
  for (const f of [4, 6] as const)
    lines.push(
      `  set new${f} {`,
      `    type ${FAMILY[f].addr} . inet_service`,
      `    size ${SET_SIZE}`,
      '    flags dynamic',
      '    counter',
      '  }',
    );
  lines.push('  chain input {', '    type filter hook input priority mangle; policy accept;');
  for (const f of [4, 6] as const) {
    const p = FAMILY[f].proto;
    lines.push(`    tcp flags & (syn | ack) == syn ${p} daddr @vips${f} update @new${f} { ${p} daddr . tcp dport }`);
  }
  lines.push('  }');
  return lines;
}

const payload = (protocol: string, field: string) => ({ payload: { protocol, field } });
// A rule as rs-agent loads it, in nft's JSON.
function ruleJson(f: 4 | 6): string {
  const p = FAMILY[f].proto;
  return JSON.stringify([
    { match: { op: '==', left: { '&': [payload('tcp', 'flags'), ['syn', 'ack']] }, right: 'syn' } },
    { match: { op: '==', left: payload(p, 'daddr'), right: `@vips${f}` } },
    { set: { op: 'update', elem: { concat: [payload(p, 'daddr'), payload('tcp', 'dport')] }, set: `@new${f}` } },
  ]);
}
const RULES = [ruleJson(4), ruleJson(6)];

// Pure: `nft -j list table inet rs_agent_traffic` output → the VIPs it counts, whether it
// is exactly as rs-agent loads it, and the SYNs counted per "ADDRESS PORT".
export function parseTrafficTable(text: string): NftTableState {
  const items = nftItems(text);
  const sets = new Map(items.sets.map((s) => [String(s.name), s]));
  const { chains, rules } = items;
  const holds = [4, 6].flatMap((f) => ((sets.get(`vips${f}`)?.elem ?? []) as unknown[]).map(addressOf)).sort();
  const counts: Record<string, number> = {};
  for (const f of [4, 6] as const) {
    for (const e of (sets.get(`new${f}`)?.elem ?? []) as Json[]) {
      const [address, port] = (e?.elem?.val?.concat ?? []) as unknown[];
      const packets = e?.elem?.counter?.packets;
      if (typeof address !== 'string' || typeof port !== 'number' || typeof packets !== 'number') continue;
      counts[`${f === 6 ? canonicalIPv6(address) : address} ${port}`] = packets;
    }
  }
  const setOk = (name: string, type: unknown) =>
    sets.has(name) && JSON.stringify(sets.get(name)?.type) === JSON.stringify(type);
  const intact =
    sets.size === 4 &&
    setOk('vips4', 'ipv4_addr') &&
    setOk('vips6', 'ipv6_addr') &&
    setOk('new4', ['ipv4_addr', 'inet_service']) &&
    setOk('new6', ['ipv6_addr', 'inet_service']) &&
    chains.length === 1 &&
    isOwnBaseChain(chains[0], 'input', -150) &&
    rules.length === 2 &&
    rules.every((r, i) => r.chain === 'input' && JSON.stringify(r.expr) === RULES[i]);
  if (chains.length === 1 && rules.length === 0 && sets.size === 4) return { state: 'flushed', holds, counts };
  return { state: intact ? 'intact' : 'altered', holds, counts };
}

function addressOf(e: unknown): string {
  if (typeof e !== 'string') return JSON.stringify(e);
  return e.includes(':') ? canonicalIPv6(e) : e;
}

// The VIPs it counts, each with the device it goes on.
type CountedVip = { address: string; dev: string };

export const TRAFFIC_TABLE: NftTableSpec<CountedVip[]> = {
  family: 'inet',
  name: 'rs_agent_traffic',
  stateKey: 'traffic',
  protects: false,
  provides: `nft:${TRAFFIC_TABLE_ID}`,
  observeWhen: (config: Config | null, owned: boolean) => owned || (config !== null && config.vips.length > 0),
  counts: true,
  desire: (placement) => placement.vips.map((v) => ({ address: v.address, dev: v.dev })),
  // Where nft works; without it new connections are not counted (status says so), which
  // is no reason to call the host out of sync. Not loaded when every device its VIPs go
  // on is missing (a tunnel whose module failed): it would count nothing, and a start
  // that could put no VIP in place changes nothing.
  want: (vips, { actual }) => {
    if (vips.length === 0 || actual.nft?.[TRAFFIC_TABLE_ID]?.available !== true) return null;
    const holds = [...new Set(vips.map((v) => v.address))].sort();
    return { holds, needsAny: [...new Set(vips.map((v) => deviceKey(v.dev)))].sort() };
  },
  removalNeeds: [],
  parse: parseTrafficTable,
  body,
  describe: (holds) => `counting SYNs to { ${holds.join(', ')} }`,
  missing: 'counting new connections needs nft: install the nftables package',
};
