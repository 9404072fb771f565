import type { Config } from '../../config/types.js';
import { describeVipLike, type VipLike } from '../../model/exposure.js';
import type { ArpGuardSetting } from '../../model/placement.js';
import { ARP_GUARD, VIP_GONE } from '../../model/safety-keys.js';
import { READ_AGAIN, unreadReason } from '../../observe/nft-read.js';
import type { ActualNftTable, NftTableState } from '../../observe/types.js';
import type { PlanContext } from '../kind.js';
import { tableId, type NftChange, type NftTableSpec } from '../nft-table.js';
import { isOwnBaseChain, nftItems, type Json } from './nft-json.js';

// The ARP guard, a second layer of ARP protection that does not depend on the sysctls:
// in nftables' arp family, on every NIC, drop requests that ask for a VIP-like address
// and any ARP packet the host would send with one as sender. It covers every VIP-like
// address (rs-agent's VIPs and any other address on lo or a tunnel), and stays while one
// remains, even once nothing desired asks for it.

// The set's elements for VIP-like addresses: hosts as plain addresses, wider prefixes as
// their network; an element inside another is dropped (an interval set refuses
// overlapping elements).
export function guardElements(vips: readonly VipLike[]): string[] {
  const nets = vips.map((v) => ({ base: (toInt(v.address) & mask(v.prefixlen)) >>> 0, len: v.prefixlen }));
  nets.sort((a, b) => a.len - b.len || a.base - b.base);
  const kept: { base: number; len: number }[] = [];
  for (const n of nets) {
    if (kept.some((k) => k.len <= n.len && (n.base & mask(k.len)) >>> 0 === k.base)) continue;
    kept.push(n);
  }
  return kept
    .sort((a, b) => a.base - b.base || a.len - b.len)
    .map((k) => (k.len === 32 ? toText(k.base) : `${toText(k.base)}/${k.len}`));
}

// Whether the guard is wanted this pass. auto: where nft and nf_tables work;
// nftables: always (a missing nft then fails the load, naming it).
export function guardApplies(setting: ArpGuardSetting, actual: ActualNftTable | undefined): boolean {
  if (setting === 'nftables') return true;
  return setting === 'auto' && actual?.available === true;
}

// Whether the guard is in force after a pass that planned `changes` on a host where it
// found rs-agent's nftables tables as `found`: the guard's table was found intact, holding addresses, and
// the pass planned nothing for it, or every change it planned for the table was a load
// that applied. Not when the guard is off or not wanted (no IPv4 VIP-like address), nft
// is missing or gave no answer, or its load failed or was held back: then only the
// sysctls keep ARP for the VIPs unanswered.
export function guardInForceAfter<C extends { kind: string }>(
  changes: readonly C[],
  found: Readonly<Record<string, ActualNftTable>> | undefined,
  applied: (change: C) => boolean,
): boolean {
  const planned = changes.filter((c) => c.kind === 'nft' && (c as unknown as NftChange).table === GUARD_ID);
  const table = found?.[GUARD_ID]?.table;
  if (planned.length === 0) return table?.state === 'intact' && table.holds.length > 0;
  return planned.every((c) => (c as unknown as NftChange).action === 'load' && applied(c));
}

function body(elements: readonly string[]): string[] {
  const elementLine = elements.length > 0 ? [`    elements = { ${elements.join(', ')} }`] : [];
  return [
    '  set vips4 {',
    '    type ipv4_addr',
    '    flags interval',
    ...elementLine,
    '  }',
    '  chain input {',
    '    type filter hook input priority 0; policy accept;',
    '    arp operation request arp daddr ip @vips4 counter drop',
    '  }',
    '  chain output {',
    '    type filter hook output priority 0; policy accept;',
    '    arp saddr ip @vips4 counter drop',
    '  }',
  ];
}

// The rules as rs-agent loads them, in nft's JSON (counters zeroed): anything else in
// the table means someone changed it.
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

// Pure: `nft -j list table arp rs_agent` output → the set's elements, whether the
// chains and rules are rs-agent's, unaltered, and what each chain's rule has dropped.
export function parseGuard(text: string): NftTableState {
  const { sets, chains, rules } = nftItems(text);
  const vips = sets.find((s) => s.name === 'vips4');
  const holds = ((vips?.elem ?? []) as unknown[]).map(elementText).sort();
  const chainOk = (name: string) =>
    isOwnBaseChain(
      chains.find((x) => x.name === name),
      name,
    );
  const ruleOk = (chain: string, want: string) => {
    const mine = rules.filter((r) => r.chain === chain);
    return mine.length === 1 && JSON.stringify(zeroCounters(mine[0]?.expr)) === want;
  };
  const drops = (chain: string) => dropsIn(rules, chain);
  const intact =
    vips !== undefined &&
    vips.type === 'ipv4_addr' &&
    sets.length === 1 &&
    chains.length === 2 &&
    chainOk('input') &&
    chainOk('output') &&
    ruleOk('input', INPUT_RULE) &&
    ruleOk('output', OUTPUT_RULE);
  return { state: intact ? 'intact' : 'altered', holds, counts: { input: drops('input'), output: drops('output') } };
}

// The packets a chain's rules dropped, as their counters say.
function dropsIn(rules: Json[], chain: string): number {
  let n = 0;
  for (const r of rules)
    if (r.chain === chain && Array.isArray(r.expr))
      for (const s of r.expr as Json[]) if (typeof s?.counter?.packets === 'number') n += s.counter.packets as number;
  return n;
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

function mask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

function toInt(address: string): number {
  return address.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0);
}

function toText(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

export const ARP_GUARD_TABLE: NftTableSpec<ArpGuardSetting> = {
  family: 'arp',
  name: 'rs_agent',
  stateKey: 'nft',
  protects: true,
  provides: ARP_GUARD,
  observeWhen: (config: Config | null, owned: boolean) => (config !== null && config.arp.guard !== 'off') || owned,
  counts: true,
  desire: (placement) => placement.arp.guard,
  // No IPv4 VIP-like address (a v6-only host): nothing to guard.
  want: (setting, { actual, exposed }: PlanContext) => {
    const holds = guardElements(exposed);
    return guardApplies(setting, actual.nft?.[GUARD_ID]) && holds.length > 0 ? { holds } : null;
  },
  // Once nothing desired asks for it, it stays while a VIP-like address remains, covering
  // exactly those (arp.guard off: the operator said so, it goes).
  keep: (setting, { exposed }) =>
    setting === 'off' || exposed.length === 0
      ? null
      : { holds: guardElements(exposed), neededBy: exposed.map(describeVipLike) },
  removalNeeds: [VIP_GONE],
  // auto, with an nft that is there but gave no answer (a loaded machine's timeout, a
  // refusal): the guard is neither checked nor loaded this pass. Reported, not a reason to
  // hold a VIP back: the sysctls keep ARP suppressed, as they do where nft is missing.
  problems: (setting, { actual, exposed }) => {
    const unread = unreadReason(actual.nft?.[GUARD_ID]);
    if (setting !== 'auto' || unread === null || guardElements(exposed).length === 0) return [];
    return [
      {
        item: 'nft table arp rs_agent',
        message: `the ARP guard could not be read: ${unread}; not checked or loaded, ARP stays suppressed by the sysctls; ${READ_AGAIN}`,
      },
    ];
  },
  parse: parseGuard,
  body,
  describe: (holds) => (holds.length > 0 ? `vips4 { ${holds.join(', ')} }` : 'vips4 { }'),
  missing: 'the ARP guard needs nft: install the nftables package, or set arp.guard: off',
};

// The guard table's key among the tables read (actual.nft) and in its changes: its spec's id.
const GUARD_ID = tableId(ARP_GUARD_TABLE);
