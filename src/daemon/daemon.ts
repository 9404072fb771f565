import { validate, type AgentOptions } from '../agent.js';
import type { Config } from '../config/types.js';
import { AgentError } from '../errors.js';
import type { DesiredState } from '../plan/plan.js';
import { compactWhenQuiet } from './compact.js';
import { FlapBackoff } from './flap-backoff.js';
import type { Lifecycle } from './lifecycle.js';
import type { Logger } from './log.js';
import { logPass } from './pass-log.js';
import { PassQueue } from './pass-queue.js';
import { exposureHeld, type PassResult } from './pass-result.js';
import { NftWatch } from './nft-watch.js';
import { runPass } from './pass.js';
import { longLivedPass, type PassAgent } from './ip-session.js';
import { requireRunnableSchedule } from './schedule.js';
import { Scheduler } from './scheduler.js';
import { Sinks, type MetricsSink } from './sinks.js';
import { foldReload, foldStats, foldStop, initialStats, type DaemonStats } from './stats.js';
import type { Trigger } from './trigger.js';
import type { TriggerContext, TriggerSource } from './triggers/trigger-source.js';

// Kernel events of one change arrive within microseconds of each other.
const DEBOUNCE_MS = 2;
// While the gate holds back an exposing change (the flap backoff holds a VIP), ordinary
// passes are spaced out: each would find it drifted again and change nothing. Urgent
// requests (protection, a backoff's end, a deliberate change) are not.
const SPACING_MS = 500;

export function loadDaemonConfig(agent: Pick<AgentOptions, 'configPath' | 'allowInsecureConfig'>): Config {
  const config = validate(agent);
  requireRunnableSchedule(config);
  return config;
}

export interface DaemonParts {
  agent: AgentOptions;
  logger: Logger;
  config: Config;
  // The trigger sources for a config, asked for at start and at every reload.
  sources(config: Config): TriggerSource[];
  // A pass failed in a way rs-agent does not expect (a bug): run.ts ends the process.
  onInternalError(error: unknown): void;
  scheduler?: Scheduler;
  longLived?: boolean; // passes lock, read and apply through long-lived children (ip-session.ts)
}

// rs-agent run, inside: a list of trigger sources → one queue → one pass at a time →
// the sinks (status file, metrics, and what each source does after a pass). Sources only
// ask for passes; a pass reads everything afresh. Signals and exit codes are run.ts's.
// What watching() found: the sources whose monitor had not joined, and whether passes
// (those the joins asked for among them) were still to run.
export interface Watching {
  notWatching: string[];
  passesPending: boolean;
}

export class Daemon {
  readonly scheduler: Scheduler;
  private state: Lifecycle = 'new';
  private config: Config;
  private stats: DaemonStats;
  private sources: TriggerSource[] = [];
  private readonly backoff: FlapBackoff;
  private readonly queue: PassQueue;
  private readonly sinks: Sinks;
  // What it knows of its nftables tables between passes: nft monitor keeps it current.
  private readonly nft: NftWatch;
  // Aborted on shutdown: a pass still waiting for the lock gives up at once.
  private readonly abort = new AbortController();
  // What the last pass wanted, and which of the changes it asked for did not apply: a
  // change is a repair only when the desired state has not moved (desired-moved.ts).
  private previous: DesiredState | null = null;
  private unfinished: ReadonlySet<string> = new Set();
  // What the last pass that ran observed: the metrics' traffic is sampled from it.
  private observed: MetricsSink['traffic'] = null;
  private reloads: Promise<void> = Promise.resolve();
  private started = false; // every source has started: their requests are taken
  private firstPassDone!: () => void;
  readonly firstPass = new Promise<void>((resolve) => (this.firstPassDone = resolve));
  private readonly ctx: TriggerContext;
  private readonly passAgent: PassAgent; // what a pass runs through, if not the agent's own

  constructor(private readonly parts: DaemonParts) {
    this.config = parts.config;
    this.scheduler = parts.scheduler ?? new Scheduler();
    this.nft = new NftWatch(this.scheduler.now);
    this.backoff = new FlapBackoff(parts.config.drift.flap, this.scheduler.now);
    this.stats = initialStats(process.pid, new Date(), parts.config.file);
    this.queue = new PassQueue((triggers) => this.pass(triggers), DEBOUNCE_MS, this.scheduler);
    this.sinks = new Sinks(parts.logger);
    this.passAgent = parts.longLived ? longLivedPass(parts.agent) : { agent: {}, close: () => {} };
    this.ctx = {
      request: (trigger, options) => {
        if (this.state === 'running' && this.started) this.queue.request(trigger, options);
      },
      scheduler: this.scheduler,
      nft: this.nft,
    };
  }

  get currentConfig(): Config {
    return this.config;
  }

  get currentStats(): DaemonStats {
    return this.stats;
  }

  get lifecycle(): Lifecycle {
    return this.state;
  }

  // Starts every source (the kernel's event monitors among them, so nothing that
  // changes during the first pass goes unseen), then asks for the first pass. What a
  // source asks for while the sources start (a monitor that has joined, while the store
  // waits for its first read) that first pass does: it has not begun to read yet.
  async start(): Promise<void> {
    this.state = 'running';
    this.sources = this.parts.sources(this.config);
    await Promise.all(this.sources.map((s) => s.start(this.ctx)));
    this.started = true;
    this.ctx.request('start', { urgent: true });
  }

  // SIGHUP: the file is read again, and with it `source:`, `host` and `labels`. A config
  // that does not validate is rejected and the one in force stays. A source whose setup
  // changed (the sysctl interval, the schedule, the store's endpoints, prefix, TLS
  // material, host or labels) is restarted; one the config no longer asks for is stopped.
  reload(): Promise<void> {
    this.reloads = this.reloads.then(() => this.reloadNow());
    return this.reloads;
  }

  private async reloadNow(): Promise<void> {
    if (this.state !== 'running') return;
    const { logger } = this.parts;
    let next: Config;
    let wanted: TriggerSource[];
    try {
      next = loadDaemonConfig(this.parts.agent);
      wanted = this.parts.sources(next);
    } catch (error) {
      if (!(error instanceof AgentError)) throw error;
      this.stats = foldReload(this.stats, false, this.config.file);
      logger.log('error', 'reload-rejected', `SIGHUP: new config rejected, the one in force stays: ${error.message}`, {
        error: error.message,
      });
      this.publish();
      return;
    }
    const running = new Map(this.sources.map((s) => [s.key, s]));
    const started = wanted.filter((s) => !running.has(s.key));
    const keys = new Set(wanted.map((s) => s.key));
    const stopped = this.sources.filter((s) => !keys.has(s.key));
    for (const source of stopped) source.stop();
    this.sources = wanted.map((s) => running.get(s.key) ?? s);
    this.config = next;
    this.backoff.configure(next.drift.flap);
    this.stats = foldReload(this.stats, true, next.file);
    const names = (list: TriggerSource[]) => list.map((s) => s.key.split(' ')[0]).join(' ');
    const moved = [
      started.length > 0 ? `started ${names(started)}` : '',
      stopped.length ? `stopped ${names(stopped)}` : '',
    ];
    const said = moved.filter(Boolean).join(', ');
    logger.log(
      'info',
      'reloaded',
      `SIGHUP: config ${next.file} reloaded: ${next.vips.length} VIPs${said ? `; ${said}` : ''}`,
      {
        vips: next.vips.length,
        started: names(started) || null,
        stopped: names(stopped) || null,
      },
    );
    await Promise.all(started.map((s) => this.startAfterReload(s)));
    this.ctx.request('reload', { urgent: true });
  }

  // A source that cannot start after a reload (the store's client failing to load) is
  // said, and the others go on; what it would have asked for, the schedule still finds.
  private async startAfterReload(source: TriggerSource): Promise<void> {
    try {
      await source.start(this.ctx);
    } catch (error) {
      if (!(error instanceof AgentError)) throw error;
      const name = source.key.split(' ')[0];
      this.parts.logger.log('error', 'source-failed', `SIGHUP: ${name} could not start: ${error.message}`, {
        source: name,
        error: error.message,
      });
    }
  }

  // Stops every source and timer, cancels a pass waiting for the lock, and waits up
  // to waitMs for a pass under way (one that holds the lock is changing the host:
  // it is let finish).
  async stop(waitMs: number): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.state = 'stopping';
    this.abort.abort();
    for (const source of this.sources) source.stop();
    await Promise.race([this.queue.close(), this.scheduler.wait('shutdown-wait', waitMs)]);
    this.scheduler.close();
    this.passAgent.close();
    this.stats = foldStop(this.stats, new Date());
    this.publish();
    this.state = 'stopped';
    this.firstPassDone();
  }

  // Resolves once every source that watches the kernel is watching (its monitor child has
  // joined the kernel's events) and the passes asked for meanwhile have run, or after
  // waitMs (null: no bound): the keys of the sources not watching yet, and whether passes
  // were still to run. What changes after it resolves with neither reaches a monitor; what
  // changed before, a pass has read.
  async watching(waitMs: number | null): Promise<Watching> {
    const waiting = new Set<string>();
    const joins = this.sources.flatMap((source) => {
      if (!source.watching) return [];
      waiting.add(source.key);
      return [source.watching().then(() => waiting.delete(source.key))];
    });
    const bound = waitMs === null ? new Promise<void>(() => {}) : this.scheduler.wait('watching-wait', waitMs);
    let quiet = false;
    await Promise.race([Promise.all(joins), bound]);
    await Promise.race([this.queue.quiet().then(() => (quiet = true)), bound]);
    if (waitMs !== null) this.scheduler.cancel('watching-wait');
    return { notWatching: [...waiting], passesPending: !quiet };
  }

  // Resolves when no pass runs (tests drive the daemon with fake timers in between).
  settled(): Promise<void> {
    return this.queue.idle();
  }

  private async pass(triggers: Set<Trigger>): Promise<void> {
    const before = this.stats;
    let result: PassResult;
    this.nft.beforePass(triggers, Boolean(this.config.metrics.file));
    try {
      result = await runPass({
        agent: { ...this.parts.agent, ...this.passAgent.agent, lockSignal: this.abort.signal, nftWatch: this.nft },
        config: this.desiredConfig(),
        backoff: this.backoff,
        previous: this.previous,
        unfinished: this.unfinished,
        triggers,
        now: this.scheduler.now,
      });
    } catch (error) {
      this.parts.onInternalError(error);
      return;
    }
    if (result.reconcile) {
      this.previous = result.reconcile.snapshot.desired;
      this.unfinished = new Set(result.unfinished);
      this.observed = result.reconcile.snapshot;
    }
    for (const r of result.ran) if (r.change.kind === 'nft') this.nft.changed(r.change.table);
    logPass(this.parts.logger, result, before, this.config);
    // Folded into the stats as they are now: a reload or a stop may have come meanwhile.
    this.stats = foldStats(this.stats, result);
    if (this.state === 'running') {
      if (exposureHeld(result)) this.queue.spaceOut(SPACING_MS);
      if (result.released.length > 0) this.queue.request('backoff', { urgent: true });
      for (const source of this.sources) source.afterPass?.(result, this.stats);
    }
    this.publish();
    this.firstPassDone();
    if (this.state === 'running') compactWhenQuiet(this.scheduler);
  }

  // The file's config with the VIPs of its sources of desired state (the store) added;
  // the file's own entry wins.
  private desiredConfig(): Config {
    const added = this.sources.flatMap((s) => s.vips?.() ?? []);
    const unknown = this.desiredUnknown();
    if (added.length === 0 && !unknown) return this.config;
    const local = new Set(this.config.vips.map((v) => v.address));
    return {
      ...this.config,
      vips: [...this.config.vips, ...added.filter((v) => !local.has(v.address))],
      ...(unknown ? { storeUnknown: unknown } : {}),
    };
  }

  // Why a source's desired state is unknown (the store unanswered, no cache), or null.
  desiredUnknown(): string | null {
    return this.sources.map((s) => s.unknown?.() ?? null).find((u) => u !== null) ?? null;
  }

  private publish(): void {
    const metrics = { file: this.config.metrics.file, traffic: this.observed, drainFile: this.config.drain.file };
    this.sinks.write(this.parts.agent.stateDir, metrics, this.stats);
  }
}
