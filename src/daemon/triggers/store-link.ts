import { createHash } from 'node:crypto';
import type { Config, StoreConfig } from '../../config/types.js';
import { readCredentials } from '../../source/etcd-client.js';
import type { Timers, WatchEvents } from '../../source/etcd-watch.js';
import type { HostStatus } from '../../source/status-record.js';

// The store as the store source sees it: a prefix read then watched, and a status
// record written under a lease. connectEtcd (etcd-link.ts) is the real one; tests give
// a fake that emits views.
export interface StoreLink {
  // The revision the view is at, for messages.
  readonly revision: number;
  // Reads the prefix, then watches it; resolves after the first read, whether it
  // succeeded or not (a failed one is retried in the background).
  open(events: WatchEvents): Promise<boolean>;
  writeStatus(status: HostStatus): void;
  // After the store comes back: whatever status could not be written goes now.
  retryStatus(): void;
  close(): void;
}

export type ConnectStore = (store: StoreConfig, timers: Timers, warn: (message: string) => void) => Promise<StoreLink>;

// What the store source depends on, as one comparable string: a reload that changes any
// of it (endpoints, prefix, TLS files or their contents, cache, lease and heartbeat,
// host, labels) restarts the source. Reads the TLS files: one that cannot be read
// rejects the reload, naming the key.
export function storeKey(config: Config): string {
  const store = config.store as StoreConfig;
  const material = store.tls ? readCredentials(store.tls) : null;
  const hash = createHash('sha256');
  if (material) for (const part of Object.values(material)) hash.update(part).update('\0');
  return `store ${JSON.stringify({ ...store, host: config.host, labels: config.labels, tls: store.tls && { ...store.tls, material: hash.digest('hex') } })}`;
}
