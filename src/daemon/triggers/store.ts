import type { Config, StoreConfig, VipConfig } from '../../config/types.js';
import { readCache, writeCache } from '../../store/cache.js';
import { drainErrors, fleetDrainFor } from '../../store/drain-keys.js';
import { DocumentBook, type HostDesired, type StoreView } from '../../store/host-desired.js';
import { agentInstance, type HostStatus } from '../../store/status-record.js';
import { agentVersion } from '../../system/version.js';
import { checkWipe, sameVips } from '../../store/wipe.js';
import type { Lifecycle } from '../lifecycle.js';
import type { Logger } from '../log.js';
import type { DaemonStats } from '../stats.js';
import type { VipTraffic } from '../../traffic/sample.js';
import { FleetDrain, statusDrainFields } from './fleet-drain.js';
import { storeKey, type ConnectStore, type StoreLink } from './store-link.js';
import type { TriggerContext, TriggerSource } from './trigger-source.js';

// How long the first pass waits for the store's first read; then it goes on with the
// cache and the store is read again in the background.
const FIRST_READ_WAIT_MS = 3000;
const DUPLICATE_CLEAR = 'store-duplicate-clear';

export interface StoreSeams {
  logger: Logger;
  // The VIPs rs-agent holds on this host now (its state file): what stands in when there
  // is neither a cache nor an answer from the store.
  recorded(): VipConfig[];
  connect: ConnectStore;
  sample(vips: string[]): Promise<VipTraffic>; // the VIPs' connections, for the store's drain
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
  private known = false; // a cache was read, or the store answered: the desired state is known
  private lastFailure = 'the store has not answered yet';
  private duplicate: string | null = null; // another agent writing this host's status
  private drain: FleetDrain | null = null; // the store's drain/<host> key

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

  // Every VIP of this host, the file's and the store's: what the store's drain waits on.
  private allVips(): string[] {
    return [...new Set([...this.config.vips, ...this.vips()].map((v) => v.address))];
  }

  // Why the desired state is unknown: the store has not answered and there was no cache.
  unknown(): string | null {
    if (this.known) return null;
    return `desired state unknown: ${this.lastFailure}, and no cache at ${this.store.cache}; keeping the ${this.applied?.length ?? 0} store VIPs rs-agent holds`;
  }

  // The cache, then one read of the store, waited for a little on the scheduler.
  // Without either, what this host already holds from rs-agent stands in, so nothing is
  // removed for want of an answer.
  async start(ctx: TriggerContext): Promise<void> {
    this.state = 'starting';
    this.ctx = ctx;
    this.loadCache();
    const link = await this.seams.connect(
      this.store,
      ctx.scheduler,
      (message) => this.seams.logger.log('warning', 'status-write', message, { error: message }),
      (other) => this.onDuplicate(other),
    );
    if (this.state !== 'starting') return link.close(); // stopped meanwhile
    this.link = link;
    this.drain = new FleetDrain(this.config, this.store.prefix, {
      logger: this.seams.logger,
      scheduler: ctx.scheduler,
      sample: () => this.seams.sample(this.allVips()),
      changed: () => this.writeStatus(false),
      slots: (onLost) => link.slots(onLost),
    });
    ctx.scheduler.every('store-heartbeat', this.store.heartbeatS * 1000, () => this.writeStatus(true));
    const first = link.open({
      view: (view, cause) => this.onView(view, cause),
      reachable: (up, message, refused) => this.onReachable(up, message, refused ?? false),
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
    this.ctx?.scheduler.cancel(DUPLICATE_CLEAR);
    this.drain?.stop();
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
      this.known = true;
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
    const wasUnknown = !this.known;
    this.known = true;
    const drain = fleetDrainFor(this.store.prefix, this.config.host, desired.groups, view);
    desired.errors.push(...drainErrors(drain));
    this.report(desired);
    this.drain?.update(drain, desired.groups, view);
    const decision = checkWipe(this.applied, desired.vips, desired.allowEmpty);
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
    // Known at last: a pass that reported it unknown (another source's, before this read) is redone.
    if (wasUnknown && !changed) this.ctx?.request('store', { urgent: true });
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

  // Two agents with one host name write one status key and would each hide the other: both
  // log it (once per other agent), and the status says so until the other has written
  // nothing for three heartbeats.
  private onDuplicate(other: string | null): void {
    const key = `${this.store.prefix}status/${this.config.host}`;
    if (other)
      this.ctx?.scheduler.after(DUPLICATE_CLEAR, 3 * this.store.heartbeatS * 1000, () => this.onDuplicate(null));
    if (other === this.duplicate) return;
    this.duplicate = other;
    if (other)
      this.seams.logger.log(
        'error',
        'duplicate-host',
        `another agent (instance ${other}) writes ${key} too: two hosts are named ${this.config.host}; give each its own host: (this agent is instance ${agentInstance()})`,
        { instance: agentInstance(), other },
      );
    else
      this.seams.logger.log('info', 'duplicate-host', `no other agent has written ${key} for three heartbeats`, {
        instance: agentInstance(),
      });
    this.writeStatus(true);
  }

  // Refused documents are logged when they appear, not on every change.
  private report(desired: HostDesired): void {
    for (const message of desired.errors) {
      if (!this.errors.includes(message))
        this.seams.logger.log('error', 'store-invalid', message, { revision: desired.revision, error: message });
    }
    this.errors = desired.errors;
  }

  private onReachable(up: boolean, message: string, refused: boolean): void {
    const { logger } = this.seams;
    if (up) {
      const since = this.storeLostAt;
      logger.log('info', 'store-up', `store reachable${since ? ` again (lost at ${since})` : ''}: ${message}`, {
        since,
      });
      if (since) this.lastOutage = { from: since, to: new Date().toISOString() };
      this.storeLostAt = null;
      this.link?.retryStatus();
      this.drain?.retry();
      this.writeStatus(true);
    } else {
      this.storeLostAt ??= new Date().toISOString();
      const endpoints = this.store.endpoints.join(',');
      this.lastFailure = refused
        ? `store ${endpoints}: cannot read ${this.store.prefix}: ${message}`
        : `store ${endpoints} unreachable (${message})`;
      // A refusal waits for someone to fix it: an error, not an outage.
      logger.log(
        refused ? 'error' : 'warning',
        refused ? 'store-refused' : 'store-down',
        `${this.lastFailure}; keeping the last validated state (${this.applied?.length ?? 0} store VIPs)`,
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
      inSync: Boolean(last?.inSync) && this.errors.length === 0 && !this.wipeHeld && !this.duplicate,
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
      instance: agentInstance(),
      duplicate: this.duplicate,
      ...statusDrainFields(this.config.drain.file, this.drain?.refusal() ?? null, this.allVips()),
    };
    const json = JSON.stringify(record);
    if (!force && json === this.lastStatusJson) return;
    this.lastStatusJson = json;
    this.link.writeStatus({ ...record, updatedAt: new Date().toISOString() });
  }
}
