import type { Etcd3, Watcher } from 'etcd3';
import type { StoreEntry, StoreView } from './host-desired.js';
import { desiredRange } from './layout.js';

export interface WatchEvents {
  // A new view of the prefix: after a full read ('read') or a watch event ('watch').
  view(view: StoreView, cause: 'read' | 'watch'): void;
  // The store became reachable or unreachable (message says why).
  reachable(up: boolean, message: string): void;
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

// Reads the prefix once, then watches it from that revision. A watch the store
// cancels (its start revision was compacted away while this host was disconnected)
// is replaced by a fresh read and a new watch; a broken stream is resumed by the
// client from the last revision it delivered. A read is one range request: it is
// answered whole at one revision, or it fails and the view stays as it was.
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
    const watcher = this.watcher;
    this.watcher = null;
    await watcher?.cancel().catch(() => undefined);
  }

  private async sync(): Promise<boolean> {
    if (this.stopped) return false;
    try {
      const res = await this.client.getAll().inRange(desiredRange(this.prefix)).exec();
      const entries = new Map<string, StoreEntry>();
      for (const kv of res.kvs)
        entries.set(kv.key.toString(), { value: kv.value.toString(), modRevision: Number(kv.mod_revision) });
      this.view = { revision: Number(res.header.revision), entries };
      this.setReachable(true, `read ${this.prefix} at revision ${this.view.revision}`);
      this.events.view(this.view, 'read');
      await this.watchFrom(this.view.revision + 1);
      this.retryMs = RETRY_MIN_MS;
      return true;
    } catch (error) {
      this.setReachable(false, (error as Error).message);
      this.retryLater();
      return false;
    }
  }

  private retryLater(): void {
    if (this.stopped || this.timers.has(RETRY)) return;
    this.timers.after(RETRY, this.retryMs, () => void this.sync());
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private async watchFrom(revision: number): Promise<void> {
    const old = this.watcher;
    this.watcher = null;
    await old?.cancel().catch(() => undefined);
    const watcher = await this.client
      .watch()
      .inRange(desiredRange(this.prefix))
      .startRevision(String(revision))
      .create();
    if (this.stopped) {
      await watcher.cancel().catch(() => undefined);
      return;
    }
    this.watcher = watcher;
    watcher.on('data', (res) => {
      const view = this.view;
      if (!view || this.watcher !== watcher) return;
      for (const event of res.events) {
        const key = event.kv.key.toString();
        if (event.type === 'Delete') view.entries.delete(key);
        else view.entries.set(key, { value: event.kv.value.toString(), modRevision: Number(event.kv.mod_revision) });
      }
      const revision = Number(res.header.revision);
      if (revision > view.revision) view.revision = revision;
      if (res.events.length > 0) this.events.view(view, 'watch');
    });
    watcher.on('disconnected', (error: Error) => this.setReachable(false, error.message));
    watcher.on('connected', () =>
      this.setReachable(true, `watching ${this.prefix} again from revision ${watcher.lastRevision() ?? '?'}`),
    );
    // Cancelled by the store: its start revision was compacted (or the watch refused).
    watcher.on('error', (error: Error) => {
      if (this.watcher !== watcher) return;
      this.watcher = null;
      void watcher.cancel().catch(() => undefined);
      this.events.resync(`watch cancelled (${error.message}): reading ${this.prefix} again`);
      void this.sync();
    });
  }

  private setReachable(up: boolean, message: string): void {
    if (this.up === up) return;
    this.up = up;
    this.events.reachable(up, message);
  }
}
