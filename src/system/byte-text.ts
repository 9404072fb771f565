// The kernel takes any bytes in an interface name (but '/', ':', whitespace and NUL),
// UTF-8 or not. Node decodes what is not UTF-8 as U+FFFD, losing the byte: the name
// read from `ip -json` would then not be the device's, and its /proc/sys path would not
// exist. So command output is decoded the way Python's "surrogateescape" does: valid
// UTF-8 as usual, each other byte as the lone surrogate U+DC80 + byte, which JSON
// (the state file) keeps as "\udcff" and encodeBytes turns back into that byte.

// Bytes → text, losing nothing. Plain UTF-8 (nearly always) costs one toString.
export function decodeBytes(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  if (!text.includes('\ufffd')) return text;
  let out = '';
  let start = 0; // the valid UTF-8 run not yet copied
  for (let i = 0; i < bytes.length;) {
    const length = sequenceLength(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    out += bytes.toString('utf8', start, i) + String.fromCharCode(0xdc00 + (bytes[i] as number));
    i += 1;
    start = i;
  }
  return out + bytes.toString('utf8', start);
}

// Text → bytes: the inverse of decodeBytes (a lone U+DC80-U+DCFF is its byte again).
export function encodeBytes(text: string): Buffer {
  if (!/[\udc80-\udcff]/.test(text)) return Buffer.from(text);
  const parts: Buffer[] = [];
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    parts.push(ch.length === 1 && code >= 0xdc80 && code <= 0xdcff ? Buffer.of(code - 0xdc00) : Buffer.from(ch));
  }
  return Buffer.concat(parts);
}

// The length of the well-formed UTF-8 sequence at i (RFC 3629: no overlong forms, no
// surrogates, nothing past U+10FFFF), or 0 when the byte there starts none.
function sequenceLength(bytes: Buffer, i: number): number {
  const b0 = bytes[i] as number;
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const b = bytes[i + k];
    return b !== undefined && b >= lo && b <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}
