import type { Etcd3, Watcher } from 'etcd3';
import type { StoreView } from './host-desired.js';
import { desiredRange } from './layout.js';
import { readRange } from './range-read.js';
import { describeStoreError } from './store-error.js';

export interface WatchEvents {
  // A new view of the prefix: after a full read ('read') or a watch event ('watch').
  view(view: StoreView, cause: 'read' | 'watch'): void;
  // The store became reachable or unreachable (message says why; refused: it answered
  // but refused this host: a certificate, a user, a permission, a size).
  reachable(up: boolean, message: string, refused?: boolean): void;
  // The watch was cancelled by the store (compacted history): the prefix is read again.
  resync(message: string): void;
}

const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 5000;

// Where a retry waits: the daemon's scheduler (monotonic, every timer under a name).
export interface Timers {
  after(name: string, delayMs: number, fn: () => void): void;
  has(name: string): boolean;
  cancel(name: string): void;
}
const RETRY = 'store-retry';
const CHECK = 'store-check';
// How often the view is compared with the store (one small read): a watch that missed an
// event for any reason is found out within this, and the prefix read again.
export const CHECK_MS = 30_000;

// Reads the prefix once, then watches it from that revision. A watch the store
// cancels (its start revision was compacted away while this host was disconnected)
// is replaced by a fresh read and a new watch, and so is a watch whose stream broke:
// the client resumes it from the revision of the store when the stream was created
// (the create reply's header + 1), which is past the events still to be delivered,
// so an event in flight when the stream broke would be lost for good. Every CHECK_MS
// the number of keys and the newest modification in the prefix are compared with the
// view; a difference is read again too. A read is one range request: it is answered
// whole at one revision, or it fails and the view stays as it was.
export class PrefixWatch {
  private view: StoreView | null = null;
  private watcher: Watcher | null = null;
  private stopped = false;
  private retryMs = RETRY_MIN_MS;
  private up: boolean | null = null;

  constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
    private readonly events: WatchEvents,
    private readonly timers: Timers,
  ) {}

  get revision(): number {
    return this.view?.revision ?? 0;
  }

  // Resolves after the first read, successful or not (the caller decides whether to
  // wait for the store); keeps trying in the background after a failure.
  async start(): Promise<boolean> {
    return this.sync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.cancel(RETRY);
    this.timers.cancel(CHECK);
    const watcher = this.watcher;
    this.watcher = null;
    await watcher?.cancel().catch(() => undefined);
  }

  private async sync(): Promise<boolean> {
    if (this.stopped) return false;
    // The watch in force is dropped first: nothing it still delivers mixes with the read.
    const old = this.watcher;
    this.watcher = null;
    await old?.cancel().catch(() => undefined);
    try {
      this.view = await readRange(this.client, desiredRange(this.prefix));
      this.setReachable(true, `read ${this.prefix} at revision ${this.view.revision}`);
      this.events.view(this.view, 'read');
      await this.watchFrom(this.view.revision + 1);
      this.retryMs = RETRY_MIN_MS;
      this.checkLater();
      return true;
    } catch (error) {
      const failure = describeStoreError(error);
      this.setReachable(false, failure.text, failure.refused);
      this.retryLater();
      return false;
    }
  }

  private retryLater(): void {
    if (this.stopped || this.timers.has(RETRY)) return;
    this.timers.after(RETRY, this.retryMs, () => void this.sync());
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  // The periodic comparison of the view with the store.
  private checkLater(): void {
    if (this.stopped) return;
    this.timers.cancel(CHECK);
    this.timers.after(CHECK, CHECK_MS, () => void this.check());
  }

  private async check(): Promise<void> {
    const view = this.view;
    if (this.stopped || !view || !this.watcher) return;
    let differs: string | null = null;
    try {
      differs = differsFrom(
        view,
        await this.client.getAll().inRange(desiredRange(this.prefix)).sort('Mod', 'Descend').limit(1).exec(),
      );
    } catch {
      // Unreachable: the watch's own reconnect reads again.
    }
    if (differs === null || this.view !== view || this.stopped) return this.checkLater();
    this.events.resync(`${differs}: reading ${this.prefix} again`);
    await this.sync();
  }

  private async watchFrom(from: number): Promise<void> {
    const watcher = await this.client.watch().inRange(desiredRange(this.prefix)).startRevision(String(from)).create();
    if (this.stopped) {
      await watcher.cancel().catch(() => undefined);
      return;
    }
    this.watcher = watcher;
    watcher.on('data', (res) => {
      const view = this.view;
      if (!view || this.watcher !== watcher) return;
      for (const event of res.events) {
        if (Number(event.kv.mod_revision) < from) continue; // already in the read
        const key = event.kv.key.toString();
        if (event.type === 'Delete') view.entries.delete(key);
        else view.entries.set(key, { value: event.kv.value.toString(), modRevision: Number(event.kv.mod_revision) });
      }
      const revision = Number(res.header.revision);
      if (revision > view.revision) view.revision = revision;
      if (res.events.length > 0) this.events.view(view, 'watch');
    });
    // The first 'connected' is the create reply; any later one a stream the client resumed.
    let broken = false;
    watcher.on('disconnected', (error: Error) => {
      broken = true;
      const failure = describeStoreError(error);
      this.setReachable(false, failure.text, failure.refused);
    });
    watcher.on('connected', () => {
      if (!broken || this.watcher !== watcher) return;
      this.events.resync(`watch stream resumed: reading ${this.prefix} again`);
      void this.sync();
    });
    // Cancelled by the store: its start revision was compacted (or the watch refused).
    watcher.on('error', (error: Error) => {
      if (this.watcher !== watcher) return;
      this.watcher = null;
      void watcher.cancel().catch(() => undefined);
      this.events.resync(`watch cancelled: ${cancelledWhy(error.message)}; reading ${this.prefix} again`);
      void this.sync();
    });
  }

  private setReachable(up: boolean, message: string, refused = false): void {
    if (this.up === up) return;
    this.up = up;
    this.events.reachable(up, message, refused);
  }
}

// Why the store cancelled a watch, from the client's "Watcher canceled: <reason>". etcd gives
// no reason when the revision the watch starts or resumes from has been compacted away (it
// sets only the compact revision, which the client drops); it names any other.
export function cancelledWhy(message: string): string {
  const reason = message.replace(/^Watcher canceled:\s*/, '').trim();
  return reason === '' ? 'the store has compacted the history it was to resume from' : reason;
}

// Why the store's prefix differs from the view, from a read of its newest key (its count
// is every key's): another number of keys, or a newer modification.
export function differsFrom(
  view: StoreView,
  res: { count?: unknown; kvs: { mod_revision: unknown }[] },
): string | null {
  const count = Number(res.count ?? res.kvs.length);
  const newest = Number(res.kvs[0]?.mod_revision ?? 0);
  let mine = 0;
  for (const entry of view.entries.values()) mine = Math.max(mine, entry.modRevision);
  if (count !== view.entries.size)
    return `the store holds ${count} keys under the prefix, this host's view ${view.entries.size}`;
  if (newest !== mine)
    return `the store's newest key under the prefix is of revision ${newest}, this host's view's of ${mine}`;
  return null;
}
