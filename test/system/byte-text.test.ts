import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBytes, encodeBytes } from '../../src/system/byte-text.js';

describe('decodeBytes / encodeBytes: bytes that need not be UTF-8, through a JS string', () => {
  it('any bytes come back as they were', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(encodeBytes(decodeBytes(Buffer.from(bytes)))).toEqual(Buffer.from(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('UTF-8 decodes as usual, U+FFFD included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(decodeBytes(Buffer.from(text))).toBe(text);
      }),
    );
    expect(decodeBytes(Buffer.from('a\ufffdb'))).toBe('a\ufffdb');
  });

  it('a byte that is not UTF-8 is U+DC80 + the byte, and JSON keeps it', () => {
    const name = decodeBytes(Buffer.from([0x76, 0xff, 0x30, 0xc3, 0xa9, 0xe2, 0x82]));
    expect(name).toBe('v\udcff0é\udce2\udc82');
    expect(JSON.parse(JSON.stringify({ name })).name).toBe(name);
    // Overlong forms and encoded surrogates are not UTF-8 either.
    expect(decodeBytes(Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80]))).toBe('\udcc0\udcaf\udced\udca0\udc80');
  });
});
