import type { Runner } from '../system/runner.js';
import type { Logger } from './log.js';
import type { Scheduler } from './scheduler.js';

const NOTIFY_WAIT_MS = 10_000;

// Tells systemd (Type=notify) that the first convergence is done, so units ordered
// after rs-agent-watch start only once the VIPs are in place. systemd-notify sends
// from its own pid, hence NotifyAccess=all in the unit; it waits until systemd has
// read the message, so the message is never lost with its short-lived sender. The wait
// for it is bounded on the daemon's scheduler.
export async function notifyReady(runner: Runner, logger: Logger, status: string, scheduler: Scheduler): Promise<void> {
  if (!process.env.NOTIFY_SOCKET) return;
  const argv = ['systemd-notify', '--ready', `--pid=${process.pid}`, `--status=${status}`];
  const timedOut = `no answer within ${NOTIFY_WAIT_MS / 1000} s`;
  const why = await Promise.race([
    runner.run(argv).then(
      (r) => (r.exitCode === 0 ? null : r.stderr.trim() || `exit status ${r.exitCode}`),
      (error: Error) => error.message,
    ),
    scheduler.wait('notify-wait', NOTIFY_WAIT_MS).then((elapsed) => (elapsed ? timedOut : null)),
  ]);
  scheduler.cancel('notify-wait');
  if (why !== null) logger.log('warning', 'notify-failed', `could not tell systemd rs-agent is ready: ${why}`);
}
