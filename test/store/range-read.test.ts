import type { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { readRange, StoreSizeError } from '../../src/store/range-read.js';

// A stand-in for etcd's range request as readRange makes it: keys in order, a page limit, and
// an answer refused as gRPC refuses one over its message limit (here `maxAnswer` bytes).
function fakeStore(kvs: Record<string, string>, maxAnswer: number) {
  const sorted = Object.entries(kvs).sort(([a], [b]) => a.localeCompare(b));
  const requests: number[] = [];
  const builder = () => {
    let start = '';
    let end = '';
    let limit = Infinity;
    const page = () => {
      const inRange = sorted.filter(([k]) => k >= start && k < end);
      return { kvs: inRange.slice(0, limit), more: inRange.length > limit };
    };
    const b = {
      inRange(r: { start: string | Buffer; end: string }) {
        start = r.start.toString();
        end = r.end;
        return b;
      },
      limit(n: number) {
        limit = n;
        return b;
      },
      revision() {
        return b;
      },
      async keys() {
        return page().kvs.map(([k]) => k);
      },
      async exec() {
        requests.push(limit);
        const { kvs: got, more } = page();
        if (got.reduce((n, [k, v]) => n + k.length + v.length, 0) > maxAnswer)
          throw new Error('8 RESOURCE_EXHAUSTED: Received message larger than max');
        return {
          header: { revision: '9' },
          more,
          kvs: got.map(([k, v]) => ({ key: Buffer.from(k), value: Buffer.from(v), mod_revision: '5' })),
        };
      },
    };
    return b;
  };
  return { client: { getAll: builder } as unknown as Etcd3, requests };
}

const range = { start: '/p/', end: '/p0' };

describe('readRange', () => {
  it('asks again with fewer keys when an answer is too large, and reads every key', async () => {
    const kvs = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`/p/k${String(i).padStart(2, '0')}`, 'v'.repeat(100)]),
    );
    const { client, requests } = fakeStore(kvs, 500);
    const view = await readRange(client, range, { pageKeys: 16 });
    expect(view.revision).toBe(9);
    expect([...view.entries.keys()]).toEqual(Object.keys(kvs));
    expect(requests[0]).toBe(16);
    expect(requests[1]).toBe(2);
  });

  it('names a key whose value alone is over the answer limit', async () => {
    const { client } = fakeStore({ '/p/a': 'small', '/p/huge': 'x'.repeat(1000) }, 500);
    await expect(readRange(client, range)).rejects.toThrow(
      new StoreSizeError('etcd key /p/huge: its value is over the 32 MiB rs-agent takes in one answer'),
    );
  });

  it('refuses a desired state over its bound, naming the largest key', async () => {
    const { client } = fakeStore({ '/p/a': 'x'.repeat(300), '/p/b': 'x'.repeat(700), '/p/c': 'x'.repeat(10) }, 1e9);
    await expect(readRange(client, range, { maxViewBytes: 800 })).rejects.toThrow(
      /^\/p\/ holds over .* of keys and values, more than rs-agent takes; the largest key is \/p\/b \(704 bytes\)$/,
    );
  });
});
