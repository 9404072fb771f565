import { startSchedule, type Schedule } from '../schedule.js';
import type { TriggerSource } from './trigger-source.js';

// The full reconcile on the configured cron schedule (drift.schedule): the safety net
// under the event monitors and re-reads. Its tick only asks for a pass. This is the
// daemon's one wall-clock timer, and the one timer not on the Scheduler: operators write
// cron expressions, and cron times are wall-clock times by nature; node-cron keeps them.
export function cronSchedule(expression: string): TriggerSource {
  let schedule: Schedule | null = null;
  return {
    key: `cron ${expression}`,
    start(ctx) {
      schedule = startSchedule(expression, () => ctx.request('schedule'));
    },
    stop() {
      schedule?.stop();
      schedule = null;
    },
  };
}
