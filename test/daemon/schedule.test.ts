import { describe, expect, it } from 'vitest';
import { scheduleProblem } from '../../src/daemon/schedule.js';

// drift.schedule as node-cron, which runs it, sees it: impossible dates and schedules
// that never fire (or not for years) are refused before `run` would hang on them.
const NOW = new Date('2026-12-06T12:00:00Z');

describe('scheduleProblem', () => {
  it.each(['*/30 * * * * *', '0 */5 * * *', '0 0 29 2 *', '0 0 L 2 *', '0 0 31 1,3 *', '@daily'])(
    '%j runs',
    (expression) => {
      expect(scheduleProblem(expression, NOW)).toBeNull();
    },
  );

  it.each([
    ['* * 31 2 *', 'says: 31 2 is an impossible day of month for the given month'],
    ['0 0 30 2 *', 'says: 30 2 is an impossible day of month for the given month'],
    ['0 0 31 4,6 *', 'says: 31 4,6 is an impossible day of month for the given month'],
    ['0 0 29 2 mon', /^would first fire it at 2044-02-(28|29)T.*Z, more than 8 years from now$/], // local midnight
    ['0 0 28 2 1#5', 'finds no time it fires'], // the 28th is never February's fifth Monday
  ])('%j: %s', (expression, problem) => {
    expect(scheduleProblem(expression, NOW)).toMatch(problem);
  });
});
