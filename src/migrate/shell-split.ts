import { lineTooLong, MAX_LINE } from './bounds.js';

// Splits a shell script into simple statements, each with the line it starts on:
// comments dropped, backslash continuations joined, and `;`, `;;`, `&&`, `||`, `&` as
// separators (`;;` kept as a statement of its own: it ends a case branch). A single `|`
// is not split on: it also separates case patterns (start|restart). Heredoc bodies are
// data, not commands: they are dropped. A bash array assignment spread over several
// lines (`VIPS=(` ... `)`) is joined into one statement.
// Enough of sh for init scripts; not a shell.

export interface Statement {
  line: number; // 1-based
  text: string;
}

export function splitStatements(script: string): Statement[] {
  const out: Statement[] = [];
  const lines = script.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    const { text, last } = joinLines(lines, i);
    i = last;
    for (const heredoc of heredocs(text)) {
      // The body ends at a line that is exactly the delimiter (<<- also strips leading tabs).
      while (i + 1 < lines.length) {
        const body = lines[++i] ?? '';
        if ((heredoc.tabs ? body.replace(/^\t+/, '') : body) === heredoc.word) break;
      }
    }
    for (const piece of splitLine(text)) {
      const trimmed = piece.trim();
      if (trimmed) out.push({ line: start, text: trimmed });
    }
  }
  return out;
}

// One line with its continuation lines, and a multi-line array's lines, joined; `last`
// is the index of the last line taken. The pieces are gathered and measured first and
// joined once, so that many continuation lines cost no more than as many lines, and a
// line over MAX_LINE is refused before it is built.
function joinLines(lines: string[], first: number): { text: string; last: number } {
  const start = first + 1;
  let i = first;
  const pieces = [lines[i] ?? ''];
  let length = pieces[0]?.length ?? 0;
  const take = (piece: string) => {
    pieces.push(piece);
    length += 1 + piece.length;
  };
  while (continues(pieces[pieces.length - 1] as string) && i + 1 < lines.length) {
    pieces.push((pieces.pop() as string).slice(0, -1));
    length--;
    take(lines[++i] ?? '');
  }
  if (length > MAX_LINE) throw lineTooLong(start, length);
  const head = pieces.join(' ');
  if (/^\s*(?:(?:declare|local|readonly|typeset|export)(?:\s+-\w+)*\s+)?[A-Za-z_]\w*\+?=\([^)]*$/.test(head)) {
    // The first piece with a ) closes the array (the head has none).
    while (!(pieces[pieces.length - 1] as string).includes(')') && i + 1 < lines.length)
      take((lines[++i] ?? '').replace(/(^|\s)#.*$/, ''));
    if (length > MAX_LINE) throw lineTooLong(start, length);
  }
  return { text: pieces.join(' '), last: i };
}

// Whether a line ends in a backslash that is not itself escaped: an odd run of them.
function continues(line: string): boolean {
  let n = 0;
  while (n < line.length && line[line.length - 1 - n] === '\\') n++;
  return n % 2 === 1;
}

function splitLine(text: string): string[] {
  const pieces: string[] = [];
  let current = '';
  let quote: string | null = null;
  let parens = 0; // inside $( ... )
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    const next = text[i + 1];
    if (quote) {
      current += c;
      if (c === '\\' && quote === '"' && next !== undefined) current += text[++i];
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '\\' && next !== undefined) {
      current += c + next;
      i++;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      quote = c;
      current += c;
      continue;
    }
    if ((c === '$' && next === '(') || (c === '(' && next === '(')) parens++; // $( ) and (( )) hold ; of their own
    if (c === ')' && parens > 0) parens--;
    if (parens > 0) {
      current += c;
      continue;
    }
    if (c === '#' && (current === '' || /\s/.test(current[current.length - 1] as string))) break;
    if (c === ';' && next === ';') {
      pieces.push(current, ';;');
      current = '';
      i++;
      continue;
    }
    // `>&` and `2>&1` are redirections, not separators.
    const redirect = c === '&' && (current.endsWith('>') || next === '>');
    if (!redirect && (c === ';' || c === '&' || (c === '|' && next === '|'))) {
      pieces.push(current);
      current = '';
      if (next === c) i++;
      continue;
    }
    current += c;
  }
  pieces.push(current);
  return pieces;
}

// The heredocs a line opens, in order: <<WORD, <<-WORD, <<'WORD', <<"WORD" (not <<< strings).
function heredocs(text: string): { word: string; tabs: boolean }[] {
  const out: { word: string; tabs: boolean }[] = [];
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      quote = c;
      continue;
    }
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1] as string))) break;
    if (c !== '<' || text[i + 1] !== '<' || text[i + 2] === '<') continue;
    const m = /^<<(-?)\s*(?:'([^']*)'|"([^"]*)"|\\?([A-Za-z_0-9.-]+))/.exec(text.slice(i));
    if (m) {
      out.push({ word: (m[2] ?? m[3] ?? m[4]) as string, tabs: m[1] === '-' });
      i += m[0].length - 1;
    }
  }
  return out;
}
