import type { Config, StoreConfig } from '../../config/types.js';
import type { Timers, WatchEvents } from '../../store/etcd-watch.js';
import type { BudgetOfGroup, SlotOutcome } from '../../store/drain-slots.js';
import type { HostStatus } from '../../store/status-record.js';

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
  // The slots of the fleet's drain budgets (drain-slots.ts); onLost: their lease is gone.
  slots(onLost: () => void): SlotLink;
  close(): void;
}

// What a drain budget's slots are to the agent: held in one transaction, given back.
export interface SlotLink {
  take(host: string, budgets: readonly BudgetOfGroup[]): Promise<SlotOutcome>;
  release(): Promise<void>;
}

// duplicate: another agent's id found under this host's status key.
export type ConnectStore = (
  store: StoreConfig,
  timers: Timers,
  warn: (message: string) => void,
  duplicate?: (other: string) => void,
) => Promise<StoreLink>;

// What the store source depends on, as one comparable string: a reload that changes any
// of it (endpoints, prefix, TLS and auth files or their contents, cache, lease and
// heartbeat, host, labels) restarts the source. The files were read when the config
// loaded (one that cannot be read rejected the reload, naming the key): their contents
// count by digest.
export function storeKey(config: Config): string {
  const store = config.store as StoreConfig;
  const { credentials, ...rest } = store;
  return `store ${JSON.stringify({ ...rest, host: config.host, labels: config.labels, material: credentials?.fingerprint() ?? null })}`;
}
