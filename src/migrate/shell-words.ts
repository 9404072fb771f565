// Turns one statement into words the way sh would for the simple cases init scripts
// use: quotes, backslashes, $NAME / ${NAME} / ${NAME:-default} expanded from the
// variables seen so far (unquoted expansions split on blanks), bash arrays (kept in the
// same map as NAME[0], NAME[1] ...: ${A[@]}, "${A[@]}", ${A[*]}, ${A[i]}, ${#A[@]},
// ${!A[@]}), positional parameters (kept as 1, 2 ... and # when known), and
// redirections taken out. What cannot be known without running the script (command substitution,
// positional parameters, unset variables) is listed in `unresolved`. The work is paid
// for from the import's budget, and what the expansions add is capped (MAX_EXPANSION).

import type { Budget } from './bounds.js';

export interface Redirect {
  op: string; // >, >>, <, >& ...
  target: string;
}

export interface Words {
  words: string[];
  redirects: Redirect[];
  unresolved: string[];
  defaulted: { param: string; value: string }[]; // ${1:-x} with $1 not given: x taken
}

export function expandWords(text: string, vars: ReadonlyMap<string, string>, budget: Budget): Words {
  const words: string[] = [];
  const redirects: Redirect[] = [];
  const unresolved: string[] = [];
  const defaulted: { param: string; value: string }[] = [];
  let word = '';
  let started = false;
  let quoted = false; // the word has a quoted part: "1">file is a word and a redirection
  let pendingRedirect: string | null = null;
  let expanded = 0; // characters the expansions have added so far

  // Counts an expansion's value before it is added to the words.
  const grow = (value: string) => {
    expanded += value.length;
    budget.spend(value.length);
    budget.expanded(expanded);
  };

  const finish = () => {
    if (!started) return;
    if (pendingRedirect !== null) {
      redirects.push({ op: pendingRedirect, target: word });
      pendingRedirect = null;
    } else {
      words.push(word);
    }
    word = '';
    started = false;
    quoted = false;
  };
  const lookup = (name: string, fallback?: string): string => {
    const value = get(vars, name);
    if (value !== undefined && (value !== '' || fallback === undefined)) return value;
    if (fallback !== undefined) {
      if (/^[0-9]+$/.test(name)) defaulted.push({ param: name, value: fallback });
      return fallback;
    }
    unresolved.push(/^([A-Za-z_]\w*|[0-9])$/.test(name) ? `$${name}` : `\${${name}}`);
    return '';
  };
  // ${A[@]}, ${A[*]}, $@, $*: the elements, or null (and noted) when unknown.
  const elements = (name: string, shown: string): string[] | null => {
    const list = name === '@' || name === '*' ? positionals(vars, budget) : arrayElements(vars, name, budget);
    if (list === null) unresolved.push(shown);
    return list;
  };
  // Reads a $-expansion at i (text[i] === '$'); returns its value, the next index and,
  // for the forms that expand to several words when quoted ("$@", "${A[@]}"), the words.
  const dollar = (i: number): [string, number, string[]?] => {
    const rest = text.slice(i + 1);
    // The patterns below for ${...}, $(...) and $((...)) may read up to the end of the line.
    if (rest[0] === '{' || rest[0] === '(') budget.spend(rest.length);
    let m = /^\{([A-Za-z_]\w*|[0-9]+)(?:\[([^\]]*)\])?(:?-([^}]*))?\}/.exec(rest);
    if (m) {
      const [whole, name = '', index, dash, fallback] = m;
      const next = i + 1 + whole.length;
      const def = dash ? (fallback ?? '') : undefined;
      if (index === '@' || index === '*') {
        const list = elements(name, `$${whole}`) ?? [];
        return [list.join(' '), next, index === '@' ? list : undefined];
      }
      if (index === undefined) return [lookup(name, def), next];
      const n = arithmetic(index, vars, budget);
      if (n === null) {
        unresolved.push(`$${whole}`);
        return ['', next];
      }
      return [lookup(`${name}[${n}]`, def), next];
    }
    m = /^\{([#!])([A-Za-z_]\w*)\[[@*]\]\}/.exec(rest);
    if (m) {
      const list = arrayIndices(vars, m[2] as string, budget);
      if (list === null) unresolved.push(`$${m[0]}`);
      const value = m[1] === '#' ? String(list?.length ?? 0) : (list ?? []).join(' ');
      return [value, i + 1 + m[0].length, m[1] === '!' ? (list ?? []).map(String) : undefined];
    }
    m = /^[A-Za-z_]\w*/.exec(rest);
    if (m) return [lookup(m[0]), i + 1 + m[0].length];
    m = /^[1-9]/.exec(rest);
    if (m) return [lookup(m[0]), i + 2];
    if (rest[0] === '@' || rest[0] === '*') {
      const list = elements(rest[0], `$${rest[0]}`) ?? [];
      return [list.join(' '), i + 2, rest[0] === '@' ? list : undefined];
    }
    if (rest[0] === '#' && vars.has('#')) return [vars.get('#') as string, i + 2];
    m = /^\(\((.*?)\)\)/.exec(rest);
    if (m) {
      const n = arithmetic(m[1] as string, vars, budget);
      if (n !== null) return [String(n), i + 1 + m[0].length];
    }
    m = /^\((.*?)\)/.exec(rest);
    if (m) {
      unresolved.push(`$(${m[1]})`);
      return ['', i + 1 + m[0].length];
    }
    m = /^([0-9@*#?$!-]|\{[^}]*\})/.exec(rest);
    if (m) {
      unresolved.push(`$${m[0]}`);
      return ['', i + 1 + m[0].length];
    }
    return ['$', i + 1];
  };

  for (let i = 0; i < text.length;) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      finish();
      i++;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      word += text.slice(i + 1, end < 0 ? undefined : end);
      started = true;
      quoted = true;
      i = end < 0 ? text.length : end + 1;
    } else if (c === '"') {
      started = true;
      quoted = true;
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1] as string)) {
          word += text[i + 1];
          i += 2;
        } else if (text[i] === '$') {
          const [value, next, list] = dollar(i);
          grow(value);
          if (list) {
            // "${A[@]}": one word per element (none when empty).
            list.forEach((element, n) => {
              if (n > 0) {
                finish();
                started = true;
                quoted = true;
              }
              word += element;
            });
            if (list.length === 0 && word === '' && text[next] === '"') started = false;
          } else {
            word += value;
          }
          i = next;
        } else {
          const run = runAt(QUOTED_PLAIN, text, i) || (text[i] as string);
          word += run;
          i += run.length;
        }
      }
      i++;
    } else if (c === '\\') {
      word += text[i + 1] ?? '';
      started = true;
      i += 2;
    } else if (c === '`') {
      const end = text.indexOf('`', i + 1);
      unresolved.push(text.slice(i, end < 0 ? undefined : end + 1));
      started = true;
      i = end < 0 ? text.length : end + 1;
    } else if (c === '$') {
      const [value, next] = dollar(i);
      grow(value);
      // Unquoted: the value splits into words on blanks.
      const parts = value.split(/\s+/);
      parts.forEach((part, n) => {
        if (n > 0) finish();
        word += part;
        if (part !== '') started = true;
      });
      i = next;
    } else if (c === '>' || c === '<') {
      // A bare number or & right before it names the descriptor (2>, &>); anything else is a word.
      let fd = '';
      if (started && !quoted && /^[0-9&]+$/.test(word)) {
        fd = word;
        word = '';
        started = false;
      } else {
        finish();
      }
      const m = /^[<>]{1,2}&?/.exec(text.slice(i)) as RegExpExecArray;
      const op = `${fd}${m[0]}`;
      i += m[0].length;
      // `2>&1`: the target is a descriptor, glued on.
      const target = /^[0-9-]+/.exec(text.slice(i));
      if (op.endsWith('&') && target) {
        redirects.push({ op, target: target[0] });
        i += target[0].length;
      } else {
        pendingRedirect = op;
      }
    } else {
      const run = runAt(PLAIN, text, i);
      word += run;
      started = true;
      i += run.length;
    }
  }
  finish();
  return { words, redirects, unresolved, defaulted };
}

// Characters that stand for themselves, unquoted and inside double quotes: taken a run
// at a time, since adding to the word one character at a time made a long line slow.
const PLAIN = /[^\s'"\\`$<>]+/y;
const QUOTED_PLAIN = /[^"\\$]+/y;

function runAt(pattern: RegExp, text: string, i: number): string {
  pattern.lastIndex = i;
  return pattern.exec(text)?.[0] ?? '';
}

// A variable's value: NAME is also NAME[0] and NAME[0] also NAME, as in bash.
function get(vars: ReadonlyMap<string, string>, name: string): string | undefined {
  const value = vars.get(name);
  if (value !== undefined) return value;
  if (name.endsWith('[0]')) return vars.get(name.slice(0, -3));
  return /^[A-Za-z_]\w*$/.test(name) ? vars.get(`${name}[0]`) : undefined;
}

// An array's indices in order, or null when the array is not set at all. It looks
// through every variable: paid for by the number of them.
export function arrayIndices(vars: ReadonlyMap<string, string>, name: string, budget: Budget): number[] | null {
  budget.spend(vars.size);
  const indices: number[] = [];
  for (const key of vars.keys()) {
    const m = /^([A-Za-z_]\w*)\[([0-9]+)\]$/.exec(key);
    if (m && m[1] === name) indices.push(Number(m[2]));
  }
  if (indices.length === 0) return vars.has(name) ? [0] : null;
  return indices.sort((a, b) => a - b);
}

function arrayElements(vars: ReadonlyMap<string, string>, name: string, budget: Budget): string[] | null {
  return arrayIndices(vars, name, budget)?.map((n) => get(vars, `${name}[${n}]`) ?? '') ?? null;
}

// $1 .. $N when the parameters are known ($# is set), else null.
function positionals(vars: ReadonlyMap<string, string>, budget: Budget): string[] | null {
  const count = vars.get('#');
  if (count === undefined) return null;
  budget.spend(Number(count));
  return Array.from({ length: Number(count) }, (_, n) => vars.get(String(n + 1)) ?? '');
}

// The integer arithmetic init scripts use for array indices and loop bounds:
// numbers, variables ($i, i, ${#A[@]}), + and -. Anything else is null.
export function arithmetic(expression: string, vars: ReadonlyMap<string, string>, budget: Budget): number | null {
  const terms = expression.replace(/\s+/g, '').split(/(?=[+-])/);
  let sum = 0;
  for (const term of terms) {
    const m = /^([+-]?)(?:([0-9]+)|\$?\{?([A-Za-z_]\w*)\}?|\$\{#([A-Za-z_]\w*)\[[@*]\]\})$/.exec(term);
    if (!m) return null;
    let value: number;
    if (m[2] !== undefined) value = Number(m[2]);
    else if (m[4] !== undefined) value = arrayIndices(vars, m[4], budget)?.length ?? 0;
    else {
      const v = get(vars, m[3] as string);
      if (v === undefined || !/^-?[0-9]+$/.test(v)) return null;
      value = Number(v);
    }
    sum += m[1] === '-' ? -value : value;
  }
  return sum;
}
