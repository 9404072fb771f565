import type { NftReadings } from '../agent.js';
import { tableId, type NftTableSpec } from '../objects/nft-table.js';
import type { ActualNftTable } from '../observe/types.js';
import { monotonicNow, type Now } from './scheduler.js';
import type { Trigger } from './trigger.js';

// The passes that read every nftables table, whatever nft monitor said.
const LOOK_AT_ALL: readonly Trigger[] = ['start', 'reload'];
// The schedule's pass reads them all too when the last full reading is this old. Each
// listing is an `nft` process (two with the ARP guard: it and the traffic counters), about
// 20 ms of CPU each on a 2-core VM besides the daemon's own for the spawn: on every 30 s
// pass they were 0.23 of the 0.52 % an idle daemon used, for tables whose every change
// nft monitor reports while it listens (and that are all read while it does not).
const SCHEDULE_READS_ALL_MS = 5 * 60_000;

// What the daemon knows of rs-agent's nftables tables between passes. Listing a table
// costs an `nft` process; while `nft monitor` listens, any change to a table (flushed,
// deleted, a rule or element touched, rs-agent's own loads) names it in an event, so a
// pass reads again only the tables named since their last reading. Every table is read
// when nothing watches (no monitor, or one that has not yet joined the kernel's events,
// or has ended), on the passes that must look at everything (start, reload), on the
// schedule's once the last full reading is old enough (readAllEvery), and, for a table
// whose spec says its counters are read (the metrics), on every pass that feeds them.
export class NftWatch implements NftReadings {
  private watching = false;
  private everything = true; // the next pass reads every table
  private counting = false; // the metrics read the counters after each pass
  private readonly known = new Map<string, ActualNftTable>();
  // Named by an event since a reading began: what that reading found may be old.
  private readonly named = new Set<string>();
  // Counts the monitor's joins and ends: a reading begun before the last one is not kept
  // (a table may have changed after it was read and before the monitor heard anything).
  private era = 0;
  private readingEra = 0;
  private readonly listeners = new Set<(on: boolean) => void>();
  private lastFullReading: number | null = null; // on the clock given, when a pass last read every table

  constructor(private readonly now: Now = monotonicNow) {}

  // The monitor has joined the kernel's events (true) or has ended (false): without it
  // nothing is known.
  watched(on: boolean): void {
    const was = this.watching;
    this.watching = on;
    this.era += 1;
    this.known.clear();
    if (was !== on) for (const listener of this.listeners) listener(on);
  }

  // Whether nft monitor has joined the kernel's events and still runs: a change to one of
  // rs-agent's tables (the ARP guard's flush) is heard as it happens.
  get listening(): boolean {
    return this.watching;
  }

  // Tells the listener each time that changes (the sysctl re-read's cadence depends on it);
  // returns the call that stops telling it.
  onListening(listener: (on: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // The monitor lost events (its socket's buffer overflowed): what was read may be old.
  lost(): void {
    this.era += 1;
    this.known.clear();
  }

  // An event named the table, or a pass loaded or removed it.
  changed(id: string): void {
    this.known.delete(id);
    this.named.add(id);
  }

  // Before a pass asked for by these triggers: start and reload look at every table, the
  // schedule does when the last full reading is old; with metrics, the counters are read
  // after each pass.
  beforePass(triggers: ReadonlySet<Trigger>, metrics: boolean): void {
    if (LOOK_AT_ALL.some((t) => triggers.has(t))) this.readAll();
    else if (triggers.has('schedule')) this.readAllEvery(SCHEDULE_READS_ALL_MS);
    this.setCounting(metrics);
  }

  // The next pass reads every table (start, reload).
  readAll(): void {
    this.everything = true;
  }

  // The next pass reads every table if no pass has for ms (the schedule's: a check of what
  // the events keep current, in case a monitor that still runs stopped hearing them).
  readAllEvery(ms: number): void {
    if (this.lastFullReading === null || this.now() - this.lastFullReading >= ms) this.everything = true;
  }

  // The metrics read counters after each pass: the tables whose spec counts are read each time.
  setCounting(on: boolean): void {
    this.counting = on;
  }

  // Of the tables a pass looks at, those it reads now, and the last reading of the others.
  toRead<T extends NftTableSpec>(tables: readonly T[]): { read: T[]; known: Record<string, ActualNftTable> } {
    const all = this.everything || !this.watching;
    if (all) this.lastFullReading = this.now();
    const read = tables.filter((t) => all || (this.counting && t.counts) || !this.known.has(tableId(t)));
    for (const t of read) this.named.delete(tableId(t));
    this.readingEra = this.era;
    const known = Object.fromEntries(
      tables.filter((t) => !read.includes(t)).map((t) => [tableId(t), this.known.get(tableId(t)) as ActualNftTable]),
    );
    return { read, known };
  }

  // What a pass read, kept unless an event named the table while it was read. A pass that
  // failed before it read remembers nothing, and the next reads all it had to.
  remember(read: Readonly<Record<string, ActualNftTable>>): void {
    this.everything = false;
    if (!this.watching || this.readingEra !== this.era) return;
    for (const [id, table] of Object.entries(read)) if (!this.named.has(id)) this.known.set(id, table);
  }
}
