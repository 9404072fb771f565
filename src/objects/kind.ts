import type { ChangeBase, KeptProtection, Problem } from '../model/change.js';
import type { VipLike } from '../model/exposure.js';
import type { Placement } from '../model/placement.js';
import type { ActualLink, ActualState } from '../observe/types.js';

// One kind of kernel object rs-agent manages: everything about it in one module, behind
// this interface, held in the registry (objects/registry.ts) that every phase loops over.
// Adding a kind is a new file and one registry line.

export interface PlanContext {
  actual: ActualState;
  placement: Placement;
  // The VIP-like addresses left once the plan's own deletions are done, plus the
  // desired IPv4 VIPs: what ARP protection must keep covering.
  exposed: readonly VipLike[];
}

export interface PlanPart<C> {
  changes: C[];
  kept?: KeptProtection[]; // protection left in force for addresses that still need it
  problems?: Problem[]; // what cannot be put in place now (reported, never a reason to stop)
}

// A change and what became of it; pending: the plan has not run yet (everything it may
// add counts as owned, so a crash at any point leaves a record stop can undo).
export interface Step<C> {
  change: C;
  status: 'applied' | 'failed' | 'skipped' | 'pending';
}

// What a pass saw of the host, as far as ownership depends on it.
export interface Observed {
  actual: ActualState;
  // Sysctl values read during the pass just before their first write: those of a device
  // the pass created (tunl0 after modprobe), which had no value to plan with.
  originals?: Readonly<Record<string, string | null>>;
}

// A kind's part of the state file: what rs-agent owns of it, how it is read back
// (validated: its contents reach /proc/sys paths and command lines), and how a pass
// changes it.
export interface OwnedSection<C, S> {
  empty(): S;
  // The section from the file's `owned` mapping; a string says what is wrong (key path).
  decode(owned: Readonly<Record<string, unknown>>): S | string;
  // The section's keys in the file (merged into one mapping).
  encode(section: S): Record<string, unknown>;
  // Nothing that stop would undo (modules are never unloaded: they do not count).
  isEmpty(section: S): boolean;
  // Ownership after a pass, from what was owned before, the steps and what the pass saw.
  after(before: S, steps: readonly Step<C>[], observed: Observed): S;
  // Follows devices renamed since the record was written (sysctl originals by ifindex).
  followRenames?(section: S, links: readonly ActualLink[]): S;
}

// How a change is carried out: one of apply's executors, with what it needs of the change.
export type Execution<C> =
  | { via: 'module'; module(change: C): string }
  | { via: 'sysctl'; path(change: C): string; value(change: C): string }
  | {
      via: 'ip';
      line(change: C): string; // one `ip -batch` line
      // The kernel's answer means it is already where the change was taking it.
      alreadyDone?(change: C, message: string): boolean;
      hint?(change: C, message: string): string; // what the error means in the operator's terms
    }
  | { via: 'nft'; ruleset(change: C): string; missing(change: C): string };

export interface ObjectKind<C extends ChangeBase = ChangeBase, D = unknown, S = unknown> {
  readonly kind: C['kind'];
  // Where its changes go in a pass: protection first, exposure last (plan/order.ts).
  readonly rank: Readonly<Record<C['action'], number>>;
  readonly execute: Execution<C>;
  desire(placement: Placement): D;
  plan(desired: D, owned: S, ctx: PlanContext): PlanPart<C>;
  readonly owned: OwnedSection<C, S>;
  // One line per change, the same in plan, start, stop, check and the daemon's log.
  render(change: C): string;
  // How a drifted object reads in `check`; absent: the change's line without its symbol.
  drift?(change: C): string;
}
