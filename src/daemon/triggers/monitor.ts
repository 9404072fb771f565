import type { Lifecycle } from '../lifecycle.js';
import type { Logger } from '../log.js';
import { startMonitorChild, type MonitorChild, type StartMonitor } from '../monitor-child.js';
import type { RequestOptions } from '../trigger.js';
import type { TriggerContext, TriggerSource } from './trigger-source.js';

const RESTART_MS = 1000;
const MAX_RESTART_MS = 60_000;
// A child up this long runs: a later end is news again, logged as such.
const RUNNING_MS = 10_000;

export interface MonitorSpec {
  name: string; // the source's key, and its restart timer's name
  argv: readonly string[];
  // A chunk of the child's output: whether it asks for a pass, and how urgently.
  onText(text: string): RequestOptions | null;
  // Whether an exit means the tool is missing (then the schedule is enough): returns
  // true when it handled the exit, so no restart is tried.
  unavailable?(reason: string): boolean;
  // Whether the pass asked for once the child has joined (or has been restarted) is urgent.
  joinUrgent: boolean;
  // The child has joined the kernel's events (true), or has ended or been stopped (false).
  watching?(on: boolean): void;
}

// A `… monitor` child that asks for passes. It is restarted when it dies. A child hears of
// changes only once it has joined the kernel's events (nft monitor: after reading the whole
// ruleset), so it counts as watching from then on, not from its start, and that moment asks
// for a pass: what changed between the last pass's reading and the join went unseen (at
// start and after each restart). A restart asks for one at once too, in case the join is
// never seen. One that cannot run (it ends the same way again before it has run RUNNING_MS)
// is said so once, then retried with a growing delay without a line each time: until it
// runs, drift is found by the scheduled reconcile and the sysctl re-reads, as it is without
// events.
export function monitorSource(
  spec: MonitorSpec,
  logger: Logger,
  startMonitor: StartMonitor = startMonitorChild,
): TriggerSource {
  let child: MonitorChild | null = null;
  let state: Lifecycle = 'new';
  let scheduler: TriggerContext['scheduler'] | null = null;
  // The ends in a row with one reason, none after a child ran RUNNING_MS.
  let streak: { reason: string; ends: number } | null = null;
  const command = spec.argv.join(' ');
  // Resolved once the first child has joined, or the tool is found missing.
  let watched!: () => void;
  const watching = new Promise<void>((resolve) => (watched = resolve));
  const ended = (reason: string): number => {
    streak = streak?.reason === reason ? { reason, ends: streak.ends + 1 } : { reason, ends: 1 };
    const delay = Math.min(RESTART_MS * 2 ** (streak.ends - 1), MAX_RESTART_MS);
    if (streak.ends === 1) logger.log('error', 'monitor-ended', `${reason}; restarting it in ${delay / 1000} s`);
    if (streak.ends === 2)
      logger.log(
        'error',
        'monitor-failing',
        `${command} ended the same way again within ${RUNNING_MS / 1000} s of its restart: retrying it with a ` +
          `delay growing to ${MAX_RESTART_MS / 1000} s, logged again once it runs; until then drift is found ` +
          'by the scheduled reconcile and the sysctl re-reads',
      );
    return delay;
  };
  const runs = () => {
    if (streak && streak.ends >= 2)
      logger.log('info', 'monitor-running', `${command} runs again, after ${streak.ends} ends in a row`);
    streak = null;
  };
  const begin = (ctx: TriggerContext) => {
    ctx.scheduler.after(`${spec.name}-running`, RUNNING_MS, runs);
    child = startMonitor(
      {
        onChange: (text) => {
          const ask = spec.onText(text);
          if (ask) ctx.request('event', ask);
        },
        onJoined: () => {
          if (state !== 'running') return;
          spec.watching?.(true);
          watched();
          ctx.request('event', { urgent: spec.joinUrgent });
        },
        onExit: (reason) => {
          spec.watching?.(false);
          if (state !== 'running') return;
          if (spec.unavailable?.(reason)) return watched();
          ctx.scheduler.cancel(`${spec.name}-running`);
          ctx.scheduler.after(`${spec.name}-restart`, ended(reason), () => {
            begin(ctx);
            ctx.request('event', { urgent: spec.joinUrgent });
          });
        },
      },
      spec.argv,
    );
  };
  return {
    key: spec.name,
    watching: () => watching,
    start(ctx) {
      state = 'running';
      scheduler = ctx.scheduler;
      begin(ctx);
    },
    stop() {
      state = 'stopped';
      spec.watching?.(false);
      scheduler?.cancel(`${spec.name}-restart`);
      scheduler?.cancel(`${spec.name}-running`);
      child?.stop();
      child = null;
    },
  };
}
