import type { PassQueue } from '../pass-queue.js';
import { startSchedule, type Schedule } from '../schedule.js';
import type { TriggerSource } from './trigger-source.js';

// The full reconcile on the configured cron schedule: the safety net under the event
// watch. Cron times are wall-clock times by nature; node-cron keeps them.
export function cronSchedule(queue: PassQueue, expression: () => string): TriggerSource {
  let schedule: Schedule | null = null;
  return {
    start() {
      schedule = startSchedule(expression(), () => queue.request('schedule'));
    },
    stop() {
      schedule?.stop();
      schedule = null;
    },
  };
}
