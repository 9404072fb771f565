import type { AgentOptions } from '../agent.js';
import { takeInstanceLock } from '../state/instance-lock.js';
import { agentInstance } from '../store/status-record.js';
import { readableStack } from '../system/stack.js';
import { requireNetAdmin } from '../system/privileges.js';
import { Daemon, loadDaemonConfig, type Watching } from './daemon.js';
import type { Logger } from './log.js';
import { notifyReady } from './notify.js';
import { triggerSources } from './triggers/sources.js';

export { loadDaemonConfig } from './daemon.js';

// SIGTERM waits this long for a pass under way (a pass takes milliseconds; one still
// waiting for the lock is cancelled at once, having changed nothing).
const SHUTDOWN_WAIT_MS = 2000;
// EX_SOFTWARE (sysexits.h): a bug in rs-agent. systemd's Restart=on-failure restarts it.
const EXIT_INTERNAL_ERROR = 70;
// How long "ready" waits for the kernel's event monitors to join (and for the passes their
// joins ask for): ready means every later change reaches a monitor.
const WATCHING_WAIT_MS = 5000;

export interface DaemonOptions {
  agent: AgentOptions;
  logger: Logger;
}

// `rs-agent run`: converges, tells systemd it is ready, then repairs drift as the
// kernel reports it, as the sysctl re-reads find it, and on the schedule. Resolves
// with the exit status: 0 after SIGTERM/SIGINT, 1 when the first convergence could
// not run; an internal error ends the process here with 70, at once (its state is
// unknown). VIPs stay in place when it exits: their lifecycle is start/stop's.
export async function runDaemon(opts: DaemonOptions): Promise<number> {
  const config = loadDaemonConfig(opts.agent);
  if (!opts.agent.skipPrivilegeCheck) requireNetAdmin('run');
  await takeInstanceLock(opts.agent.stateDir); // one daemon per state dir, held until exit
  const { agent, logger } = opts;
  const internalError = (error: unknown) => {
    logger.log('error', 'internal-error', `internal error (please report): ${readableStack(error)}`);
    process.exit(EXIT_INTERNAL_ERROR);
  };
  const daemon = new Daemon({
    agent,
    logger,
    config,
    sources: (c) => triggerSources(c, { agent, logger }),
    onInternalError: internalError,
    longLived: true,
  });

  let done!: (status: number) => void;
  const finished = new Promise<number>((resolve) => (done = resolve));
  const shutdown = async (reason: string, status: number) => {
    if (daemon.lifecycle === 'stopping' || daemon.lifecycle === 'stopped') return;
    await daemon.stop(SHUTDOWN_WAIT_MS);
    logger.log('info', 'stopped', `${reason}: stopped; VIPs stay in place (rs-agent stop removes them)`, {
      signal: reason,
    });
    done(status);
  };
  const onSignal = (signal: NodeJS.Signals) => void shutdown(signal, 0);
  const onReload = () => void daemon.reload().catch(internalError);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', onReload);
  const detach = () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('SIGHUP', onReload);
  };

  logger.log('info', 'starting', `rs-agent run: converging to ${config.file} (${config.vips.length} VIPs)`, {
    pid: process.pid,
    instance: agentInstance(),
  });
  try {
    await daemon.start();
  } catch (error) {
    // A source that cannot start (a store whose TLS files cannot be read): said like a
    // bad config, after stopping what did start.
    await daemon.stop(0);
    detach();
    throw error;
  }
  await daemon.firstPass;
  if (daemon.lifecycle === 'running') {
    const last = daemon.currentStats.last;
    if (last?.error !== undefined) {
      logger.log(
        'error',
        'start-failed',
        'the first convergence could not run; exiting so the service manager can retry',
      );
      void shutdown('start failure', 1);
    } else {
      const watching = await daemon.watching(WATCHING_WAIT_MS);
      if (daemon.lifecycle === 'running') {
        await ready(daemon, agent, logger, watching);
        if (watching.notWatching.length > 0 || watching.passesPending) void watchingLater(daemon, logger);
      }
    }
  }
  const status = await finished;
  detach();
  return status;
}

// Tells systemd and the log that the daemon is ready: what the passes so far found, and
// which of the kernel's event monitors is not watching yet (then drift there is found by
// the schedule and the re-reads until it is).
async function ready(daemon: Daemon, agent: AgentOptions, logger: Logger, w: Watching): Promise<void> {
  const last = daemon.currentStats.last;
  // Never "in sync" while the store's desired state is unknown.
  const unknown = daemon.desiredUnknown();
  const state = unknown ? 'desired state unknown' : last?.inSync ? 'in sync' : 'drift remains';
  const status = unknown || last?.inSync ? state : 'running; drift remains (see the log)';
  const monitors = w.notWatching.map((key) => key.replace('-', ' '));
  const watching = monitors.length
    ? `watching for drift (${monitors.join(' and ')} not joined yet: until then the schedule and the re-reads find drift)`
    : w.passesPending
      ? 'watching for drift (the passes the monitors asked for when they joined still to run)'
      : 'watching for drift';
  await notifyReady(agent.runner, logger, status, daemon.scheduler);
  logger.log('info', 'ready', `ready: ${state}; ${watching}`, {
    in_sync: (last?.inSync ?? false) && !unknown,
    ...(monitors.length ? { not_watching: monitors.join(', ') } : {}),
    ...(w.passesPending && !monitors.length ? { passes_pending: true } : {}),
    ...(unknown ? { error: unknown } : {}),
  });
}

// When ready came before every monitor had joined, or before the passes their joins asked
// for had run (a loaded machine): said once both have happened, since from then on every
// change reaches a monitor. A monitor that never joins never says it.
async function watchingLater(daemon: Daemon, logger: Logger): Promise<void> {
  await daemon.watching(null);
  if (daemon.lifecycle === 'running')
    logger.log(
      'info',
      'watching',
      'watching for drift: every monitor has joined, and the passes it asked for have run',
    );
}
