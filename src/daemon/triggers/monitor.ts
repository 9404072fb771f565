import type { Lifecycle } from '../lifecycle.js';
import type { Logger } from '../log.js';
import { startMonitorChild, type MonitorChild, type StartMonitor } from '../monitor-child.js';
import type { RequestOptions } from '../trigger.js';
import type { TriggerContext, TriggerSource } from './trigger-source.js';

const RESTART_MS = 1000;

export interface MonitorSpec {
  name: string; // the source's key, and its restart timer's name
  argv: readonly string[];
  // A chunk of the child's output: whether it asks for a pass, and how urgently.
  onText(text: string): RequestOptions | null;
  // Whether an exit means the tool is missing (then the schedule is enough): returns
  // true when it handled the exit, so no restart is tried.
  unavailable?(reason: string): boolean;
  // The pass asked for when the child has been restarted.
  restartUrgent: boolean;
}

// A `… monitor` child that asks for passes. It is restarted when it dies, and the
// restart asks for a pass: changes made while nothing watched went unseen.
export function monitorSource(
  spec: MonitorSpec,
  logger: Logger,
  startMonitor: StartMonitor = startMonitorChild,
): TriggerSource {
  let child: MonitorChild | null = null;
  let state: Lifecycle = 'new';
  let scheduler: TriggerContext['scheduler'] | null = null;
  const begin = (ctx: TriggerContext) => {
    child = startMonitor(
      {
        onChange: (text) => {
          const ask = spec.onText(text);
          if (ask) ctx.request('event', ask);
        },
        onExit: (reason) => {
          if (state !== 'running' || spec.unavailable?.(reason)) return;
          logger.log('error', 'monitor-ended', `${reason}; restarting it in ${RESTART_MS / 1000} s`);
          ctx.scheduler.after(`${spec.name}-restart`, RESTART_MS, () => {
            begin(ctx);
            ctx.request('event', { urgent: spec.restartUrgent });
          });
        },
      },
      spec.argv,
    );
  };
  return {
    key: spec.name,
    start(ctx) {
      state = 'running';
      scheduler = ctx.scheduler;
      begin(ctx);
    },
    stop() {
      state = 'stopped';
      scheduler?.cancel(`${spec.name}-restart`);
      child?.stop();
      child = null;
    },
  };
}
