import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, type LogFormat } from '../../src/daemon/log.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-01-02T03:04:05.000Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

function lines(format: LogFormat, journal: boolean): string[] {
  const out: string[] = [];
  const logger = createLogger(format, (l) => out.push(l), journal);
  logger.log('error', 'repair-failed', 'could not add 192.0.2.10/32', { vip: '192.0.2.10' });
  logger.log('warning', 'flap-backoff', 'held back');
  logger.log('info', 'reconciled', 'in sync');
  return out;
}

describe('createLogger', () => {
  it('under the journal, each line starts with its sd-daemon priority: <3> error, <4> warning, <6> info', () => {
    expect(lines('text', true)).toEqual([
      '<3>2026-01-02T03:04:05.000Z error   could not add 192.0.2.10/32\n',
      '<4>2026-01-02T03:04:05.000Z warning held back\n',
      '<6>2026-01-02T03:04:05.000Z info    in sync\n',
    ]);
  });

  it('JSON under the journal: the prefix, then a line that is JSON once journald takes the prefix off', () => {
    const out = lines('json', true);
    expect(out.map((l) => l.slice(0, 3))).toEqual(['<3>', '<4>', '<6>']);
    expect(JSON.parse(out[0]!.slice(3))).toEqual({
      time: '2026-01-02T03:04:05.000Z',
      level: 'error',
      event: 'repair-failed',
      message: 'could not add 192.0.2.10/32',
      vip: '192.0.2.10',
    });
  });

  it('elsewhere (a terminal, a file, a pipe), lines carry no prefix', () => {
    expect(lines('json', false).every((l) => l.startsWith('{"time":'))).toBe(true);
    expect(lines('text', false)[1]).toBe('2026-01-02T03:04:05.000Z warning held back\n');
  });

  it('a message with a newline or an escape stays one line of its own (no forged entry, no <3> journald would file)', () => {
    const out: string[] = [];
    const logger = createLogger('text', (l) => out.push(l), true);
    logger.log('info', 'store-change', 'store key /rs-agent/hosts/a\n<3>forged error\x1b[2J: applied');
    expect(out).toEqual([
      '<6>2026-01-02T03:04:05.000Z info    store key /rs-agent/hosts/a\\n<3>forged error\\x1b[2J: applied\n',
    ]);
    const json: string[] = [];
    createLogger('json', (l) => json.push(l), false).log('info', 'store-change', 'a\n<3>b\x1b');
    expect(json).toHaveLength(1);
    expect(json[0]!.split('\n')).toEqual([expect.stringContaining('"message":"a\\n<3>b\\u001b"'), '']);
  });

  it("no line comes near journald's LineMax, where it would cut it and read a priority in the rest", () => {
    const key = `/rs-agent/groups/${'x'.repeat(49_100)}<3>forged`;
    for (const format of ['json', 'text'] as const) {
      const out: string[] = [];
      createLogger(format, (l) => out.push(l), true).log('error', 'store-invalid', `config etcd key ${key}: bad`, {
        error: key,
        revision: 7,
      });
      expect(out).toHaveLength(1);
      expect(out[0]!.length).toBeLessThan(16_384);
      expect(out[0]).not.toContain('<3>forged');
      expect(out[0]).toContain('... (45');
      if (format === 'json') expect(JSON.parse(out[0]!.slice(3)).revision).toBe(7);
    }
  });
});
