import type { Logger } from '../log.js';
import type { PassQueue } from '../pass-queue.js';
import type { Scheduler } from '../scheduler.js';
import { startWatch, type Watch } from '../watch.js';
import type { Source } from './source.js';

const RESTART_MS = 1000;

export interface MonitorSpec {
  name: string; // the scheduler's key for its restart: one per source
  argv?: readonly string[]; // startWatch's default: ip monitor
  onText: (text: string) => void; // a chunk of the child's output
  // Whether an exit means the tool is missing (then the schedule is enough): returns
  // true when it handled the exit, so no restart is tried.
  unavailable?: (reason: string) => boolean;
}

// A `… monitor` child that asks for passes. It is restarted when it dies, and the
// restart asks for a pass: changes made while nothing watched went unseen.
export function monitorSource(spec: MonitorSpec, queue: PassQueue, scheduler: Scheduler, logger: Logger): Source {
  let watch: Watch | null = null;
  let stopped = false;
  const begin = () => {
    watch = startWatch(
      {
        onChange: spec.onText,
        onExit: (reason) => {
          if (stopped || spec.unavailable?.(reason)) return;
          logger.log('error', 'watch-ended', `${reason}; restarting it in ${RESTART_MS / 1000} s`);
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
      watch?.stop();
      watch = null;
    },
  };
}
