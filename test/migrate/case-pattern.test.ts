import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Budget, ScriptBoundError } from '../../src/migrate/bounds.js';
import { caseBranch, caseWord, matchesPattern } from '../../src/migrate/case-pattern.js';

// The case pattern matcher: sh's glob rules, with work that grows with the pattern's
// length times the word's at most, paid for from the import's budget.

const matches = (pattern: string, word: string) => matchesPattern(pattern, word, new Budget());

// The same glob as a regular expression: fine as a reference on short inputs.
function reference(glob: string, word: string): boolean {
  let regex = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') regex += '.*';
    else if (c === '?') regex += '.';
    else if (c === '[' && glob.indexOf(']', i + 2) > 0) {
      const end = glob.indexOf(']', i + 2);
      const body = glob.slice(i + 1, end);
      regex += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
      i = end;
    } else regex += c.replace(/[.+^${}()|\\[\]]/g, '\\$&');
  }
  return new RegExp(`^${regex}$`, 's').test(word);
}

describe('case patterns', () => {
  it('reads the patterns init scripts use', () => {
    expect(matches('start', 'start')).toBe(true);
    expect(matches('start|restart', 'restart')).toBe(true);
    expect(matches("'start'", 'start')).toBe(true);
    expect(matches('"stop"', 'start')).toBe(false);
    expect(matches('*', 'start')).toBe(true);
    expect(matches('st*', 'start')).toBe(true);
    expect(matches('st?rt', 'start')).toBe(true);
    expect(matches('st?rt', 'strt')).toBe(false);
    expect(matches('192.0.2.*', '192.0.2.10')).toBe(true);
    expect(matches('192.0.2.*', '192.0.20')).toBe(false); // . is itself, not any character
    expect(matches('[Ss]tart', 'Start')).toBe(true);
    expect(matches('[!S]tart', 'Start')).toBe(false);
    expect(matches('[a-z]*', 'start')).toBe(true);
    expect(matches('\\*', '*')).toBe(true);
    expect(matches('\\*', 'x')).toBe(false);
    expect(matches('[', '[')).toBe(true); // a [ without its ] is itself
    expect(matches('(x)', '(x)')).toBe(true);
  });

  it('agrees with a regular expression on any short pattern and word', () => {
    const glob = fc.stringMatching(/^(?:[ab*?]|\[!?[ab]+\])*$/, { maxLength: 12 });
    const word = fc.stringMatching(/^[ab]*$/, { maxLength: 12 });
    fc.assert(
      fc.property(glob, word, (g, w) => matches(g, w) === reference(g, w)),
      { numRuns: 5000 },
    );
  });

  it('25 stars against 50 characters, on which a regular expression backtracks for minutes: within 52 × 50 steps', () => {
    const budget = new Budget(52 * 50);
    expect(matchesPattern(`${'*a'.repeat(25)}*b`, 'a'.repeat(50), budget)).toBe(false);
  });

  it('a pattern too long for its word to match within the budget: the budget stops it, naming the line', () => {
    const budget = new Budget(1_000_000);
    budget.line = 7;
    let error: unknown;
    try {
      matchesPattern(`*${'a'.repeat(2000)}b`, 'a'.repeat(4000), budget);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScriptBoundError);
    expect((error as Error).message).toMatch(/^line 7: expanding this script takes more than 1000000 steps/);
  });

  it('reads `case WORD in` and `PATTERN) command` as the regular expressions it replaces did, on any short line', () => {
    const line = fc.stringMatching(/^(?:case|in|[ \t()a$"])*$/, { maxLength: 16 });
    fc.assert(
      fc.property(line, (text) => {
        expect(caseWord(text)).toBe(/^case\s+(.*)\s+in$/.exec(text)?.[1] ?? null);
        const m = /^\(?\s*([^()]*?)\s*\)\s*(.*)$/.exec(text);
        expect(caseBranch(text)).toEqual(m ? { pattern: m[1], rest: m[2] } : null);
      }),
      { numRuns: 5000 },
    );
  });
});
