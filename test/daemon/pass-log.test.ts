import { describe, expect, it } from 'vitest';
import type { ReconcileResult } from '../../src/agent.js';
import type { Config } from '../../src/config/types.js';
import type { Fields, Level } from '../../src/daemon/log.js';
import { logPass } from '../../src/daemon/pass-log.js';
import type { PassResult, RanChange } from '../../src/daemon/pass-result.js';
import { initialStats } from '../../src/daemon/stats.js';
import { address } from '../helpers/changes.js';

const config = { drift: { flap: { windowMs: 60_000 } } } as Config;
const KILLED = 'ip -batch: killed after 10 s (the command timeout)';

function ran(i: number, error: string, status: RanChange['status'] = 'failed'): RanChange {
  return { change: { ...address, target: `10.0.${i >> 8}.${i & 255}/32 dev lo` }, status, error, repair: false };
}

function pass(changes: RanChange[]): PassResult {
  return {
    triggers: ['store'],
    startedAt: 0,
    endedAt: '2030-01-01T00:00:00.000Z',
    durationMs: 10_000,
    reconcile: { conflicts: [], problems: [] } as unknown as ReconcileResult,
    ran: changes,
    trips: [],
    released: [],
  } as unknown as PassResult;
}

function logged(p: PassResult, failing: string[] = []) {
  const lines: { level: Level; event: string; message: string; fields?: Fields }[] = [];
  const before = { ...initialStats(1, new Date(0), 'c'), failing };
  logPass({ log: (level, event, message, fields) => lines.push({ level, event, message, fields }) }, p, before, config);
  return lines;
}

describe('the log of a pass whose changes failed', () => {
  it('a batch killed with 20 000 VIPs in it is one line naming how many, the first ten and the error', () => {
    const changes = Array.from({ length: 20_000 }, (_, i) => ran(i, KILLED));
    const lines = logged(pass(changes));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warning', event: 'change-failed' });
    expect(lines[0]!.message).toMatch(
      /^could not change 20000 items \(address 10\.0\.0\.0\/32 dev lo, .* and 19990 more\): ip -batch: killed/,
    );
    expect(lines[0]!.fields).toMatchObject({ items: 20_000, item: 'address 10.0.0.0/32 dev lo', error: KILLED });
  });

  it('failures with errors of their own, and up to three alike, keep a line each; applied changes too', () => {
    const changes = [
      ran(1, 'RTNETLINK answers: File exists'),
      ran(2, 'RTNETLINK answers: Permission denied'),
      ran(3, KILLED),
      ran(4, KILLED),
      ran(5, KILLED),
      ran(6, '', 'applied'),
    ];
    const lines = logged(pass(changes));
    expect(lines.map((l) => [l.event, l.fields?.item])).toEqual([
      ['change-failed', 'address 10.0.0.1/32 dev lo'],
      ['change-failed', 'address 10.0.0.2/32 dev lo'],
      ['change-failed', 'address 10.0.0.3/32 dev lo'],
      ['change-failed', 'address 10.0.0.4/32 dev lo'],
      ['change-failed', 'address 10.0.0.5/32 dev lo'],
      ['change', 'address 10.0.0.6/32 dev lo'],
    ]);
  });

  it('the grouped line is an error when the same items failed on the last pass too', () => {
    const changes = Array.from({ length: 5 }, (_, i) => ran(i, KILLED));
    const lines = logged(pass(changes), ['address 10.0.0.0/32 dev lo']);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('error');
  });
});
