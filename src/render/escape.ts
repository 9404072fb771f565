// What rs-agent prints for a person (text logs, stderr, plan/check/status, fleet status)
// carries text it did not write: interface names from the kernel, keys and status
// records from the store, values from files. Escaped here, one line stays one line: a
// newline cannot start a forged log line (nor a "<3>" that journald would take as the
// priority), and an escape sequence cannot move the cursor, recolour or clear a terminal.
// Escaped: C0 and C1 controls and DEL (\n, \r, \t, else \xHH), the line and paragraph
// separators and the bidirectional controls (\uHHHH: they reorder what a row shows),
// and bytes that were not UTF-8 (\xHH, see system/byte-text.ts). Backslash itself is
// left as is: values quoted as JSON already escape it.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');
const UNSAFE_BUT_NEWLINE = new RegExp(UNSAFE.source.replace('\\u0000-\\u001f', '\\u0000-\\u0009\\u000b-\\u001f'));
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function escapeText(text: string): string {
  if (!UNSAFE.test(text)) return text;
  return text.replace(UNSAFE_ALL, (ch, offset: number) => {
    const code = ch.charCodeAt(0);
    if (NAMED[ch]) return NAMED[ch];
    if (code < 0x100) return `\\x${hex(code, 2)}`;
    if (code >= 0xd800 && code <= 0xdfff) return escapeSurrogate(text, offset, code);
    return `\\u${hex(code, 4)}`;
  });
}

// Lines escaped each and joined by newlines; for many lines (a start of 10000 VIPs
// prints 20000) one scan of the whole first, which nearly always finds nothing to escape.
export function escapeLines(lines: readonly string[]): string {
  const text = lines.join('\n');
  const clean = !UNSAFE_BUT_NEWLINE.test(text) && !lines.some((line) => line.includes('\n'));
  return clean ? text : lines.map(escapeText).join('\n');
}

// A surrogate pair is one ordinary character (an emoji): kept. A lone surrogate in
// U+DC80-U+DCFF stands for a byte that was not UTF-8; any other lone one is shown as such.
function escapeSurrogate(text: string, offset: number, code: number): string {
  const next = text.charCodeAt(offset + 1);
  const previous = text.charCodeAt(offset - 1);
  if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) return text[offset] as string;
  if (code >= 0xdc00 && previous >= 0xd800 && previous <= 0xdbff) return text[offset] as string;
  if (code >= 0xdc80 && code <= 0xdcff) return `\\x${hex(code - 0xdc00, 2)}`;
  return `\\u${hex(code, 4)}`;
}

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}

// journald cuts a line longer than its LineMax (48 KiB by default) into entries and reads
// a priority prefix at the start of each: a store key (etcd takes 1.5 MB) placed to put
// "<3>" just past the cut would forge one. No value goes into a line whole beyond this.
const MAX_VALUE = 4096;

export function clipText(text: string): string {
  return text.length <= MAX_VALUE
    ? text
    : `${text.slice(0, MAX_VALUE)}... (${text.length - MAX_VALUE} more characters)`;
}
