// Template placeholders left in a script that config management renders before
// installing it: Jinja/Ansible/Go `{{ vip }}` (and `${{ vip }}`), ERB `<%= @vip %>`;
// `-` trims (`{{- vip -}}`, `<%- x -%>`). What the regular expression
// /\$?\{\{-?\s*(.*?)\s*-?\}\}|<%=?-?\s*(.*?)\s*-?%>/ would find, found by searching for
// the delimiters instead: the expression's lazy .*? reads to the end of the line again
// for every opening left unclosed, and a line of 5 000 `{{` took seconds per pass.

interface Placeholder {
  start: number;
  end: number; // after the closing delimiter
  inner: string; // between the delimiters, without the trim marks and blanks
}

interface Kind {
  open: string;
  close: string;
  dollar: boolean; // ${{ ... }} is one placeholder
  equals: boolean; // <%= ... %>
}

const KINDS: Kind[] = [
  { open: '{{', close: '}}', dollar: true, equals: false },
  { open: '<%', close: '%>', dollar: false, equals: true },
];

const BLANK = /\s/;
const LINE_BREAK = /[\n\r\u2028\u2029]/;

// The first placeholder in the text, as written, with the name it stands for when
// that is a plain name (`vip`, `@vip`, `lvs.vip`).
export function findPlaceholder(text: string): { placeholder: string; name: string | null } | null {
  const p = new Finder(text).next(0);
  if (!p) return null;
  const inner = p.inner.replace(/^@/, '');
  return { placeholder: text.slice(p.start, p.end), name: /^[A-Za-z_][\w.]*$/.test(inner) ? inner : null };
}

// The script with each placeholder whose name has a value put in its place.
export function fillPlaceholders(script: string, values: ReadonlyMap<string, string>): string {
  if (values.size === 0) return script;
  const finder = new Finder(script);
  let out = '';
  let from = 0;
  for (let p = finder.next(0); p; p = finder.next(from)) {
    out += script.slice(from, p.start) + (values.get(p.inner.replace(/^@/, '')) ?? script.slice(p.start, p.end));
    from = p.end;
  }
  return out + script.slice(from);
}

// Finds the placeholders of a text in order. Each kind's next match is kept until the
// search passes it; a kind with none left is not searched again. Every position is
// passed over a bounded number of times: linear in the text.
class Finder {
  private readonly found: (Placeholder | null | undefined)[] = KINDS.map(() => undefined);

  constructor(private readonly text: string) {}

  next(from: number): Placeholder | null {
    let best: Placeholder | null = null;
    KINDS.forEach((kind, k) => {
      let p = this.found[k];
      if (p === undefined || (p !== null && p.start < from)) p = this.found[k] = this.search(kind, from);
      if (p && (!best || p.start < best.start)) best = p;
    });
    return best;
  }

  // The first opening at or after `from` that closes: after the opening, blanks (line
  // breaks too) and a trim mark; then the inner text, which stays on one line; then
  // blanks, a trim mark and the first closing after it.
  private search(kind: Kind, from: number): Placeholder | null {
    const text = this.text;
    let close = -1;
    let lineBreak = -1;
    for (let open = text.indexOf(kind.open, from); open >= 0; open = text.indexOf(kind.open, open + 1)) {
      let b = open + 2;
      if (kind.equals && text[b] === '=') b++;
      if (text[b] === '-') b++;
      while (b < text.length && BLANK.test(text[b] as string)) b++;
      if (close < b) close = text.indexOf(kind.close, b);
      if (close < 0) return null; // no closing after this opening, nor after any later one
      let c = close; // where the inner text ends: before the blanks and trim mark
      if (c > b && text[c - 1] === '-') c--;
      while (c > b && BLANK.test(text[c - 1] as string)) c--;
      if (lineBreak < b) lineBreak = indexOfLineBreak(text, b);
      if (lineBreak < c) continue; // the inner text would cross a line
      const start = kind.dollar && open > from && text[open - 1] === '$' ? open - 1 : open;
      return { start, end: close + 2, inner: text.slice(b, c) };
    }
    return null;
  }
}

// The first line break at or after `from`, or the text's length.
function indexOfLineBreak(text: string, from: number): number {
  let i = from;
  while (i < text.length && !LINE_BREAK.test(text[i] as string)) i++;
  return i;
}
