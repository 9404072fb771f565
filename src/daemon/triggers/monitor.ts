import type { Logger } from '../log.js';
import type { PassQueue } from '../pass-queue.js';
import type { Scheduler } from '../scheduler.js';
import { startMonitorChild, type MonitorChild } from '../monitor-child.js';
import type { TriggerSource } from './trigger-source.js';

const RESTART_MS = 1000;

export interface MonitorSpec {
  name: string; // the scheduler's key for its restart: one per source
  argv?: readonly string[]; // startMonitorChild's default: ip monitor
  onText: (text: string) => void; // a chunk of the child's output
  // Whether an exit means the tool is missing (then the schedule is enough): returns
  // true when it handled the exit, so no restart is tried.
  unavailable?: (reason: string) => boolean;
}

// A `… monitor` child that asks for passes. It is restarted when it dies, and the
// restart asks for a pass: changes made while nothing watched went unseen.
export function monitorSource(
  spec: MonitorSpec,
  queue: PassQueue,
  scheduler: Scheduler,
  logger: Logger,
): TriggerSource {
  let child: MonitorChild | null = null;
  let stopped = false;
  const begin = () => {
    child = startMonitorChild(
      {
        onChange: spec.onText,
        onExit: (reason) => {
          if (stopped || spec.unavailable?.(reason)) return;
          logger.log('error', 'monitor-ended', `${reason}; restarting it in ${RESTART_MS / 1000} s`);
          scheduler.after(spec.name, RESTART_MS, () => {
            begin();
            queue.request('event');
          });
        },
      },
      spec.argv,
    );
  };
  return {
    start() {
      stopped = false;
      begin();
    },
    stop() {
      stopped = true;
      scheduler.cancel(spec.name);
      child?.stop();
      child = null;
    },
  };
}
