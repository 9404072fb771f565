import { setTimeout as sleep } from 'node:timers/promises';
import { validate, type AgentOptions } from '../agent.js';
import type { Config } from '../config/types.js';
import { AgentError } from '../errors.js';
import { becomeGuardian } from '../state/guardian.js';
import { requireNetAdmin } from '../system/privileges.js';
import { FlapGuard } from './flap-guard.js';
import type { Logger } from './log.js';
import { renderMetrics, writeFileAtomic } from './metrics.js';
import { notifyReady } from './notify.js';
import { PassQueue } from './pass-queue.js';
import { runPass } from './pass.js';
import { startSchedule, validateSchedule, type Schedule } from './schedule.js';
import { writeDaemonStatus } from './status-file.js';
import { initialStats, type Trigger } from './stats.js';
import { startSysctlWatch, type SysctlWatch } from './sysctl-watch.js';
import { startWatch, type Watch } from './watch.js';

// Kernel events of one change arrive within microseconds of each other.
const DEBOUNCE_MS = 2;
// While the flap guard holds items back, passes are spaced out: each would find the
// held items drifted again and change nothing.
const HELD_GAP_MS = 500;
const WATCH_RESTART_MS = 1000;
// SIGTERM waits this long for a pass under way (a pass takes milliseconds; only one
// waiting for the lock can take longer, and it has changed nothing yet).
const SHUTDOWN_WAIT_MS = 2000;

export interface DaemonOptions {
  agent: AgentOptions;
  logger: Logger;
}

// Reads and fully checks the config (including the cron fields).
export function loadDaemonConfig(agent: Pick<AgentOptions, 'configPath' | 'allowInsecureConfig'>): Config {
  const config = validate(agent);
  validateSchedule(config);
  return config;
}

// `rs-agent run`: converges, tells systemd it is ready, then repairs drift as the
// kernel reports it, as the sysctl re-reads find it, and on the schedule. Resolves
// with the exit status: 0 after SIGTERM/SIGINT, 1 when the first convergence could
// not run. VIPs stay in place when it exits: their lifecycle is start/stop's.
export async function runDaemon(opts: DaemonOptions): Promise<number> {
  let config = loadDaemonConfig(opts.agent);
  if (!opts.agent.skipPrivilegeCheck) requireNetAdmin('run');
  await becomeGuardian(opts.agent.stateDir); // one daemon per state dir, held until exit
  const { agent, logger } = opts;
  const guard = new FlapGuard(config.drift.flap, Date.now);
  const stats = initialStats(process.pid, new Date(), config.source);
  let watch: Watch | null = null;
  let sysctlWatch: SysctlWatch | null = null;
  let schedule: Schedule | null = null;
  let releaseTimer: NodeJS.Timeout | null = null;
  let restartTimer: NodeJS.Timeout | null = null;
  let stopping = false;
  let lastSysctlPaths: string[] = [];
  const publishErrors = new Set<string>();
  let firstPassDone!: () => void;
  const firstPass = new Promise<void>((resolve) => (firstPassDone = resolve));

  const publish = () => {
    stats.config = config.source;
    const writes: [string, () => void][] = [['status', () => writeDaemonStatus(agent.stateDir, stats)]];
    const metricsFile = config.metrics.file;
    if (metricsFile) writes.push([`metrics ${metricsFile}`, () => writeFileAtomic(metricsFile, renderMetrics(stats))]);
    for (const [what, write] of writes) {
      try {
        write();
        publishErrors.delete(what);
      } catch (error) {
        if (!(error instanceof AgentError)) throw error;
        // Once per cause, not once per pass.
        if (!publishErrors.has(what)) logger.log('error', 'write-failed', error.message, { error: error.message });
        publishErrors.add(what);
      }
    }
  };

  const pass = async (triggers: Set<Trigger>) => {
    const startedAt = Date.now();
    let report;
    try {
      report = await runPass(agent, config, guard, stats, logger, triggers);
    } catch (error) {
      logger.log('error', 'internal-error', `internal error (please report): ${(error as Error)?.stack ?? String(error)}`);
      process.exit(70);
    }
    if (report) {
      lastSysctlPaths = report.sysctlPaths;
      sysctlWatch?.rebase(lastSysctlPaths);
      if (report.held > 0) queue.holdOff(HELD_GAP_MS);
    }
    armRelease(startedAt);
    publish();
    firstPassDone();
  };
  const queue = new PassQueue(pass, DEBOUNCE_MS);

  // A held item is repaired as soon as its backoff ends, not at the next event (there
  // may be none: the item is missing and nothing else changes).
  const armRelease = (passStartedAt: number) => {
    if (releaseTimer) clearTimeout(releaseTimer);
    releaseTimer = null;
    const at = guard.nextRelease(passStartedAt);
    if (at !== null && !stopping) releaseTimer = setTimeout(() => queue.requestNow('backoff'), Math.max(0, at - Date.now()) + 1);
  };

  const startKernelWatch = () => {
    watch = startWatch({
      onChange: () => queue.request('event'),
      onExit: (reason) => {
        if (stopping) return;
        logger.log('error', 'watch-ended', `${reason}; restarting it in ${WATCH_RESTART_MS / 1000} s`);
        restartTimer = setTimeout(() => {
          startKernelWatch();
          queue.request('event'); // changes while it was down went unseen
        }, WATCH_RESTART_MS);
      },
    });
  };
  // Started once the first pass is done; restarted by a reload with the new settings.
  const startTimers = () => {
    sysctlWatch = startSysctlWatch(agent.sysctlFs, config.drift.sysctlIntervalMs, () => queue.request('sysctl'));
    sysctlWatch.rebase(lastSysctlPaths);
    schedule = startSchedule(config.drift.schedule, () => queue.request('schedule'));
  };
  const stopTimers = () => {
    sysctlWatch?.stop();
    schedule?.stop();
    sysctlWatch = null;
    schedule = null;
  };

  const reload = () => {
    if (stopping) return;
    let next: Config;
    try {
      next = loadDaemonConfig(agent);
    } catch (error) {
      if (!(error instanceof AgentError)) throw error;
      stats.reloads.rejected += 1;
      logger.log('error', 'reload-rejected', `SIGHUP: new config rejected, the one in force stays: ${error.message}`, { error: error.message });
      publish();
      return;
    }
    config = next;
    guard.configure(config.drift.flap);
    if (schedule) {
      stopTimers();
      startTimers();
    }
    stats.reloads.applied += 1;
    logger.log('info', 'reloaded', `SIGHUP: config ${config.source} reloaded: ${config.vips.length} VIPs`, { vips: config.vips.length });
    queue.request('reload');
  };

  let done!: (status: number) => void;
  const finished = new Promise<number>((resolve) => (done = resolve));
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    watch?.stop();
    stopTimers();
    if (releaseTimer) clearTimeout(releaseTimer);
    if (restartTimer) clearTimeout(restartTimer);
    await Promise.race([queue.close(), sleep(SHUTDOWN_WAIT_MS, undefined, { ref: false })]);
    firstPassDone();
    stats.running = false;
    stats.stoppedAt = new Date().toISOString();
    publish();
    logger.log('info', 'stopped', `${signal}: stopped; VIPs stay in place (rs-agent stop removes them)`, { signal });
    done(0);
  };
  const onSignal = (signal: NodeJS.Signals) => void shutdown(signal);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', reload);

  // Watch first, so nothing that changes during the first pass goes unseen.
  startKernelWatch();
  logger.log('info', 'starting', `rs-agent run: converging to ${config.source} (${config.vips.length} VIPs)`, { pid: process.pid });
  queue.request('start');
  await firstPass;
  if (!stopping) {
    if (stats.last?.error !== undefined) {
      logger.log('error', 'start-failed', 'the first convergence could not run; exiting so the service manager can retry');
      await shutdown('start failure');
      return 1;
    }
    startTimers();
    await notifyReady(agent.runner, logger, stats.last?.inSync ? 'in sync' : 'running; drift remains (see the log)');
    logger.log('info', 'ready', `ready: ${stats.last?.inSync ? 'in sync' : 'drift remains'}; watching for drift`, { in_sync: stats.last?.inSync ?? false });
  }
  const status = await finished;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  process.off('SIGHUP', reload);
  return status;
}
