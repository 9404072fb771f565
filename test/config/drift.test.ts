import { describe, expect, it } from 'vitest';
import { DEFAULT_DRIFT } from '../../src/config/drift.js';
import { parseConfig } from '../../src/config/load.js';
import cron from 'node-cron';
import { ConfigError } from '../../src/errors.js';

const parse = (extra: string) => parseConfig(`vips: [192.0.2.10]\n${extra}`, 'x.yaml');

describe('drift and metrics config', () => {
  it('reads every key, with durations in seconds or with a unit', () => {
    const config = parse(
      'drift:\n  schedule: "*/10 * * * * *"\n  sysctl_interval: 250ms\n  flap: {max_repairs: 3, window: 2m, backoff: 2, max_backoff: 1h}\nmetrics: {file: /var/lib/prometheus/node-exporter/rs-agent.prom}\n',
    );
    expect(config.drift).toEqual({
      schedule: '*/10 * * * * *',
      sysctlIntervalMs: 250,
      sysctlGuardedIntervalMs: 1_000,
      flap: { maxRepairs: 3, windowMs: 120_000, backoffMs: 2_000, maxBackoffMs: 3_600_000 },
    });
    expect(config.metrics).toEqual({ file: '/var/lib/prometheus/node-exporter/rs-agent.prom' });
  });

  it('re-reads the sysctls every second by default while the ARP guard is in force, never more often than without it', () => {
    expect(DEFAULT_DRIFT.sysctlGuardedIntervalMs).toBe(1_000);
    expect(parse('drift: {sysctl_interval_guarded: 5s}\n').drift).toMatchObject({
      sysctlIntervalMs: 100,
      sysctlGuardedIntervalMs: 5_000,
    });
    expect(parse('drift: {sysctl_interval: 2s}\n').drift).toMatchObject({
      sysctlIntervalMs: 2_000,
      sysctlGuardedIntervalMs: 2_000,
    });
    expect(parse('drift: {sysctl_interval: 300ms, sysctl_interval_guarded: 300ms}\n').drift).toMatchObject({
      sysctlIntervalMs: 300,
      sysctlGuardedIntervalMs: 300,
    });
  });

  it('fills what is left out with the defaults', () => {
    const config = parse('drift: {flap: {max_repairs: 2}}\n');
    expect(config.drift).toEqual({ ...DEFAULT_DRIFT, flap: { ...DEFAULT_DRIFT.flap, maxRepairs: 2 } });
    expect(DEFAULT_DRIFT.flap.windowMs).toBe(60_000);
  });

  it.each([
    [
      'unknown key',
      'drift: {interval: 5}\n',
      /drift\.interval: unknown key; expected one of schedule, sysctl_interval, sysctl_interval_guarded, flap/,
    ],
    [
      'schedule not cron',
      'drift: {schedule: every minute}\n',
      /drift\.schedule: "every minute" is not a valid cron expression: has 2 fields/,
    ],
    [
      'schedule out of range',
      'drift: {schedule: "61 * * * *"}\n',
      /drift\.schedule: "61 \* \* \* \*" is not a valid cron expression: minute field "61": 61 is out of range 0-59/,
    ],
    ['schedule a number', 'drift: {schedule: 30}\n', /drift\.schedule: 30 is not a cron expression/],
    ['interval unit', 'drift: {sysctl_interval: 5 parsecs}\n', /drift\.sysctl_interval: "5 parsecs" is not a duration/],
    [
      'interval too short',
      'drift: {sysctl_interval: 1ms}\n',
      /drift\.sysctl_interval: "1ms" is out of range: from 50ms to 1m/,
    ],
    [
      'guarded interval too long',
      'drift: {sysctl_interval_guarded: 2m}\n',
      /drift\.sysctl_interval_guarded: "2m" is out of range: from 50ms to 1m/,
    ],
    [
      'guarded interval shorter than the interval',
      'drift: {sysctl_interval: 2s, sysctl_interval_guarded: 500ms}\n',
      /drift\.sysctl_interval_guarded: "500ms" is shorter than drift\.sysctl_interval \(2s\)/,
    ],
    [
      'guarded interval shorter than the default interval',
      'drift: {sysctl_interval_guarded: 50ms}\n',
      /drift\.sysctl_interval_guarded: "50ms" is shorter than drift\.sysctl_interval \(100ms\)/,
    ],
    [
      'max_repairs zero',
      'drift: {flap: {max_repairs: 0}}\n',
      /drift\.flap\.max_repairs: 0 must be a whole number from 1 to 1000/,
    ],
    [
      'max_repairs fraction',
      'drift: {flap: {max_repairs: 2.5}}\n',
      /drift\.flap\.max_repairs: 2\.5 must be a whole number/,
    ],
    [
      'backoff over max',
      'drift: {flap: {backoff: 10m, max_backoff: 1m}}\n',
      /drift\.flap\.max_backoff: "1m" is shorter than drift\.flap\.backoff \("10m"\)/,
    ],
    ['flap not a mapping', 'drift: {flap: 5}\n', /drift\.flap: must be a mapping, not 5/],
    [
      'metrics relative',
      'metrics: {file: rs-agent.prom}\n',
      /metrics\.file: "rs-agent\.prom" must be an absolute file path/,
    ],
    [
      'metrics suffix',
      'metrics: {file: /tmp/rs-agent.txt}\n',
      /metrics\.file: "\/tmp\/rs-agent\.txt" must end in \.prom/,
    ],
  ])('%s: a ConfigError naming the key and value', (_name, yaml, message) => {
    expect(() => parse(yaml)).toThrow(ConfigError);
    expect(() => parse(yaml)).toThrow(message);
  });

  // The check at load agrees with node-cron, which runs the schedule, on every form.
  it.each([
    '*/30 * * * * *',
    '0 */5 * * *',
    '0 0 1 1 *',
    '0 0 * * sun',
    '0 0 * * 7',
    '0 0 * jan-mar mon-fri',
    '0 0 * * Monday',
    '15,45 * * * * *',
    '0 0-23/2 * * *',
    '0 22-2 * * *',
    '0 0 ? * *',
    '0 0 1 * ?',
    '59 59 23 31 12 6',
  ])('accepts %j, as node-cron does', (expression) => {
    expect(cron.validate(expression)).toBe(true);
    expect(parse(`drift: {schedule: "${expression}"}\n`).drift.schedule).toBe(expression);
  });

  it.each([
    '61 * * * *',
    '* 24 * * *',
    '0 0 0 * *',
    '0 0 32 * *',
    '0 0 * 13 *',
    '0 0 * * 8',
    '60 * * * * *',
    '*/0 * * * *',
    '0 0 * foo *',
    '* * * *',
  ])('refuses %j, as node-cron does', (expression) => {
    expect(cron.validate(expression)).toBe(false);
    expect(() => parse(`drift: {schedule: "${expression}"}\n`)).toThrow(
      /drift\.schedule: .* is not a valid cron expression/,
    );
  });
});
