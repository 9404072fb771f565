import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The VM scenarios report command output as JSON strings built by a shell function
// (test/e2e/guest/lib/json.sh), not by jq: whatever it quotes must come back unchanged
// from JSON.parse on the host.
const LIB = fileURLToPath(new URL('../e2e/guest/lib/json.sh', import.meta.url));

function quoted(texts: string[], locale = 'C'): string[] {
  const out = execFileSync('bash', ['-c', `. "$0"; for t in "$@"; do json_string "$t"; echo; done`, LIB, ...texts], {
    env: { PATH: process.env.PATH, LC_ALL: locale },
  });
  return out.toString('utf8').split('\n').slice(0, -1);
}

describe("json_string, the VM scenarios' JSON quoting", () => {
  it('gives back every control character, quote and backslash, and UTF-8 text, through JSON.parse', () => {
    const every = Array.from({ length: 127 }, (_, i) => String.fromCharCode(i + 1)).join('');
    const texts = [
      '',
      'plain',
      every,
      'a"b\\c\\\\"d',
      '~ sysctl net.ipv4.conf.all.arp_ignore: 0 → 1\n+ route 192.0.2.100/32 dev lo',
      '\x1b[31mred\x1b[0m\r\n\t\b\f',
      '\\u0041 is not A',
      '\n\n',
    ];
    for (const locale of ['C', 'C.UTF-8']) {
      const lines = quoted(texts, locale);
      expect(lines).toHaveLength(texts.length);
      expect(lines.map((l) => JSON.parse(l))).toEqual(texts);
    }
  });

  it('escapes what JSON forbids raw: no control character is left in its output', () => {
    const [line] = quoted([Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join('')]);
    expect(line).not.toMatch(/[\x00-\x1f]/);
    expect(line).toContain('\\u001f');
  });
});
