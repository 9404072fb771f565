import { EventEmitter } from 'node:events';
import type { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { CHECK_MS, PrefixWatch, type Timers } from '../../src/store/etcd-watch.js';

// The prefix watch's own rules, with a stand-in store the test changes behind the watch's
// back (the real etcd cases are in etcd-watch-skip.test.ts): a resumed stream and a
// periodic check that finds a difference both read the prefix again.

class FakeStore {
  revision = 1;
  readonly kv = new Map<string, { value: string; mod: number }>();
  reads = 0;
  readonly watchers: (EventEmitter & { from: number; cancelled: boolean })[] = [];

  put(key: string, value: string): void {
    this.kv.set(key, { value, mod: ++this.revision });
  }

  private range(sorted: boolean, limit: number) {
    this.reads++;
    let kvs = [...this.kv.entries()].map(([key, e]) => ({
      key: Buffer.from(key),
      value: Buffer.from(e.value),
      mod_revision: String(e.mod),
    }));
    const count = kvs.length;
    if (sorted) kvs.sort((a, b) => Number(b.mod_revision) - Number(a.mod_revision));
    if (limit > 0) kvs = kvs.slice(0, limit);
    return { header: { revision: String(this.revision) }, kvs, count: String(count) };
  }

  client(): Etcd3 {
    const store = this;
    return {
      getAll() {
        let sorted = false;
        let limit = 0;
        const b = {
          inRange: () => b,
          sort: () => ((sorted = true), b),
          limit: (n: number) => ((limit = n), b),
          exec: async () => store.range(sorted, limit),
        };
        return b;
      },
      watch() {
        let from = 0;
        const b = {
          inRange: () => b,
          startRevision: (r: string) => ((from = Number(r)), b),
          create: async () => {
            const w = Object.assign(new EventEmitter(), {
              from,
              cancelled: false,
              cancel: async () => void (w.cancelled = true),
            });
            store.watchers.push(w);
            return w;
          },
        };
        return b;
      },
    } as unknown as Etcd3;
  }
}

class ManualTimers implements Timers {
  readonly pending = new Map<string, () => void>();
  after(name: string, _delayMs: number, fn: () => void): void {
    this.pending.set(name, fn);
  }
  has(name: string): boolean {
    return this.pending.has(name);
  }
  cancel(name: string): void {
    this.pending.delete(name);
  }
  fire(name: string): void {
    const fn = this.pending.get(name);
    this.pending.delete(name);
    fn?.();
  }
}

const settle = () => new Promise((r) => setTimeout(r, 0));

async function started() {
  const store = new FakeStore();
  store.put('/rs-agent/hosts/a', 'vips: [192.0.2.10]');
  const timers = new ManualTimers();
  const views: string[] = [];
  const resyncs: string[] = [];
  const watch = new PrefixWatch(
    store.client(),
    '/rs-agent/',
    {
      view: (view, cause) => views.push(`${cause} ${view.revision} ${[...view.entries.keys()].join(',')}`),
      reachable: () => undefined,
      resync: (message) => resyncs.push(message),
    },
    timers,
  );
  expect(await watch.start()).toBe(true);
  return { store, timers, views, resyncs, watch };
}

describe('PrefixWatch', () => {
  it('a stream the client resumed is not trusted: the prefix is read again, and the watch made anew from that read', async () => {
    const { store, views, resyncs } = await started();
    const first = store.watchers[0]!;
    expect(first.from).toBe(3);
    first.emit('connected', {}); // the create reply: nothing to do
    expect(store.reads).toBe(1);
    first.emit('disconnected', new Error('14 UNAVAILABLE: Connection dropped'));
    store.put('/rs-agent/hosts/b', 'vips: [192.0.2.11]'); // delivered by no stream
    first.emit('connected', {});
    await settle();
    expect(resyncs).toEqual(['watch stream resumed: reading /rs-agent/ again']);
    expect(store.reads).toBe(2);
    expect(first.cancelled).toBe(true);
    expect(store.watchers[1]!.from).toBe(4);
    expect(views.at(-1)).toBe('read 3 /rs-agent/hosts/a,/rs-agent/hosts/b');
    // What the old stream still delivers is ignored.
    first.emit('data', { header: { revision: '9' }, events: [] });
    expect(views.length).toBe(2);
  });

  it(`every ${CHECK_MS / 1000} s the store is compared with the view: a missed put or delete is read again, naming the difference`, async () => {
    const { store, timers, views, resyncs } = await started();
    timers.fire('store-check');
    await settle();
    expect(resyncs).toEqual([]);
    expect(timers.has('store-check')).toBe(true);
    store.put('/rs-agent/hosts/a', 'vips: [192.0.2.12]'); // an event the watch never delivered
    timers.fire('store-check');
    await settle();
    expect(resyncs).toEqual([
      "the store's newest key under the prefix is of revision 3, this host's view's of 2: reading /rs-agent/ again",
    ]);
    expect(views.at(-1)).toBe('read 3 /rs-agent/hosts/a');
    store.kv.delete('/rs-agent/hosts/a');
    timers.fire('store-check');
    await settle();
    expect(resyncs.at(-1)).toBe(
      "the store holds 0 keys under the prefix, this host's view 1: reading /rs-agent/ again",
    );
    expect(views.at(-1)).toBe('read 3 ');
  });

  it('a watch the store cancels with no reason (its history compacted) says so, and the prefix is read again', async () => {
    const { store, resyncs } = await started();
    const first = store.watchers[0]!;
    first.emit('error', new Error('Watcher canceled: ')); // what the client makes of a compaction
    await settle();
    expect(resyncs).toEqual([
      'watch cancelled: the store has compacted the history it was to resume from; reading /rs-agent/ again',
    ]);
    expect(store.reads).toBe(2);
    store.watchers[1]!.emit('error', new Error('Watcher canceled: permission denied'));
    await settle();
    expect(resyncs.at(-1)).toBe('watch cancelled: permission denied; reading /rs-agent/ again');
  });
});
