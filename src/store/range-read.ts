import type { Etcd3 } from 'etcd3';
import type { StoreEntry, StoreView } from './host-desired.js';

// The largest gRPC message the client takes (etcd-client.ts): gRPC's default, 4 MiB, is less
// than three values within etcd's own default limit (1.5 MiB each), and an answer over it
// failed as a whole, so a prefix past 4 MiB locked every restarted agent out.
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
// The most a desired state may hold, keys and values together: past it the read is refused,
// naming the largest key, rather than held in memory and parsed.
export const MAX_VIEW_BYTES = 64 * 1024 * 1024;
const PAGE_KEYS = 1000;

// A read too large to take, with what to do about it.
export class StoreSizeError extends Error {}

// Reads a key range whole at one revision, a page at a time: a page whose answer is over the
// message limit is asked for again with fewer keys, down to one key, which is then named.
export async function readRange(
  client: Etcd3,
  range: { start: string; end: string },
  { pageKeys = PAGE_KEYS, maxViewBytes = MAX_VIEW_BYTES } = {},
): Promise<StoreView> {
  const entries = new Map<string, StoreEntry>();
  let revision = 0;
  let start: string | Buffer = range.start;
  let limit = pageKeys;
  let bytes = 0;
  let largest = { key: '', size: 0 };
  for (;;) {
    const query = client.getAll().inRange({ start, end: range.end }).limit(limit);
    let res;
    try {
      res = await (revision > 0 ? query.revision(revision) : query).exec();
    } catch (error) {
      if (!isTooLarge(error)) throw error;
      if (limit > 1) {
        limit = Math.max(1, Math.floor(limit / 8));
        continue;
      }
      const key = await firstKey(client, start, range.end, revision);
      throw new StoreSizeError(
        `etcd key ${key}: its value is over the ${mib(MAX_MESSAGE_BYTES)} rs-agent takes in one answer`,
      );
    }
    if (revision === 0) revision = Number(res.header.revision);
    for (const kv of res.kvs) {
      const key = kv.key.toString();
      const size = kv.key.length + kv.value.length;
      bytes += size;
      if (size > largest.size) largest = { key, size };
      entries.set(key, { value: kv.value.toString(), modRevision: Number(kv.mod_revision) });
    }
    if (bytes > maxViewBytes)
      throw new StoreSizeError(
        `${range.start} holds over ${mib(maxViewBytes)} of keys and values, more than rs-agent takes; the largest key is ${largest.key} (${largest.size} bytes)`,
      );
    const last = res.kvs.at(-1);
    if (!res.more || !last) return { revision, entries };
    start = Buffer.concat([last.key, Buffer.from([0])]); // the next key after it
  }
}

function isTooLarge(error: unknown): boolean {
  return /RESOURCE_EXHAUSTED|larger than max/i.test((error as Error)?.message ?? '');
}

// The name of the first key from `start`, its value left out.
async function firstKey(client: Etcd3, start: string | Buffer, end: string, revision: number): Promise<string> {
  const query = client.getAll().inRange({ start, end }).limit(1);
  const keys = await (revision > 0 ? query.revision(revision) : query).keys();
  return keys[0] ?? String(start);
}

function mib(bytes: number): string {
  return `${bytes / 1024 / 1024} MiB`;
}
