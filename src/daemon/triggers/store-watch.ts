import type { Etcd3 } from 'etcd3';
import type { Config, VipConfig } from '../../config/types.js';
import { readCache, writeCache } from '../../source/cache.js';
import { createEtcdClient } from '../../source/etcd-client.js';
import { PrefixWatch } from '../../source/etcd-watch.js';
import { DocumentBook, type HostDesired, type StoreView } from '../../source/host-desired.js';
import { agentVersion, type HostStatus } from '../../source/status-record.js';
import { StatusWriter } from '../../source/status-writer.js';
import { guardWipe } from '../../source/wipe.js';
import type { Logger } from '../log.js';
import type { DaemonStats } from '../stats.js';
import type { TriggerSource } from './trigger-source.js';

// How long `run` waits for the store before its first pass; then it goes on with the
// cache and keeps trying.
const FIRST_READ_WAIT_MS = 3000;

export interface StoreTarget {
  // The store's VIPs for this host changed: the daemon plans with them and runs a pass.
  setStoreVips(vips: VipConfig[], revision: number): void;
}

// The fleet's store as one more source of the daemon: it watches the prefix, turns
// each change into this host's desired VIPs (validated, wipe-guarded), caches them on
// disk, hands them to the daemon and asks for a pass; after each pass it writes the
// host's status back. It never removes anything itself: an unreachable store only
// means the last validated state stays in force.
export class StoreWatch implements TriggerSource {
  private client: Etcd3 | null = null;
  private watch: PrefixWatch | null = null;
  private status: StatusWriter | null = null;
  private readonly book: DocumentBook;
  private applied: VipConfig[] | null = null; // the store's VIPs in force (from the store or the cache)
  private appliedRevision = 0;
  private errors: string[] = [];
  private wipeHeld = false;
  private storeLostAt: string | null = null;
  private lastOutage: HostStatus['lastOutage'] = null;
  private lastStatusJson = '';
  private lastStats: DaemonStats | null = null;
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: Config,
    private readonly target: StoreTarget,
    private readonly logger: Logger,
  ) {
    const store = config.store!;
    this.book = new DocumentBook(store.prefix, config.host, config.labels);
  }

  // Before the first pass: the cache, then one read of the store (waited for a
  // little). Without either, `held` (what this host already holds from rs-agent)
  // stands in, so nothing is removed for want of an answer.
  async open(held: VipConfig[]): Promise<void> {
    const store = this.config.store!;
    const cached = readCache(store.cache, this.config.host, (message) =>
      this.logger.log('error', 'store-cache', message, { error: message }),
    );
    if (cached) {
      this.applied = cached.vips;
      this.appliedRevision = cached.revision;
      this.logger.log(
        'info',
        'store-cache',
        `cache ${store.cache}: ${cached.vips.length} VIPs of store revision ${cached.revision}`,
        { revision: cached.revision, vips: cached.vips.length },
      );
    } else if (held.length > 0) {
      this.applied = held;
      this.logger.log(
        'info',
        'store-cache',
        `no cache at ${store.cache}: keeping the ${held.length} VIPs rs-agent holds until the store answers`,
        { vips: held.length },
      );
    }
    this.target.setStoreVips(this.applied ?? [], this.appliedRevision);
    this.client = await createEtcdClient(store);
    this.status = new StatusWriter(this.client, store.prefix, store.statusTtlS, (message) =>
      this.logger.log('warning', 'status-write', message, { error: message }),
    );
    this.watch = new PrefixWatch(this.client, store.prefix, {
      view: (view, cause) => this.onView(view, cause),
      reachable: (up, message) => this.onReachable(up, message),
      resync: (message) => this.logger.log('warning', 'store-resync', message, { revision: this.watch?.revision ?? 0 }),
    });
    const first = this.watch.start();
    await Promise.race([first, new Promise((resolve) => setTimeout(resolve, FIRST_READ_WAIT_MS).unref())]);
  }

  start(): void {
    const ms = this.config.store!.heartbeatS * 1000;
    this.heartbeat = setInterval(() => this.writeStatus(true), ms);
  }

  stop(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    const client = this.client;
    void Promise.all([this.watch?.stop(), this.status?.stop()]).finally(() => client?.close());
  }

  // After every pass: the host's status, written when it changed.
  afterPass(stats: DaemonStats): void {
    this.lastStats = stats;
    this.writeStatus(false);
  }

  private onView(view: StoreView, cause: 'read' | 'watch'): void {
    const desired = this.book.resolve(view);
    this.report(desired);
    const decision = guardWipe(this.applied, desired.vips, desired.allowEmpty);
    if (decision.held !== this.wipeHeld) {
      this.wipeHeld = decision.held;
      if (decision.held) {
        this.logger.log(
          'error',
          'wipe-refused',
          `store revision ${desired.revision} would leave this host with no VIP; keeping the ${decision.vips.length} in force ` +
            `(put ${this.config.store!.prefix}allow-empty/${this.config.host} to allow it)`,
          { revision: desired.revision },
        );
      }
    }
    const changed = !sameVips(this.applied, decision.vips);
    // The revision of the newest document in force: the status compares it with the
    // store's (the store's own revision moves with every status write of the fleet).
    if (!decision.held) this.appliedRevision = desired.docRevision;
    if (changed || cause === 'read') {
      this.applied = decision.vips;
      try {
        writeCache(this.config.store!.cache, this.config.host, this.appliedRevision, decision.vips, desired.keys);
      } catch (error) {
        this.logger.log('error', 'store-cache', (error as Error).message, { error: (error as Error).message });
      }
    }
    if (changed) {
      this.logger.log(
        'info',
        'store-change',
        `store revision ${desired.revision}: ${decision.vips.length} VIPs for this host (${cause})`,
        { revision: desired.revision, vips: decision.vips.length, cause },
      );
      this.target.setStoreVips(decision.vips, this.appliedRevision);
    } else {
      this.writeStatus(false);
    }
  }

  // Refused documents are logged when they appear, not on every change.
  private report(desired: HostDesired): void {
    for (const message of desired.errors) {
      if (!this.errors.includes(message))
        this.logger.log('error', 'store-invalid', message, { revision: desired.revision, error: message });
    }
    this.errors = desired.errors;
  }

  private onReachable(up: boolean, message: string): void {
    if (up) {
      const since = this.storeLostAt;
      this.logger.log('info', 'store-up', `store reachable${since ? ` again (lost at ${since})` : ''}: ${message}`, {
        since,
      });
      if (since) this.lastOutage = { from: since, to: new Date().toISOString() };
      this.storeLostAt = null;
      this.status?.retry();
      this.writeStatus(true);
    } else {
      this.storeLostAt ??= new Date().toISOString();
      this.logger.log(
        'warning',
        'store-down',
        `store unreachable; keeping the last validated state (${this.applied?.length ?? 0} store VIPs): ${message}`,
        { error: message },
      );
    }
  }

  private writeStatus(force: boolean): void {
    const stats = this.lastStats;
    if (!this.status || !stats) return;
    const last = stats.last;
    const record: Omit<HostStatus, 'updatedAt'> = {
      host: this.config.host,
      labels: this.config.labels,
      version: agentVersion(),
      inSync: Boolean(last?.inSync) && this.errors.length === 0 && !this.wipeHeld,
      revision: this.appliedRevision,
      vips: this.applied?.length ?? 0,
      repairs: Object.values(stats.repairs).reduce((a, b) => a + b, 0),
      drift: stats.problems.length,
      held: stats.held.filter((h) => h.heldUntil !== null).map((h) => h.item),
      wipeHeld: this.wipeHeld,
      errors: [...this.errors, ...stats.problems],
      lastError: last?.error ?? null,
      lastOutage: this.lastOutage,
      heartbeatS: this.config.store!.heartbeatS,
    };
    const json = JSON.stringify(record);
    if (!force && json === this.lastStatusJson) return;
    this.lastStatusJson = json;
    this.status.write({ ...record, updatedAt: new Date().toISOString() });
  }
}

function sameVips(a: VipConfig[] | null, b: VipConfig[]): boolean {
  if (a === null || a.length !== b.length) return false;
  const key = (v: VipConfig) => `${v.address}/${v.mode}`;
  const set = new Set(a.map(key));
  return b.every((v) => set.has(key(v)));
}
