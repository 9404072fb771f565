import { describe, expect, it } from 'vitest';
import { escapeLines, escapeText } from '../../src/render/escape.js';

describe('escapeText: one line stays one line, and nothing reaches the terminal as a control', () => {
  it.each([
    [
      'plain text, é, → and 😀 stay',
      'sysctl net.ipv4.conf.vé0.arp_ignore: 0 → 1 😀',
      'sysctl net.ipv4.conf.vé0.arp_ignore: 0 → 1 😀',
    ],
    ['a newline cannot start a forged line', 'key\n<3>forged', 'key\\n<3>forged'],
    ['carriage return and tab', 'a\rb\tc', 'a\\rb\\tc'],
    ['an escape sequence', 'e\x1b[2Jc', 'e\\x1b[2Jc'],
    ['NUL, DEL and C1 controls', '\0\x7f\x9b\x85', '\\x00\\x7f\\x9b\\x85'],
    [
      'line and paragraph separators, bidi overrides',
      'a\u2028b\u2029c\u202ed\u2066',
      'a\\u2028b\\u2029c\\u202ed\\u2066',
    ],
    ['a byte that was not UTF-8', 'v\udcff0', 'v\\xff0'],
    ['another lone surrogate', 'a\ud800b', 'a\\ud800b'],
    ['backslash and quotes as they are', 'q"1\\ \'', 'q"1\\ \''],
  ])('%s', (_, text, shown) => {
    expect(escapeText(text)).toBe(shown);
  });

  it('what it returns needs no further escaping', () => {
    const once = escapeText('a\x1b\n\udcff\u202e');
    expect(escapeText(once)).toBe(once);
  });

  it('many lines at once: each escaped, joined by real newlines', () => {
    expect(escapeLines(['+ address 192.0.2.10/32 dev lo', '~ sysctl net.ipv4.conf.e\x1bc.arp_ignore: 0 → 1'])).toBe(
      '+ address 192.0.2.10/32 dev lo\n~ sysctl net.ipv4.conf.e\\x1bc.arp_ignore: 0 → 1',
    );
    expect(escapeLines(['a', 'b\nc'])).toBe('a\nb\\nc');
  });
});
