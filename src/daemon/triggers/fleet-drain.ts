import { markDrained, readDrain, readRecord, removeDrain, setDrain, storeDrainPath } from '../../drain/record.js';
import { QuietTracker } from '../../drain/wait.js';
import { AgentError } from '../../errors.js';
import { drainActiveKey } from '../../store/layout.js';
import { describeStoreError } from '../../store/store-error.js';
import type { FleetDrainWanted } from '../../store/drain-keys.js';
import type { BudgetOfGroup } from '../../store/drain-slots.js';
import type { StoreView } from '../../store/host-desired.js';
import type { HostStatus } from '../../store/status-record.js';
import { readConnections } from '../../traffic/tcp-connections.js';
import { readProcFile, type VipTraffic } from '../../traffic/sample.js';
import type { Config } from '../../config/types.js';
import type { Logger } from '../log.js';
import type { Scheduler } from '../scheduler.js';
import type { SlotLink } from './store-link.js';

// The store's drain/<host> key, followed by `rs-agent run`: while the key is there (and
// a slot of every budget of the host's groups is held) the store's drain record is set
// beside the operator's, so the health endpoint answers 503 and the VIPs stay; once no
// connection to a VIP is left and none has arrived for drain.quiet, it is marked drained.
// The key deleted (or refused), the record and the slots go. The operator's own drain is
// never touched: the host is drained while either asks for it.

export interface FleetDrainSeams {
  logger: Logger;
  scheduler: Scheduler;
  sample(): Promise<VipTraffic>;
  changed(): void; // the status record has something new to say
  slots(onLost: () => void): SlotLink;
}

const WAIT = 'fleet-drain-wait';
const SAMPLE_MS = 1000;

export class FleetDrain {
  private wanted: FleetDrainWanted | null = null;
  private budgets: BudgetOfGroup[] = [];
  private held: { groups: string[]; revision: number } | null = null;
  private refused: string | null = null;
  private busy = false;
  private again = false;
  private stopped = false;
  private sampling = false;
  private readonly slots: SlotLink;
  private readonly host: string;
  private readonly file: string; // the store's drain record, beside drain.file
  private readonly quietMs: number;

  constructor(
    config: Pick<Config, 'host' | 'drain'>,
    private readonly prefix: string,
    private readonly seams: FleetDrainSeams,
  ) {
    this.host = config.host;
    this.file = storeDrainPath(config.drain.file);
    this.quietMs = config.drain.quietMs;
    this.slots = seams.slots(() => {
      this.held = null;
      this.kick();
    });
  }

  // Why the store's drain is not in force, for the status record: "drain refused: ...".
  refusal(): string | null {
    return this.refused;
  }

  // Each new view of the store. groups: the host's groups with their selectors.
  update(
    wanted: FleetDrainWanted,
    groups: readonly { name: string; selector: Record<string, string> }[],
    view: StoreView,
  ) {
    this.wanted = wanted;
    const selectors = new Map(groups.map((g) => [g.name, g.selector]));
    this.budgets = wanted.budgets.map((b) => ({ ...b, selector: selectors.get(b.group) ?? {} }));
    // A slot key deleted behind this agent's back (etcdctl del) is a slot no longer held.
    const held = this.held;
    if (
      held &&
      view.revision >= held.revision &&
      held.groups.some((g) => !view.entries.has(drainActiveKey(this.prefix, g, this.host)))
    )
      this.held = null;
    this.kick();
  }

  // The store answers again: a refused drain tries once more.
  retry(): void {
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    this.seams.scheduler.cancel(WAIT);
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    void this.settle().finally(() => {
      this.busy = false;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async settle(): Promise<void> {
    const w = this.wanted;
    try {
      if (!w?.drain || 'problem' in w.drain) return await this.lift(null);
      if (w.refusedGroups.length > 0)
        return await this.lift(`drain refused: the budget of group ${w.refusedGroups.join(', ')} is not valid`);
      const groups = this.budgets.map((b) => b.group);
      if (this.budgets.length === 0) {
        if (this.held) await this.release();
      } else if (this.held?.groups.join('/') !== groups.join('/')) {
        if (this.held) await this.release();
        const outcome = await this.slots.take(this.host, this.budgets);
        if (!outcome.held) return await this.lift(outcome.refused);
        this.held = { groups, revision: outcome.revision };
      }
      this.set(w.drain.reason);
    } catch (error) {
      // A drain record that cannot be written (its directory), or a store that did not answer
      // the slot's transaction: as it was, tried again with the next view.
      const why = error instanceof AgentError ? error.message : `no slot: ${describeStoreError(error).text}`;
      this.say(`drain refused: ${why}`);
    }
  }

  private set(reason: string | null): void {
    const file = this.file;
    if (readRecord(file) === null) {
      const record = setDrain(file, 'store', new Date(), reason ?? undefined);
      this.seams.logger.log('info', 'fleet-drain', `draining: the store's key ${this.key()} asks for it`, {
        since: record.since,
        ...(reason ? { reason } : {}),
      });
    }
    this.say(null);
    this.waitDrained();
  }

  // The store's drain off (refused: why it could not be in force), its slots given back.
  private async lift(refused: string | null): Promise<void> {
    this.seams.scheduler.cancel(WAIT);
    if (this.held) await this.release();
    const file = this.file;
    if (readRecord(file) !== null) {
      removeDrain(file);
      this.seams.logger.log(
        'info',
        'fleet-drain',
        `undrained by the store: ${this.key()} ${refused ? 'refused' : 'gone'}`,
      );
    }
    this.say(refused);
  }

  private async release(): Promise<void> {
    this.held = null;
    await this.slots.release();
  }

  // Logged once per new refusal; the status record says it for as long as it lasts.
  private say(refused: string | null): void {
    if (refused === this.refused) return;
    this.refused = refused;
    if (refused)
      this.seams.logger.log('warning', 'drain-refused', `${refused}; ${this.key()} waits for a slot`, {
        error: refused,
      });
    this.seams.changed();
  }

  // Until no connection is left and none arrived for drain.quiet, as `rs-agent drain` waits.
  private waitDrained(): void {
    const file = this.file;
    const { scheduler } = this.seams;
    if (scheduler.has(WAIT) || readDrain(file)?.state !== 'draining') return;
    const tracker = new QuietTracker(this.quietMs, scheduler.now());
    scheduler.every(WAIT, SAMPLE_MS, () => {
      if (this.sampling) return;
      this.sampling = true;
      void this.seams
        .sample()
        .then((sample) => {
          const record = readRecord(file);
          if (this.stopped || record === null || 'problem' in record) return scheduler.cancel(WAIT);
          if (!tracker.update(sample, scheduler.now()).done) return;
          scheduler.cancel(WAIT);
          markDrained(file, record);
          this.seams.logger.log('info', 'fleet-drain', `drained: no connection to a VIP left (${this.key()})`);
          this.seams.changed();
        })
        .catch((error: unknown) =>
          this.seams.logger.log('error', 'fleet-drain', `drain wait: ${(error as Error).message}`),
        )
        .finally(() => (this.sampling = false));
    });
  }

  private key(): string {
    return `${this.prefix}drain/${this.host}`;
  }
}

// What the status record says of the drain: as the health endpoint sees it (the operator's
// drain or the store's), why the store's is refused, and the connections open to the VIPs.
export function statusDrainFields(
  drainFile: string,
  refused: string | null,
  vips: readonly string[],
): Pick<HostStatus, 'drain' | 'drainRefused' | 'connections'> {
  let connections = 0;
  for (const n of readConnections(new Set(vips), readProcFile).values()) connections += n;
  return { drain: readDrain(drainFile)?.state ?? 'pooled', drainRefused: refused, connections };
}
