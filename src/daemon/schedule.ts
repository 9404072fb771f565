import cron, { type ScheduledTask } from 'node-cron';

// The full periodic reconcile, the safety net under the event watch. The expression
// was checked field by field when the config loaded (config/cron.ts).

export interface Schedule {
  stop(): void;
}

export function startSchedule(expression: string, tick: () => void): Schedule {
  const task: ScheduledTask = cron.schedule(expression, tick, { name: 'rs-agent full reconcile', noOverlap: true });
  return { stop: () => void task.destroy() };
}
