import type { Budget } from './bounds.js';

// The parts of a case statement, and whether a branch's pattern matches its word.
// Read by hand where a regular expression would try \s at every blank of a long run
// (a line of blanks took seconds per pass): every reading here is linear.

// The WORD of `case WORD in` (what /^case\s+(.*)\s+in$/ would capture), or null.
export function caseWord(text: string): string | null {
  const end = text.length - 2; // where "in" starts
  if (!/^case\s/.test(text) || !text.endsWith('in') || !/\s/.test(text[end - 1] ?? '')) return null;
  let from = 5;
  while (from < end - 1 && /\s/.test(text[from] as string)) from++;
  return from <= end - 1 ? text.slice(from, end - 1) : null;
}

// A branch's `PATTERN)` or `(PATTERN)` and the command after it on the same line (what
// /^\(?\s*([^()]*?)\s*\)\s*(.*)$/ would capture), or null.
export function caseBranch(text: string): { pattern: string; rest: string } | null {
  const from = text.startsWith('(') ? 1 : 0;
  const close = text.indexOf(')', from);
  if (close < 0) return null;
  const open = text.indexOf('(', from);
  if (open >= 0 && open < close) return null;
  const rest = text.slice(close + 1).trimStart();
  if (/[\n\r\u2028\u2029]/.test(rest)) return null;
  return { pattern: text.slice(from, close).trim(), rest };
}

// Whether a case pattern (start|restart, 'start', 192.0.2.*, *) matches the word: the
// script's own value, or "start" when the word is its action argument.
export function matchesPattern(pattern: string, word: string, budget: Budget): boolean {
  return pattern.split('|').some((alt) => matchesGlob(parseGlob(alt.trim().replace(/^["']|["']$/g, '')), word, budget));
}

// One element of a glob: any run of characters, any one character, one of a set, or itself.
type Glob = 'star' | 'any' | { set: (c: string) => boolean } | string;

// A glob as sh reads it: *, ?, [abc], [a-z], [!a] (or [^a]), and \ before a character
// that stands for itself. A [ without its ] is a plain [.
function parseGlob(text: string): Glob[] {
  const out: Glob[] = [];
  const lastClose = text.lastIndexOf(']');
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '*') {
      if (out[out.length - 1] !== 'star') out.push('star');
    } else if (c === '?') out.push('any');
    else if (c === '\\' && i + 1 < text.length) out.push(text[++i] as string);
    else if (c === '[') {
      const set = parseSet(text, i, lastClose);
      if (set) {
        out.push({ set: set.test });
        i = set.end;
      } else out.push(c);
    } else out.push(c);
  }
  return out;
}

// A bracket expression starting at text[open] === '[': a test and the index of its ].
// No ] can close it past the last one: looking no further keeps parsing linear.
function parseSet(text: string, open: number, lastClose: number): { test: (c: string) => boolean; end: number } | null {
  let i = open + 1;
  const negate = text[i] === '!' || text[i] === '^';
  if (negate) i++;
  const ranges: [string, string][] = [];
  for (let first = true; i <= lastClose; first = false, i++) {
    const c = text[i] as string;
    if (c === ']' && !first) {
      const test = (x: string) => ranges.some(([lo, hi]) => lo <= x && x <= hi) !== negate;
      return { test, end: i };
    }
    if (text[i + 1] === '-' && i + 2 < text.length && text[i + 2] !== ']') {
      ranges.push([c, text[i + 2] as string]);
      i += 2;
    } else ranges.push([c, c]);
  }
  return null;
}

// Matches by the two-pointer method: on a mismatch only the last * takes one more
// character, so the work is at most the pattern's length times the word's, never the
// exponential backtracking a regular expression can fall into on `*a*a*a...b`. Each
// step is paid for from the import's budget.
function matchesGlob(glob: Glob[], word: string, budget: Budget): boolean {
  let g = 0;
  let w = 0;
  let star = -1; // the glob index just after the last * seen
  let resume = 0; // where in the word that * stopped
  while (w < word.length) {
    budget.spend(1);
    const element = glob[g];
    if (element === 'star') {
      star = ++g;
      resume = w;
    } else if (element !== undefined && matchesOne(element, word[w] as string)) {
      g++;
      w++;
    } else if (star >= 0) {
      g = star;
      w = ++resume;
    } else return false;
  }
  while (glob[g] === 'star') g++;
  return g === glob.length;
}

function matchesOne(element: Exclude<Glob, 'star'>, c: string): boolean {
  if (element === 'any') return true;
  if (typeof element === 'string') return element === c;
  return element.set(c);
}
