import type { FlapConfig } from '../config/types.js';
import { byCodePoint } from '../model/code-point-order.js';

// Stops rs-agent from fighting another tool forever. When the same item has been
// repaired more than maxRepairs times within windowMs, someone keeps undoing it: the
// backoff holds the item back (through the gate, plan/gate.ts) for backoffMs, doubling
// with each further trip up to maxBackoffMs. Only repairs count: a change the desired
// state asked for (a reload, the store) is no fight. Repairs are remembered across a backoff, so the first repair after it
// trips again at once; an item left alone for a whole window starts afresh.
// A protective item (an ARP sysctl, the ARP guard) is never held: protection wins
// every fight. Its trip is reported once, and again only after it was left alone
// for a whole window. Pure: the clock is injected.

export interface Trip {
  item: string;
  repairs: number; // within the window, this one included
  backoffMs: number;
  until: number; // clock value when the item may be repaired again (now: not held)
  protective: boolean; // repaired every time all the same
}

export interface FlapItemStatus {
  item: string;
  repairsInWindow: number;
  trips: number; // consecutive trips (the backoff doubles with each)
  heldUntil: number | null; // clock value; null when not held
}

interface ItemState {
  repairs: number[];
  trips: number;
  heldUntil: number;
  fighting: boolean; // a protective item's trip was reported
}

export class FlapBackoff {
  private readonly items = new Map<string, ItemState>();
  private tripCount = 0;

  constructor(
    private settings: FlapConfig,
    private readonly now: () => number,
  ) {}

  configure(settings: FlapConfig): void {
    this.settings = settings;
  }

  // Trips since the daemon started.
  get totalTrips(): number {
    return this.tripCount;
  }

  isHeld(item: string): boolean {
    const state = this.items.get(item);
    return state !== undefined && this.now() < state.heldUntil;
  }

  // Records one repair of item; returns the trip when this repair was one too many.
  // A protective item is never held back: its trip only reports the fight.
  record(item: string, options: { protective?: boolean } = {}): Trip | null {
    const now = this.now();
    const { maxRepairs, windowMs, backoffMs, maxBackoffMs } = this.settings;
    const state = this.items.get(item) ?? { repairs: [], trips: 0, heldUntil: 0, fighting: false };
    const lastActivity = Math.max(state.repairs[state.repairs.length - 1] ?? 0, state.heldUntil);
    if (now - lastActivity > windowMs) {
      state.repairs = [];
      state.trips = 0;
      state.fighting = false;
    }
    state.repairs = state.repairs.filter((t) => now - t < windowMs);
    state.repairs.push(now);
    this.items.set(item, state);
    if (state.repairs.length <= maxRepairs) return null;
    if (options.protective) {
      if (state.fighting) return null;
      state.fighting = true;
      state.trips += 1;
      this.tripCount += 1;
      return { item, repairs: state.repairs.length, backoffMs: 0, until: now, protective: true };
    }
    state.trips += 1;
    this.tripCount += 1;
    const backoff = Math.min(backoffMs * 2 ** (state.trips - 1), maxBackoffMs);
    state.heldUntil = now + backoff;
    return { item, repairs: state.repairs.length, backoffMs: backoff, until: state.heldUntil, protective: false };
  }

  // Drops what is known of an item: its desired state moved, so the fight was over a
  // value no longer wanted.
  forget(item: string): void {
    this.items.delete(item);
  }

  // The earliest end of a backoff after `since`, or null. A pass passes its own start:
  // a backoff that ended while the pass ran held its item back all the same, and the
  // item is due at once (the time returned is then already past).
  nextRelease(since = this.now()): number | null {
    const times = [...this.items.values()].map((s) => s.heldUntil).filter((t) => t > since);
    return times.length > 0 ? Math.min(...times) : null;
  }

  // Every item with a repair in the window or a backoff in force; forgets the rest.
  status(): FlapItemStatus[] {
    const now = this.now();
    const out: FlapItemStatus[] = [];
    for (const [item, state] of this.items) {
      const recent = state.repairs.filter((t) => now - t < this.settings.windowMs).length;
      const held = now < state.heldUntil;
      if (recent === 0 && !held && now - state.heldUntil > this.settings.windowMs) {
        this.items.delete(item);
        continue;
      }
      out.push({ item, repairsInWindow: recent, trips: state.trips, heldUntil: held ? state.heldUntil : null });
    }
    return out.sort((a, b) => byCodePoint(a.item, b.item));
  }
}
