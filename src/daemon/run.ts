import type { AgentOptions } from '../agent.js';
import { takeInstanceLock } from '../state/instance-lock.js';
import { requireNetAdmin } from '../system/privileges.js';
import { Daemon, loadDaemonConfig } from './daemon.js';
import type { Logger } from './log.js';
import { notifyReady } from './notify.js';

export { loadDaemonConfig } from './daemon.js';

// SIGTERM waits this long for a pass under way (a pass takes milliseconds; one still
// waiting for the lock is cancelled at once, having changed nothing).
const SHUTDOWN_WAIT_MS = 2000;

export interface DaemonOptions {
  agent: AgentOptions;
  logger: Logger;
}

// `rs-agent run`: converges, tells systemd it is ready, then repairs drift as the
// kernel reports it, as the sysctl re-reads find it, and on the schedule. Resolves
// with the exit status: 0 after SIGTERM/SIGINT, 1 when the first convergence could
// not run. VIPs stay in place when it exits: their lifecycle is start/stop's.
export async function runDaemon(opts: DaemonOptions): Promise<number> {
  const config = loadDaemonConfig(opts.agent);
  if (!opts.agent.skipPrivilegeCheck) requireNetAdmin('run');
  await takeInstanceLock(opts.agent.stateDir); // one daemon per state dir, held until exit
  const { agent, logger } = opts;
  const daemon = new Daemon(agent, logger, config);
  if (config.store) {
    // Loaded only here: a host without a store never pays for the etcd client.
    const [{ StoreWatch }, { heldVips }] = await Promise.all([
      import('./triggers/store-watch.js'),
      import('../source/held-vips.js'),
    ]);
    const store = new StoreWatch(config, daemon, logger);
    await store.open(heldVips(agent.stateDir, config));
    daemon.attachStore(store);
  }

  let done!: (status: number) => void;
  const finished = new Promise<number>((resolve) => (done = resolve));
  let stopping = false;
  const shutdown = async (reason: string, status: number) => {
    if (stopping) return;
    stopping = true;
    await daemon.stop(SHUTDOWN_WAIT_MS);
    logger.log('info', 'stopped', `${reason}: stopped; VIPs stay in place (rs-agent stop removes them)`, {
      signal: reason,
    });
    done(status);
  };
  const onSignal = (signal: NodeJS.Signals) => void shutdown(signal, 0);
  const onReload = () => daemon.reload();
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', onReload);

  logger.log('info', 'starting', `rs-agent run: converging to ${config.source} (${config.vips.length} VIPs)`, {
    pid: process.pid,
  });
  daemon.start();
  await daemon.firstPass;
  if (!stopping) {
    const last = daemon.stats.last;
    if (last?.error !== undefined) {
      logger.log(
        'error',
        'start-failed',
        'the first convergence could not run; exiting so the service manager can retry',
      );
      void shutdown('start failure', 1);
    } else {
      daemon.startTimers();
      await notifyReady(agent.runner, logger, last?.inSync ? 'in sync' : 'running; drift remains (see the log)');
      logger.log('info', 'ready', `ready: ${last?.inSync ? 'in sync' : 'drift remains'}; watching for drift`, {
        in_sync: last?.inSync ?? false,
      });
    }
  }
  const status = await finished;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  process.off('SIGHUP', onReload);
  return status;
}
