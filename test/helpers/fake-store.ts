import type { StoreConfig } from '../../src/config/types.js';
import { AgentError } from '../../src/errors.js';
import type { ConnectStore, StoreLink } from '../../src/daemon/triggers/store-link.js';
import type { WatchEvents } from '../../src/store/etcd-watch.js';
import type { StoreEntry } from '../../src/store/host-desired.js';
import type { HostStatus } from '../../src/store/status-record.js';

// A store for the daemon in-process: the prefix as a map, puts and deletes delivered
// to every open link as a watch delivers them, and the status records it was given. Its
// first read answers at once, fails (the store unreachable), or never comes.
export class FakeStore {
  readonly entries = new Map<string, StoreEntry>();
  readonly statuses: HostStatus[] = [];
  readonly connects: StoreConfig[] = []; // each connection's settings, in order
  revision = 1;
  firstRead: 'answer' | 'fail' | 'hang' = 'answer';
  connectError: string | null = null; // the client cannot even be made (an AgentError)
  private readonly links = new Set<{ events: WatchEvents | null }>();
  private answer: (() => void)[] = [];

  put(key: string, value: string): number {
    this.revision += 1;
    this.entries.set(key, { value, modRevision: this.revision });
    this.deliver();
    return this.revision;
  }

  del(key: string): void {
    this.revision += 1;
    this.entries.delete(key);
    this.deliver();
  }

  // Links opened and not closed.
  get open(): number {
    return this.links.size;
  }

  // A first read that was hanging comes back now.
  answerNow(): void {
    for (const answer of this.answer.splice(0)) answer();
  }

  readonly connect: ConnectStore = async (store) => {
    if (this.connectError !== null) throw new AgentError(this.connectError);
    this.connects.push(store);
    const state: { events: WatchEvents | null } = { events: null };
    const link: StoreLink = {
      revision: this.revision,
      open: (events) => {
        this.links.add(state);
        const read = () => {
          state.events = events;
          events.reachable(true, `read at revision ${this.revision}`);
          events.view(this.view(), 'read');
          return true;
        };
        if (this.firstRead === 'answer') return Promise.resolve(read());
        if (this.firstRead === 'fail') {
          events.reachable(false, 'connection refused');
          return Promise.resolve(false);
        }
        return new Promise((resolve) => this.answer.push(() => resolve(read())));
      },
      writeStatus: (status) => void this.statuses.push(status),
      retryStatus: () => {},
      // No budget's slots here: the real store's transaction is tested against etcd.
      slots: () => ({
        take: () => Promise.reject(new Error('the fake store takes no drain slot')),
        release: () => Promise.resolve(),
      }),
      close: () => void this.links.delete(state),
    };
    return link;
  };

  private view() {
    return { revision: this.revision, entries: new Map(this.entries) };
  }

  private deliver(): void {
    for (const { events } of this.links) events?.view(this.view(), 'watch');
  }
}
