// Splits a shell script into simple statements, each with the line it starts on:
// comments dropped, backslash continuations joined, and `;`, `;;`, `&&`, `||`, `&` as
// separators (`;;` kept as a statement of its own: it ends a case branch). A single `|`
// is not split on: it also separates case patterns (start|restart).
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
    let text = lines[i] ?? '';
    while (/(^|[^\\])(\\\\)*\\$/.test(text) && i + 1 < lines.length) text = `${text.slice(0, -1)} ${lines[++i] ?? ''}`;
    for (const piece of splitLine(text)) {
      const trimmed = piece.trim();
      if (trimmed) out.push({ line: start, text: trimmed });
    }
  }
  return out;
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
    if (c === '$' && next === '(') parens++;
    if (c === ')' && parens > 0) parens--;
    if (parens > 0) {
      current += c;
      continue;
    }
    if (c === '#' && (current === '' || /\s$/.test(current))) break;
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
