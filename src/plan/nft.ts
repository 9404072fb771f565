import type { ActualNft } from '../observe/types.js';
import type { ArpGuardSetting, KeptProtection, NftChange } from './types.js';
import { describeVipLike, type VipLike } from './vip-like.js';

// rs-agent's ARP guard, a second layer that does not depend on the sysctls: in the
// arp family, on every NIC, drop requests that ask for a VIP-like address and any
// ARP packet rs-agent's host would send with one as sender.

export const NFT_FAMILY = 'arp';
export const NFT_TABLE = 'rs_agent';
export const NFT_TARGET = `table ${NFT_FAMILY} ${NFT_TABLE}`;

// The set's elements for VIP-like addresses: hosts as plain addresses, wider
// prefixes as their network; an element inside another is dropped (an interval set
// refuses overlapping elements).
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

// The whole file `nft -f` reads: creating the table first makes the delete valid
// when it does not exist yet, so the file always replaces it, in one transaction.
export function renderGuard(elements: readonly string[]): string {
  const elementLine = elements.length > 0 ? `\n    elements = { ${elements.join(', ')} }` : '';
  return [
    `table ${NFT_FAMILY} ${NFT_TABLE} {}`,
    `delete table ${NFT_FAMILY} ${NFT_TABLE}`,
    `table ${NFT_FAMILY} ${NFT_TABLE} {`,
    `  set vips4 {\n    type ipv4_addr\n    flags interval${elementLine}\n  }`,
    '  chain input {',
    '    type filter hook input priority 0; policy accept;',
    '    arp operation request arp daddr ip @vips4 counter drop',
    '  }',
    '  chain output {',
    '    type filter hook output priority 0; policy accept;',
    '    arp saddr ip @vips4 counter drop',
    '  }',
    '}',
    '',
  ].join('\n');
}

export function renderGuardDelete(): string {
  return `table ${NFT_FAMILY} ${NFT_TABLE} {}\ndelete table ${NFT_FAMILY} ${NFT_TABLE}\n`;
}

// Whether the guard is wanted this pass. auto: where nft and nf_tables work;
// nftables: always (a missing nft then fails the load, naming it).
export function guardApplies(setting: ArpGuardSetting, actual: ActualNft | undefined): boolean {
  if (setting === 'nftables') return true;
  return setting === 'auto' && actual?.available === true;
}

export interface NftPlan {
  changes: NftChange[];
  kept: KeptProtection[];
}

// Loads the guard when it is missing, flushed or holds other elements; removes the
// one rs-agent owns when it is no longer wanted, unless a VIP-like address remains:
// then it stays, covering exactly those addresses.
export function nftPlan(
  setting: ArpGuardSetting,
  actual: ActualNft | undefined,
  owned: boolean,
  vips: readonly VipLike[],
): NftPlan {
  const elements = guardElements(vips);
  const table = actual?.table ?? null;
  // No IPv4 VIP-like address (a v6-only host): nothing to guard.
  if (guardApplies(setting, actual) && elements.length > 0) return { changes: load(elements, table), kept: [] };
  if (!owned || actual === undefined || table === null) return { changes: [], kept: [] };
  if (setting === 'off' || vips.length === 0) {
    return {
      changes: [
        {
          kind: 'nft',
          action: 'delete',
          target: NFT_TARGET,
          table: `${NFT_FAMILY} ${NFT_TABLE}`,
          from: describe(table.elements),
          to: 'absent',
          elements: [],
          ruleset: renderGuardDelete(),
        },
      ],
      kept: [],
    };
  }
  const kept: KeptProtection = {
    item: `nft ${NFT_TARGET}`,
    now: 'present',
    original: null,
    neededBy: vips.map(describeVipLike),
  };
  return { changes: load(elements, table), kept: [kept] };
}

function load(elements: string[], table: ActualNft['table']): NftChange[] {
  if (table && table.intact && same(table.elements, elements)) return [];
  const from = table === null ? 'absent' : table.intact ? describe(table.elements) : 'altered';
  return [
    {
      kind: 'nft',
      action: 'load',
      target: NFT_TARGET,
      table: `${NFT_FAMILY} ${NFT_TABLE}`,
      from,
      to: describe(elements),
      elements,
      ruleset: renderGuard(elements),
    },
  ];
}

function describe(elements: readonly string[]): string {
  return elements.length > 0 ? `{ ${elements.join(', ')} }` : '{ }';
}

function same(a: readonly string[], b: readonly string[]): boolean {
  const sorted = [...b].sort();
  return a.length === b.length && [...a].sort().every((x, i) => x === sorted[i]);
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
