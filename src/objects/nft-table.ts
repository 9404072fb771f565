import type { Config } from '../config/types.js';
import type { ChangeBase, KeptProtection, Problem } from '../model/change.js';
import type { Placement } from '../model/placement.js';
import type { ActualNftTable, NftTableState } from '../observe/types.js';
import type { ObjectKind, Observed, PlanContext, Step } from './kind.js';
import { happens, isClaim, isUndo } from './owned-list.js';

// rs-agent's own nftables tables, one kind whatever the table is for: each is loaded
// whole from one file that `nft -f` applies as one transaction (so it is never seen
// half-built) and removed when nothing needs it. What a table is for lives in its spec
// (objects/nft/): what it should hold, how its rules read back, what it protects.

export interface NftChange extends ChangeBase {
  kind: 'nft';
  action: 'load' | 'delete';
  table: string; // family and name, e.g. "arp rs_agent"
  holds: string[]; // what the table holds after the change, as its spec lists it ([] for delete)
  ruleset: string; // the file `nft -f` reads
}

// What a table should hold this pass, and what loading it needs.
export interface Wanted {
  holds: string[];
  needs?: string[];
  needsAny?: string[]; // loaded only if one of these is there (an MSS clamp needs one of its devices)
}

export interface NftTableSpec<D = unknown> {
  family: string;
  name: string;
  stateKey: string; // its flag in the state file
  protects: boolean; // a load keeps the host from answering ARP for a VIP
  provides: string; // the safety key its load provides
  // Whether a pass must read the table (something may be wanted, or rs-agent owns it).
  observeWhen(config: Config | null, owned: boolean): boolean;
  // Its counters are read from what a pass observed (the metrics): the daemon reads it on
  // every pass while it writes metrics, not only when nft monitor names it (daemon/nft-watch.ts).
  counts: boolean;
  desire(placement: Placement): D;
  want(desired: D, ctx: PlanContext): Wanted | null; // null: not wanted
  // Not wanted but owned and there: what it must go on holding, and for whom (null: remove it).
  keep?(desired: D, ctx: PlanContext): { holds: string[]; neededBy: string[] } | null;
  // A removal waits for these (the ARP guard: every VIP-like address gone).
  removalNeeds: string[];
  problems?(desired: D, ctx: PlanContext): Problem[];
  parse(json: string): NftTableState; // `nft -j list table …`, read back
  body(holds: readonly string[]): string[]; // the table's contents, one line each
  describe(holds: readonly string[]): string; // for plan lines and check
  missing: string; // what to do when nft is missing
}

export const tableId = (spec: Pick<NftTableSpec, 'family' | 'name'>) => `${spec.family} ${spec.name}`;

// The whole file `nft -f` reads: creating the table first makes the delete valid when it
// does not exist yet, so the file always replaces it, in one transaction.
export function rulesetOf(spec: NftTableSpec, holds: readonly string[]): string {
  const id = tableId(spec);
  return [`table ${id} {}`, `delete table ${id}`, `table ${id} {`, ...spec.body(holds), '}', ''].join('\n');
}

export function deleteRulesetOf(spec: Pick<NftTableSpec, 'family' | 'name'>): string {
  return `table ${tableId(spec)} {}\ndelete table ${tableId(spec)}\n`;
}

export function nftTableKind(specs: readonly NftTableSpec[]): ObjectKind<NftChange, unknown[], string[]> {
  const byId = new Map(specs.map((s) => [tableId(s), s]));
  const specOf = (change: NftChange) => byId.get(change.table) as NftTableSpec;
  return {
    kind: 'nft',
    // The ARP guard with the sysctls, before any VIP; removed last. A table that protects
    // nothing (the MSS clamp) is loaded once the VIPs are in place and leaves with the others.
    rank: { load: 1, delete: 8 },
    execute: { via: 'nft', ruleset: (c) => c.ruleset, missing: (c) => specOf(c).missing },
    desire: (placement) => specs.map((s) => s.desire(placement)),
    plan: (desired, owned, ctx) => {
      const changes: NftChange[] = [];
      const kept: KeptProtection[] = [];
      const problems: Problem[] = [];
      specs.forEach((spec, i) => {
        const part = planTable(spec, desired[i], owned.includes(tableId(spec)), ctx);
        changes.push(...part.changes);
        kept.push(...part.kept);
        problems.push(...(spec.problems?.(desired[i], ctx) ?? []));
      });
      return { changes, kept, problems };
    },
    owned: {
      empty: () => [],
      decode: (owned) => specs.filter((s) => owned[s.stateKey] === true).map(tableId),
      encode: (tables) =>
        Object.fromEntries(specs.filter((s) => tables.includes(tableId(s))).map((s) => [s.stateKey, true])),
      isEmpty: (tables) => tables.length === 0,
      after: (before, steps, observed) =>
        specs.flatMap((s) => (ownedAfter(s, before, steps, observed) ? [tableId(s)] : [])),
    },
    render: (c) => {
      const line = `${c.action === 'load' ? '+' : '-'} nft ${c.target}: ${c.from} → `;
      return line + (c.action === 'delete' ? 'absent' : (c.to ?? ''));
    },
  };
  function describeState(spec: NftTableSpec, table: NftTableState | null): string {
    if (table === null) return 'absent';
    return table.state === 'intact' ? spec.describe(table.holds) : table.state;
  }
  function load(spec: NftTableSpec, wanted: Wanted, table: NftTableState | null): NftChange[] {
    if (table?.state === 'intact' && sameList(table.holds, wanted.holds)) return [];
    return [
      {
        kind: 'nft',
        action: 'load',
        target: `table ${tableId(spec)}`,
        table: tableId(spec),
        from: describeState(spec, table),
        to: spec.describe(wanted.holds),
        holds: wanted.holds,
        ruleset: rulesetOf(spec, wanted.holds),
        safety: {
          provides: [spec.provides],
          needs: wanted.needs ?? [],
          ...(wanted.needsAny ? { needsAny: wanted.needsAny } : {}),
          ...(spec.protects ? { protects: true as const } : {}),
        },
      },
    ];
  }
  // Loads the table when it is missing, altered or holds something else; removes the one
  // rs-agent owns when nothing wants it, unless its spec says it must stay.
  function planTable(spec: NftTableSpec, desired: unknown, owned: boolean, ctx: PlanContext) {
    const actual: ActualNftTable | undefined = ctx.actual.nft?.[tableId(spec)];
    const table = actual?.table ?? null;
    const wanted = spec.want(desired, ctx);
    if (wanted) return { changes: load(spec, wanted, table), kept: [] };
    if (!owned || actual === undefined || table === null) return { changes: [], kept: [] };
    const keep = spec.keep?.(desired, ctx);
    if (keep) {
      const kept = { item: `nft table ${tableId(spec)}`, now: 'present', original: null, neededBy: keep.neededBy };
      return { changes: load(spec, { holds: keep.holds }, table), kept: [kept] };
    }
    const change: NftChange = {
      kind: 'nft',
      action: 'delete',
      target: `table ${tableId(spec)}`,
      table: tableId(spec),
      from: describeState(spec, table),
      to: 'absent',
      holds: [],
      ruleset: deleteRulesetOf(spec),
      safety: { provides: [], needs: spec.removalNeeds },
    };
    return { changes: [change], kept: [] };
  }
  // Looked at and gone (deleted by someone else): a later load claims it afresh.
  function ownedAfter(spec: NftTableSpec, before: string[], steps: readonly Step<NftChange>[], observed: Observed) {
    const id = tableId(spec);
    const seen = observed.actual.nft?.[id];
    let owned = before.includes(id) && (seen === undefined || seen.table !== null);
    for (const { change, status } of steps) {
      if (change.table !== id) continue;
      if (isClaim(change) && happens(status)) owned = true;
      else if (isUndo(change) && status === 'applied') owned = false;
    }
    return owned;
  }
}

export function sameList(a: readonly string[], b: readonly string[]): boolean {
  const sorted = [...b].sort();
  return a.length === b.length && [...a].sort().every((x, i) => x === sorted[i]);
}
