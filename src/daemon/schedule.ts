import cron, { type ScheduledTask } from 'node-cron';
import type { Config } from '../config/types.js';
import { ConfigError } from '../errors.js';

// The full periodic reconcile, the safety net under the event watch. The expression
// was checked field by field when the config loaded (config/cron.ts), without loading
// node-cron; `run` and `validate` also ask node-cron itself (scheduleProblem).

export interface Schedule {
  stop(): void;
}

export function startSchedule(expression: string, tick: () => void): Schedule {
  const task: ScheduledTask = cron.schedule(expression, tick, { name: 'rs-agent full reconcile', noOverlap: true });
  return { stop: () => void task.destroy() };
}

// A schedule that never fires would leave `run` without its safety net (and node-cron
// throws when asked to start one it finds impossible, so `run` never became ready).
const HORIZON_YEARS = 8;

// What the code that runs the schedule makes of it: node-cron's own check (which knows
// that February has no 30th or 31st), then its next fire time, which must come within
// HORIZON_YEARS (a leap day comes every 4; "28 2 1#5", a fifth Monday on the 28th, never).
export function scheduleProblem(expression: string, now = new Date()): string | null {
  const check = cron.validateDetailed(expression);
  if (!check.valid) return `says: ${check.errors.map((e) => e.message).join('; ')}`;
  const task = cron.createTask(expression, () => undefined, { name: 'rs-agent schedule check' });
  try {
    const next = task.getNextRuns(1)[0];
    const horizon = new Date(now);
    horizon.setFullYear(horizon.getFullYear() + HORIZON_YEARS);
    if (next === undefined) return 'finds no time it fires';
    if (next > horizon)
      return `would first fire it at ${next.toISOString()}, more than ${HORIZON_YEARS} years from now`;
    return null;
  } catch {
    return 'finds no time it fires';
  } finally {
    void task.destroy();
  }
}

// For `run` and `validate`: drift.schedule as node-cron would run it, else a config error.
export function requireRunnableSchedule(config: Config): void {
  const problem = scheduleProblem(config.drift.schedule);
  if (problem)
    throw new ConfigError(
      config.file,
      'drift.schedule',
      `${JSON.stringify(config.drift.schedule)} cannot be run: node-cron, which runs it, ${problem}`,
    );
}
