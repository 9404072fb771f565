import { cronProblem } from './cron.js';
import { validateFilePath } from './file-path.js';
import type { Config, DriftConfig, FlapConfig } from './types.js';
import { expectMapping, show, type Fail } from './schema.js';

// The `drift:` and `metrics:` sections, read by `rs-agent run` only; every other
// command just validates them, so a typo is caught by `rs-agent validate` too.

export const DEFAULT_DRIFT: DriftConfig = {
  schedule: '*/30 * * * * *',
  sysctlIntervalMs: 100,
  sysctlGuardedIntervalMs: 1_000,
  flap: { maxRepairs: 5, windowMs: 60_000, backoffMs: 1_000, maxBackoffMs: 300_000 },
};

export function validateDrift(value: unknown, fail: Fail): DriftConfig {
  if (value === undefined || value === null) return structuredClone(DEFAULT_DRIFT);
  const drift = expectMapping(value, 'drift', fail, ['schedule', 'sysctl_interval', 'sysctl_interval_guarded', 'flap']);
  const schedule = drift.schedule === undefined ? DEFAULT_DRIFT.schedule : validateScheduleText(drift.schedule, fail);
  const interval = (key: string, fallback: number) =>
    drift[key] === undefined ? fallback : durationMs(drift[key], `drift.${key}`, fail, { min: 50, max: 60_000 });
  const sysctlIntervalMs = interval('sysctl_interval', DEFAULT_DRIFT.sysctlIntervalMs);
  // Never more often under the guard than without it.
  const sysctlGuardedIntervalMs = interval(
    'sysctl_interval_guarded',
    Math.max(DEFAULT_DRIFT.sysctlGuardedIntervalMs, sysctlIntervalMs),
  );
  if (sysctlGuardedIntervalMs < sysctlIntervalMs)
    fail(
      'drift.sysctl_interval_guarded',
      `${show(drift.sysctl_interval_guarded)} is shorter than drift.sysctl_interval (${formatMs(sysctlIntervalMs)})`,
    );
  return { schedule, sysctlIntervalMs, sysctlGuardedIntervalMs, flap: validateFlap(drift.flap, fail) };
}

function validateFlap(value: unknown, fail: Fail): FlapConfig {
  const d = DEFAULT_DRIFT.flap;
  if (value === undefined || value === null) return { ...d };
  const flap = expectMapping(value, 'drift.flap', fail, ['max_repairs', 'window', 'backoff', 'max_backoff']);
  const maxRepairs = flap.max_repairs ?? d.maxRepairs;
  if (typeof maxRepairs !== 'number' || !Number.isInteger(maxRepairs) || maxRepairs < 1 || maxRepairs > 1000) {
    fail('drift.flap.max_repairs', `${show(maxRepairs)} must be a whole number from 1 to 1000`);
  }
  const ms = (key: string, fallback: number) =>
    flap[key] === undefined
      ? fallback
      : durationMs(flap[key], `drift.flap.${key}`, fail, { min: 100, max: 86_400_000 });
  const windowMs = ms('window', d.windowMs);
  const backoffMs = ms('backoff', d.backoffMs);
  const maxBackoffMs = ms('max_backoff', Math.max(d.maxBackoffMs, backoffMs));
  if (maxBackoffMs < backoffMs)
    fail(
      'drift.flap.max_backoff',
      `${show(flap.max_backoff)} is shorter than drift.flap.backoff (${show(flap.backoff)})`,
    );
  return { maxRepairs: maxRepairs as number, windowMs, backoffMs, maxBackoffMs };
}

export function validateMetrics(value: unknown, fail: Fail): Config['metrics'] {
  if (value === undefined || value === null) return { file: null };
  const metrics = expectMapping(value, 'metrics', fail, ['file']);
  const file = metrics.file ?? null;
  if (file === null) return { file: null };
  const path = validateFilePath(file, 'metrics.file', fail);
  if (!path.endsWith('.prom'))
    fail('metrics.file', `${show(file)} must end in .prom, or node_exporter's textfile collector ignores it`);
  return { file: path };
}

// Checked field by field here (config/cron.ts), so every command refuses a schedule the
// daemon could not run.
function validateScheduleText(value: unknown, fail: Fail): string {
  const example = 'e.g. "*/30 * * * * *" (every 30 s: seconds, minutes, hours, day, month, weekday)';
  if (typeof value !== 'string') return fail('drift.schedule', `${show(value)} is not a cron expression; ${example}`);
  const problem = cronProblem(value);
  if (problem) fail('drift.schedule', `${show(value)} is not a valid cron expression: ${problem}; ${example}`);
  return value.trim().split(/\s+/).join(' ');
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

// A duration: a number of seconds, or text with a unit ("500ms", "30s", "5m", "1h").
export function durationMs(value: unknown, path: string, fail: Fail, range: { min: number; max: number }): number {
  let ms: number | null = null;
  if (typeof value === 'number' && Number.isFinite(value)) ms = value * 1000;
  else if (typeof value === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(value);
    if (match) ms = Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  if (ms === null)
    return fail(
      path,
      `${show(value)} is not a duration; write seconds (30) or a number with ms, s, m or h ("500ms", "5m")`,
    );
  if (ms < range.min || ms > range.max)
    fail(path, `${show(value)} is out of range: from ${formatMs(range.min)} to ${formatMs(range.max)}`);
  return Math.round(ms);
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000 || ms % 60_000 !== 0) return `${ms / 1000}s`;
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${ms / 60_000}m`;
}
