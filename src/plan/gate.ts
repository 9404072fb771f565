import { itemOf, type ChangeBase, type Problem } from '../model/change.js';

// The one safety gate. Every change carries what it provides and what it needs
// (model/change.ts Safety, filled in by its kind's planner); this decides, from what is
// blocked, which changes may run. Apply calls it before each change, with what failed
// so far; the daemon calls it (selectChanges) with what the flap backoff holds back.
// Nothing else re-derives the rule "no VIP without ARP protection": it is the needs
// every IPv4 VIP carries (model/safety-keys.ts ARP_PROTECTION).

// What is blocked: keys of what failed, was held back or was not run, each with why.
export class Blocked {
  // Each blocked key and each of its prefixes (a need may name either), with the first reason.
  private readonly reasons = new Map<string, string>();

  block(keys: readonly string[], why: string): void {
    for (const key of keys) {
      for (let k = key; ;) {
        if (!this.reasons.has(k)) this.reasons.set(k, why);
        const cut = k.lastIndexOf(':');
        if (cut < 0) break;
        k = k.slice(0, cut);
      }
    }
  }

  why(need: string): string | undefined {
    return this.reasons.get(need);
  }

  get size(): number {
    return this.reasons.size;
  }
}

// Why a change may not run, or null: one of its needs is blocked, or every one of its
// alternatives is.
export function gate(change: ChangeBase, blocked: Blocked): string | null {
  if (blocked.size === 0) return null;
  for (const need of change.safety.needs) {
    const why = blocked.why(need);
    if (why !== undefined) return why;
  }
  const any = change.safety.needsAny;
  if (any && any.length > 0 && any.every((k) => blocked.why(k) !== undefined))
    return blocked.why(any[0] as string) ?? null;
  return null;
}

// A change that could not run: what needs it cannot run either, for the same reason.
export function blockDependents(change: ChangeBase, blocked: Blocked, why: string): void {
  blocked.block(change.safety.provides, why);
}

export interface Selection<C> {
  apply: C[];
  held: { change: C; why: string }[];
}

// What the problems of a pass say is missing (a GUE port taken by another listener).
export function missingOf(problems: readonly Problem[]): Blocked {
  const blocked = new Blocked();
  for (const p of problems)
    if (p.blocks) blocked.block(p.blocks, `not attempted: ${p.item} is not available (see above)`);
  return blocked;
}

// Splits a plan into what this pass applies and what it holds back: an item the flap
// backoff holds (never a protective one: protection wins every fight, and is never kept
// waiting), and everything that needs something held back or missing.
export function selectChanges<C extends ChangeBase>(
  changes: readonly C[],
  isHeld: (item: string) => boolean,
  blocked: Blocked = new Blocked(),
): Selection<C> {
  const out: Selection<C> = { apply: [], held: [] };
  for (const change of changes) {
    const held = !change.safety.protects && isHeld(itemOf(change));
    const why = held ? `held back: ${itemOf(change)} keeps being undone (flap backoff)` : gate(change, blocked);
    if (why === null) {
      out.apply.push(change);
      continue;
    }
    out.held.push({ change, why });
    blockDependents(change, blocked, why);
  }
  return out;
}
