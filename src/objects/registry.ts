import type { ChangeBase } from '../model/change.js';
import type { ActualLink } from '../observe/types.js';
import { addressKind } from './address.js';
import { fouKind } from './fou.js';
import type { ObjectKind, Observed, Step } from './kind.js';
import { linkKind } from './link.js';
import { moduleKind } from './module.js';
import { ARP_GUARD_TABLE } from './nft/arp-guard.js';
import { MSS_CLAMP_TABLE } from './nft/mss-clamp.js';
import { TRAFFIC_TABLE } from './nft/traffic.js';
import { nftTableKind } from './nft-table.js';
import { routeKind } from './route.js';
import { sysctlKind } from './sysctl.js';
import { byCodePoint } from '../model/code-point-order.js';

// Every kind of kernel object rs-agent manages, and every nftables table of its own.
// The phases (observe, plan, order, apply, record, print, status, metrics) loop over
// these lists; nothing else names the kinds one by one.
export const NFT_TABLES = [ARP_GUARD_TABLE, MSS_CLAMP_TABLE, TRAFFIC_TABLE] as const;

export const KINDS = [
  moduleKind,
  sysctlKind,
  linkKind,
  addressKind,
  routeKind,
  fouKind,
  nftTableKind(NFT_TABLES),
] as const;

type AnyKind = (typeof KINDS)[number];
type ChangeOf<K> = K extends ObjectKind<infer C, any, any> ? C : never;
type SectionOf<K> = K extends ObjectKind<any, any, infer S> ? S : never;

// One step of a plan: plain data, printable, serialisable, comparable.
export type Change = ChangeOf<AnyKind>;
export type ChangeKind = Change['kind'];

// What rs-agent has changed on this host and must be able to undo, one section per kind.
export type Owned = { [K in AnyKind as K['kind']]: SectionOf<K> };

export const KIND_NAMES: readonly ChangeKind[] = KINDS.map((k) => k.kind);

const BY_KIND = new Map<string, ObjectKind<ChangeBase, unknown, unknown>>(
  KINDS.map((k) => [k.kind, k as unknown as ObjectKind<ChangeBase, unknown, unknown>]),
);

// The kind a change belongs to.
export function kindOf(change: ChangeBase): ObjectKind<ChangeBase, unknown, unknown> {
  const kind = BY_KIND.get(change.kind);
  if (!kind) throw new Error(`no object kind ${change.kind}`);
  return kind;
}

// Every kind, as the phases loop over them.
export function eachKind(): ObjectKind<ChangeBase, unknown, unknown>[] {
  return [...BY_KIND.values()];
}

export function emptyOwned(): Owned {
  return Object.fromEntries(eachKind().map((k) => [k.kind, k.owned.empty()])) as Owned;
}

// Nothing stop would undo.
export function isEmptyOwned(owned: Owned): boolean {
  return eachKind().every((k) => k.owned.isEmpty(section(owned, k)));
}

// The record as the state file holds it.
export function encodeOwned(owned: Owned): Record<string, unknown> {
  return Object.assign({}, ...eachKind().map((k) => k.owned.encode(section(owned, k)))) as Record<string, unknown>;
}

// The record from the state file's `owned` mapping, or what is wrong with it.
export function decodeOwned(value: unknown): Owned | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'owned is not a mapping';
  const out: Record<string, unknown> = {};
  for (const k of eachKind()) {
    const decoded = k.owned.decode(value as Record<string, unknown>);
    if (typeof decoded === 'string') return decoded;
    out[k.kind] = decoded;
  }
  return out as Owned;
}

// Whether two records say the same, key order aside: a pass rewrites the state file
// only when what it holds changes (a stop of 10000 VIPs adds nothing, and each write
// is megabytes).
export function sameOwned(a: Owned, b: Owned): boolean {
  return canonical(encodeOwned(a)) === canonical(encodeOwned(b));
}

function canonical(record: Record<string, unknown>): string {
  return JSON.stringify(record, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => byCodePoint(a, b)))
      : value,
  );
}

// A change and what became of it (apply's Outcome).
export interface ChangeOutcome {
  change: ChangeBase;
  status: 'applied' | 'failed' | 'skipped';
  // The command carrying it was killed or failed as a whole (a batch at the command timeout):
  // it may have happened, so it counts as owned as before it ran.
  uncertain?: boolean;
}

// What rs-agent owns after a pass, from what it owned before it, the plan and the
// outcomes. Pure. outcomes null: the plan has not run yet, and every object it may add
// counts as owned. With outcomes: an object is owned once the change adding it applied,
// no longer once the change undoing it applied; a change that failed or was not attempted
// leaves the object as it was before the pass, and one that may have happened (uncertain)
// counts as the plan did before it ran: a VIP rs-agent may have added stays recorded. First, what the host does not bear out is
// forgotten (each kind says how).
export function ownedAfter(
  before: Owned,
  plan: readonly ChangeBase[],
  outcomes: readonly ChangeOutcome[] | null,
  observed: Observed,
): Owned {
  const steps: readonly Step<ChangeBase>[] = outcomes
    ? outcomes.map((o) => (o.uncertain ? { change: o.change, status: 'pending' as const } : o))
    : plan.map((change) => ({ change, status: 'pending' as const }));
  const byKind = new Map<string, Step<ChangeBase>[]>(eachKind().map((k) => [k.kind, []]));
  for (const step of steps) byKind.get(step.change.kind)?.push(step);
  return Object.fromEntries(
    eachKind().map((k) => [k.kind, k.owned.after(section(before, k), byKind.get(k.kind) ?? [], observed)]),
  ) as Owned;
}

// Each section with devices renamed since it was recorded followed.
export function followRenames(owned: Owned, links: readonly ActualLink[]): Owned {
  let out = owned;
  for (const k of eachKind()) {
    if (!k.owned.followRenames) continue;
    const before = section(owned, k);
    const after = k.owned.followRenames(before, links);
    if (after !== before) out = { ...out, [k.kind]: after };
  }
  return out;
}

function section(owned: Owned, k: ObjectKind<ChangeBase, unknown, unknown>): unknown {
  return (owned as Record<string, unknown>)[k.kind];
}
