import { execa } from 'execa';
import type { Logger } from './log.js';

// Tells systemd (Type=notify) that the first convergence is done, so units ordered
// after rs-agent-watch start only once the VIPs are in place. systemd-notify sends
// from its own pid, hence NotifyAccess=all in the unit; it waits until systemd has
// read the message, so the message is never lost with its short-lived sender.
export async function notifyReady(logger: Logger, status: string): Promise<void> {
  if (!process.env.NOTIFY_SOCKET) return;
  const result = await execa('systemd-notify', ['--ready', `--pid=${process.pid}`, `--status=${status}`], {
    reject: false,
    timeout: 10_000,
    stdin: 'ignore',
    env: { LC_ALL: 'C' },
  });
  if (result.failed) {
    const why = result.stderr.trim() || result.shortMessage;
    logger.log('warning', 'notify-failed', `could not tell systemd rs-agent is ready: ${why}`);
  }
}
