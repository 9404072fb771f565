import { validate, type AgentOptions } from '../agent.js';
import type { Config, VipConfig } from '../config/types.js';
import { AgentError } from '../errors.js';
import { readableStack } from '../system/stack.js';
import { FlapBackoff } from './flap-backoff.js';
import type { Logger } from './log.js';
import { writeMetrics } from './metrics.js';
import { PassQueue } from './pass-queue.js';
import { runPass } from './pass.js';
import { Scheduler } from './scheduler.js';
import { backoffRelease } from './triggers/backoff-release.js';
import { cronSchedule } from './triggers/cron.js';
import { kernelEvents } from './triggers/kernel-events.js';
import { listenerReread } from './triggers/listener-reread.js';
import { nftEvents } from './triggers/nft-events.js';
import type { TriggerSource } from './triggers/trigger-source.js';
import type { StoreWatch } from './triggers/store-watch.js';
import { sysctlReread } from './triggers/sysctl-reread.js';
import { writeDaemonStatus } from './status-file.js';
import { initialStats, type DaemonStats, type Trigger } from './stats.js';

// Kernel events of one change arrive within microseconds of each other.
const DEBOUNCE_MS = 2;
// While the flap backoff holds items back, passes are spaced out: each would find the
// held items drifted again and change nothing.
const HELD_GAP_MS = 500;

export function loadDaemonConfig(agent: Pick<AgentOptions, 'configPath' | 'allowInsecureConfig'>): Config {
  return validate(agent);
}

// The daemon's moving parts: one scheduler (every timer), one queue (every pass),
// and the event sources that feed it. Sources only enqueue; the queue runs one pass
// at a time; a pass reads everything afresh. Signals and exit codes are run.ts's.
export class Daemon {
  readonly scheduler: Scheduler;
  readonly stats: DaemonStats;
  readonly guard: FlapBackoff;
  private readonly queue: PassQueue;
  private readonly kernel: TriggerSource;
  private readonly nft: TriggerSource;
  private readonly sysctls;
  private readonly listeners;
  private readonly cron: TriggerSource;
  private readonly release;
  // Aborted on shutdown: a pass still waiting for the lock gives up at once.
  private readonly abort = new AbortController();
  private readonly publishErrors = new Set<string>();
  private timersRunning = false;
  private started = false;
  // A fleet's store (triggers/store-watch.ts): its VIPs for this host join the file's.
  private store: StoreWatch | null = null;
  private storeVips: VipConfig[] = [];
  private stopping = false;
  private firstPassDone!: () => void;
  readonly firstPass = new Promise<void>((resolve) => (this.firstPassDone = resolve));

  constructor(
    private readonly agent: AgentOptions,
    private readonly logger: Logger,
    private config: Config,
    scheduler = new Scheduler(),
  ) {
    this.scheduler = scheduler;
    this.guard = new FlapBackoff(config.drift.flap, scheduler.now);
    this.stats = initialStats(process.pid, new Date(), config.source);
    this.queue = new PassQueue((triggers) => this.pass(triggers), DEBOUNCE_MS, scheduler);
    this.kernel = kernelEvents(this.queue, scheduler, logger);
    this.nft = nftEvents(this.queue, scheduler, logger);
    this.sysctls = sysctlReread(this.queue, scheduler, agent.sysctlFs, () => this.config.drift.sysctlIntervalMs);
    this.listeners = listenerReread(this.queue, scheduler);
    this.cron = cronSchedule(this.queue, () => this.config.drift.schedule);
    this.release = backoffRelease(this.queue, scheduler, this.guard);
  }

  get currentConfig(): Config {
    return this.config;
  }

  // The kernel watch first, so nothing that changes during the first pass goes unseen.
  start(): void {
    this.started = true;
    this.kernel.start();
    this.nft.start();
    this.release.start();
    this.queue.request('start');
  }

  // After the first pass: the periodic sources.
  startTimers(): void {
    this.timersRunning = true;
    this.sysctls.start();
    this.listeners.start();
    this.cron.start();
    this.store?.start();
  }

  attachStore(store: StoreWatch): void {
    this.store = store;
  }

  // The store's VIPs for this host (already validated and wipe-guarded).
  setStoreVips(vips: VipConfig[]): void {
    this.storeVips = vips;
    if (this.started && !this.stopping) this.queue.request('store');
  }

  // The file's config with the store's VIPs added (the file's own entry wins).
  private desiredConfig(): Config {
    if (this.storeVips.length === 0) return this.config;
    const local = new Set(this.config.vips.map((v) => v.address));
    return { ...this.config, vips: [...this.config.vips, ...this.storeVips.filter((v) => !local.has(v.address))] };
  }

  // SIGHUP: a config that does not validate is rejected and the one in force stays.
  reload(): void {
    if (this.stopping) return;
    let next: Config;
    try {
      next = loadDaemonConfig(this.agent);
    } catch (error) {
      if (!(error instanceof AgentError)) throw error;
      this.stats.reloads.rejected += 1;
      this.logger.log(
        'error',
        'reload-rejected',
        `SIGHUP: new config rejected, the one in force stays: ${error.message}`,
        { error: error.message },
      );
      this.publish();
      return;
    }
    this.config = next;
    this.guard.configure(next.drift.flap);
    if (this.timersRunning) {
      // The interval and the schedule may have changed.
      this.sysctls.stop();
      this.cron.stop();
      this.sysctls.start();
      this.cron.start();
    }
    this.stats.reloads.applied += 1;
    this.logger.log('info', 'reloaded', `SIGHUP: config ${next.source} reloaded: ${next.vips.length} VIPs`, {
      vips: next.vips.length,
    });
    this.queue.request('reload');
  }

  // Stops every source and timer, cancels a pass waiting for the lock, and waits up
  // to waitMs for a pass under way (one that holds the lock is changing the host:
  // it is let finish).
  async stop(waitMs: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.abort.abort();
    for (const source of [this.kernel, this.nft, this.sysctls, this.listeners, this.cron, this.release]) source.stop();
    this.store?.stop();
    await Promise.race([this.queue.close(), new Promise((resolve) => setTimeout(resolve, waitMs).unref())]);
    this.scheduler.close();
    this.firstPassDone();
    this.stats.running = false;
    this.stats.stoppedAt = new Date().toISOString();
    this.publish();
  }

  private async pass(triggers: Set<Trigger>): Promise<void> {
    const startedAt = this.scheduler.now();
    let report;
    try {
      report = await runPass(
        { ...this.agent, lockSignal: this.abort.signal },
        this.desiredConfig(),
        this.guard,
        this.stats,
        this.logger,
        triggers,
        this.scheduler.now,
      );
    } catch (error) {
      this.logger.log('error', 'internal-error', `internal error (please report): ${readableStack(error)}`);
      process.exit(70);
    }
    if (report) {
      this.sysctls.rebase(report.sysctlPaths);
      this.listeners.rebase(report.listeners);
      if (report.held > 0) this.queue.holdOff(HELD_GAP_MS);
    }
    this.release.arm(startedAt);
    this.publish();
    this.store?.afterPass(this.stats);
    this.firstPassDone();
  }

  // The status file for `rs-agent status`, and the metrics file if configured. A
  // failed write is logged once per cause, not once per pass.
  publish(): void {
    this.stats.config = this.config.source;
    const writes: [string, () => void][] = [['status', () => writeDaemonStatus(this.agent.stateDir, this.stats)]];
    const metricsFile = this.config.metrics.file;
    if (metricsFile) writes.push([`metrics ${metricsFile}`, () => writeMetrics(metricsFile, this.stats)]);
    for (const [what, write] of writes) {
      try {
        write();
        this.publishErrors.delete(what);
      } catch (error) {
        if (!(error instanceof AgentError)) throw error;
        if (!this.publishErrors.has(what))
          this.logger.log('error', 'write-failed', error.message, { error: error.message });
        this.publishErrors.add(what);
      }
    }
  }
}
