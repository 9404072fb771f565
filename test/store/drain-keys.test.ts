import { describe, expect, it } from 'vitest';
import { budgetSlots, fleetDrainFor, parseBudgetValue, parseDrainValue } from '../../src/store/drain-keys.js';
import type { StoreView } from '../../src/store/host-desired.js';
import { parseKey } from '../../src/store/layout.js';

const P = '/rs-agent/';
const KEY = `${P}drain/web-1`;

function view(entries: Record<string, string>): StoreView {
  return { revision: 9, entries: new Map(Object.entries(entries).map(([k, value]) => [k, { value, modRevision: 3 }])) };
}

describe('the fleet drain keys', () => {
  it('a drain value is nothing, or {"reason"}; anything else is refused naming the key, the host pooled', () => {
    expect(parseDrainValue(KEY, '')).toEqual({ reason: null });
    expect(parseDrainValue(KEY, ' \n')).toEqual({ reason: null });
    expect(parseDrainValue(KEY, '{}')).toEqual({ reason: null });
    expect(parseDrainValue(KEY, '{"reason": "kernel update"}')).toEqual({ reason: 'kernel update' });
    const refused: [string, string][] = [
      ['x'.repeat(1025), 'is larger than 1024 bytes'],
      ['yes', '"yes" is not JSON'],
      ['\u001b[2J', '"\\u001b[2J" is not JSON'],
      ['[1]', 'is not a JSON object'],
      ['{"reason": "a", "weight": 0}', '"weight" is not a known field'],
      [`{"reason": "${'r'.repeat(201)}"}`, 'reason: not a string of at most 200 characters'],
      ['{"reason": 5}', 'reason: not a string'],
    ];
    for (const [value, why] of refused) {
      const r = parseDrainValue(KEY, value);
      expect('problem' in r && r.problem).toContain(`etcd key ${KEY}: `);
      expect('problem' in r && r.problem).toContain(why);
      expect('problem' in r && r.problem).toContain('the host stays pooled');
      // Never more than 40 characters of the value.
      expect(('problem' in r && r.problem.length) || 0).toBeLessThan(300);
    }
  });

  it('a budget is N hosts or N% of the group; anything else is refused', () => {
    expect(parseBudgetValue('1')).toEqual({ count: 1 });
    expect(parseBudgetValue(' 25%\n')).toEqual({ percent: 25 });
    for (const bad of ['', 'one', '-1', '1.5', '101%', '1e3', '10 %', '1234567'])
      expect(parseBudgetValue(bad)).toHaveProperty('problem');
  });

  it('a percentage rounds down but allows one host; 0 and 0% allow none', () => {
    expect(budgetSlots({ count: 2 }, 50)).toBe(2);
    expect(budgetSlots({ percent: 10 }, 25)).toBe(2);
    expect(budgetSlots({ percent: 10 }, 5)).toBe(1);
    expect(budgetSlots({ percent: 0 }, 50)).toBe(0);
    expect(budgetSlots({ count: 0 }, 50)).toBe(0);
  });

  it("a host's drain: its key, and the budgets of the groups it is in; an invalid budget refuses its group", () => {
    const v = view({
      [KEY]: '',
      [`${P}drain/web-2`]: '{"reason": "not mine"}',
      [`${P}drain-budget/web`]: '1',
      [`${P}drain-budget/eu`]: 'lots',
      [`${P}drain-budget/db`]: '1',
    });
    const wanted = fleetDrainFor(P, 'web-1', [{ name: 'web' }, { name: 'eu' }, { name: 'all' }], v);
    expect(wanted.drain).toEqual({ reason: null });
    expect(wanted.budgets).toEqual([{ group: 'web', key: `${P}drain-budget/web`, max: { count: 1 } }]);
    expect(wanted.refusedGroups).toEqual(['eu']);
    expect(wanted.problems[0]).toMatch(/^etcd key \/rs-agent\/drain-budget\/eu: "lots" is not a number of hosts/);
    expect(fleetDrainFor(P, 'web-3', [], v).drain).toBeNull();
  });

  it('the drain keys are named by the layout; a slot key (two segments) is none of the kinds', () => {
    expect(parseKey(P, KEY)).toEqual({ kind: 'drain', name: 'web-1' });
    expect(parseKey(P, `${P}drain-budget/web`)).toEqual({ kind: 'drain-budget', name: 'web' });
    expect(parseKey(P, `${P}drain-active/web/web-1`)).toBeNull();
  });
});
