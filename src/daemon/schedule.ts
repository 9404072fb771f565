import cron, { type ScheduledTask } from 'node-cron';
import { ConfigError } from '../errors.js';
import type { Config } from '../config/types.js';

// The full periodic reconcile, the safety net under the event watch.

// Checks every field of drift.schedule with node-cron itself (config validation
// checks only its shape, to keep the other commands from loading node-cron).
export function validateSchedule(config: Config): void {
  const { valid, errors } = cron.validateDetailed(config.drift.schedule);
  if (valid) return;
  const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  throw new ConfigError(config.source, 'drift.schedule', `${JSON.stringify(config.drift.schedule)} is not a valid cron expression (${detail})`);
}

export interface Schedule {
  stop(): void;
}

export function startSchedule(expression: string, tick: () => void): Schedule {
  const task: ScheduledTask = cron.schedule(expression, tick, { name: 'rs-agent full reconcile', noOverlap: true });
  return { stop: () => void task.destroy() };
}
