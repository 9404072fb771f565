import type { Config, StoreConfig, VipConfig } from '../../config/types.js';
import { readCache, writeCache } from '../../source/cache.js';
import { DocumentBook, type HostDesired, type StoreView } from '../../source/host-desired.js';
import { agentVersion, type HostStatus } from '../../source/status-record.js';
import { guardWipe } from '../../source/wipe.js';
import type { Lifecycle } from '../lifecycle.js';
import type { Logger } from '../log.js';
import type { DaemonStats } from '../stats.js';
import { storeKey, type ConnectStore, type StoreLink } from './store-link.js';
import type { TriggerContext, TriggerSource } from './trigger-source.js';

// How long the first pass waits for the store's first read; then it goes on with the
// cache and the store is read again in the background.
const FIRST_READ_WAIT_MS = 3000;

export interface StoreSeams {
  logger: Logger;
  // The VIPs rs-agent holds on this host now (its state file): what stands in when there
  // is neither a cache nor an answer from the store.
  recorded(): VipConfig[];
  connect: ConnectStore;
}

// The fleet's store, as a trigger source and a source of desired state: it watches the
// prefix, turns each change into this host's desired VIPs (validated, wipe-protected),
// caches them on disk, and asks for a pass when they change; every pass reads them
// (vips()). After each pass it writes the host's status record. It never removes
// anything itself: an unreachable store only means the last validated state stays.
export class StoreSource implements TriggerSource {
  readonly key: string;
  private state: Lifecycle = 'new';
  private ctx: TriggerContext | null = null;
  private link: StoreLink | null = null;
  private readonly store: StoreConfig;
  private readonly book: DocumentBook;
  private applied: VipConfig[] | null = null; // the store's VIPs in force (from the store or the cache)
  private appliedRevision = 0;
  private errors: string[] = [];
  private wipeHeld = false;
  private storeLostAt: string | null = null;
  private lastOutage: HostStatus['lastOutage'] = null;
  private lastStatusJson = '';
  private lastStats: DaemonStats | null = null;

  constructor(
    private readonly config: Config,
    private readonly seams: StoreSeams,
  ) {
    this.key = storeKey(config);
    this.store = config.store as StoreConfig;
    this.book = new DocumentBook(this.store.prefix, config.host, config.labels);
  }

  vips(): VipConfig[] {
    return this.applied ?? [];
  }

  // The cache, then one read of the store, waited for a little on the scheduler.
  // Without either, what this host already holds from rs-agent stands in, so nothing is
  // removed for want of an answer.
  async start(ctx: TriggerContext): Promise<void> {
    this.state = 'starting';
    this.ctx = ctx;
    this.loadCache();
    const link = await this.seams.connect(this.store, ctx.scheduler, (message) =>
      this.seams.logger.log('warning', 'status-write', message, { error: message }),
    );
    if (this.state !== 'starting') return link.close(); // stopped meanwhile
    this.link = link;
    ctx.scheduler.every('store-heartbeat', this.store.heartbeatS * 1000, () => this.writeStatus(true));
    const first = link.open({
      view: (view, cause) => this.onView(view, cause),
      reachable: (up, message) => this.onReachable(up, message),
      resync: (message) => this.seams.logger.log('warning', 'store-resync', message, { revision: link.revision }),
    });
    await Promise.race([first, ctx.scheduler.wait('store-first-read', FIRST_READ_WAIT_MS)]);
    ctx.scheduler.cancel('store-first-read');
    if (this.state === 'starting') this.state = 'running';
  }

  stop(): void {
    this.state = 'stopped';
    this.ctx?.scheduler.cancel('store-heartbeat');
    this.ctx?.scheduler.cancel('store-first-read');
    this.link?.close();
    this.link = null;
  }

  // After every pass: the host's status, written when it changed.
  afterPass(_result: unknown, stats: DaemonStats): void {
    this.lastStats = stats;
    this.writeStatus(false);
  }

  private loadCache(): void {
    const { logger } = this.seams;
    const cached = readCache(this.store.cache, this.config.host, (message) =>
      logger.log('error', 'store-cache', message, { error: message }),
    );
    if (cached) {
      this.applied = cached.vips;
      this.appliedRevision = cached.revision;
      logger.log(
        'info',
        'store-cache',
        `cache ${this.store.cache}: ${cached.vips.length} VIPs of store revision ${cached.revision}`,
        { revision: cached.revision, vips: cached.vips.length },
      );
      return;
    }
    const recorded = this.seams.recorded();
    if (recorded.length === 0) return;
    this.applied = recorded;
    logger.log(
      'info',
      'store-cache',
      `no cache at ${this.store.cache}: keeping the ${recorded.length} VIPs rs-agent holds until the store answers`,
      { vips: recorded.length },
    );
  }

  private onView(view: StoreView, cause: 'read' | 'watch'): void {
    if (this.state === 'stopped') return;
    const { logger } = this.seams;
    const desired = this.book.resolve(view);
    this.report(desired);
    const decision = guardWipe(this.applied, desired.vips, desired.allowEmpty);
    if (decision.held !== this.wipeHeld) {
      this.wipeHeld = decision.held;
      if (decision.held) {
        logger.log(
          'error',
          'wipe-refused',
          `store revision ${desired.revision} would leave this host with no VIP; keeping the ${decision.vips.length} in force ` +
            `(put ${this.store.prefix}allow-empty/${this.config.host} to allow it)`,
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
        writeCache(this.store.cache, this.config.host, this.appliedRevision, decision.vips, desired.keys);
      } catch (error) {
        logger.log('error', 'store-cache', (error as Error).message, { error: (error as Error).message });
      }
    }
    if (changed) {
      logger.log(
        'info',
        'store-change',
        `store revision ${desired.revision}: ${decision.vips.length} VIPs for this host (${cause})`,
        { revision: desired.revision, vips: decision.vips.length, cause },
      );
      // A deliberate change: applied in the next pass, whatever that pass finds held back.
      // The first read is before the first pass, which reads the VIPs anyway.
      if (this.state === 'running') this.ctx?.request('store', { urgent: true });
    } else {
      this.writeStatus(false);
    }
  }

  // Refused documents are logged when they appear, not on every change.
  private report(desired: HostDesired): void {
    for (const message of desired.errors) {
      if (!this.errors.includes(message))
        this.seams.logger.log('error', 'store-invalid', message, { revision: desired.revision, error: message });
    }
    this.errors = desired.errors;
  }

  private onReachable(up: boolean, message: string): void {
    const { logger } = this.seams;
    if (up) {
      const since = this.storeLostAt;
      logger.log('info', 'store-up', `store reachable${since ? ` again (lost at ${since})` : ''}: ${message}`, {
        since,
      });
      if (since) this.lastOutage = { from: since, to: new Date().toISOString() };
      this.storeLostAt = null;
      this.link?.retryStatus();
      this.writeStatus(true);
    } else {
      this.storeLostAt ??= new Date().toISOString();
      logger.log(
        'warning',
        'store-down',
        `store unreachable; keeping the last validated state (${this.applied?.length ?? 0} store VIPs): ${message}`,
        { error: message },
      );
    }
  }

  // The status record, a sink of the daemon's stats: written when it changed, and on
  // every heartbeat (force).
  private writeStatus(force: boolean): void {
    const stats = this.lastStats;
    if (!this.link || !stats) return;
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
      held: stats.held,
      wipeHeld: this.wipeHeld,
      errors: [...this.errors, ...stats.problems],
      lastError: last?.error ?? null,
      lastOutage: this.lastOutage,
      heartbeatS: this.store.heartbeatS,
    };
    const json = JSON.stringify(record);
    if (!force && json === this.lastStatusJson) return;
    this.lastStatusJson = json;
    this.link.writeStatus({ ...record, updatedAt: new Date().toISOString() });
  }
}

function sameVips(a: VipConfig[] | null, b: VipConfig[]): boolean {
  if (a === null || a.length !== b.length) return false;
  const key = (v: VipConfig) => `${v.address}/${v.mode}`;
  const set = new Set(a.map(key));
  return b.every((v) => set.has(key(v)));
}
