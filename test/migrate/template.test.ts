import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fillPlaceholders, findPlaceholder } from '../../src/migrate/template.js';

// Template placeholders are found by their delimiters, in one pass over a line: the same
// answers as the regular expression used before, without its rereading of the line.

const PLACEHOLDER = /\$?\{\{-?\s*(.*?)\s*-?\}\}|<%=?-?\s*(.*?)\s*-?%>/;

function findByRegex(text: string): { placeholder: string; name: string | null } | null {
  const m = PLACEHOLDER.exec(text);
  if (!m) return null;
  const inner = (m[1] ?? m[2] ?? '').replace(/^@/, '');
  return { placeholder: m[0], name: /^[A-Za-z_][\w.]*$/.test(inner) ? inner : null };
}

function fillByRegex(script: string, values: ReadonlyMap<string, string>): string {
  return script.replace(new RegExp(PLACEHOLDER.source, 'g'), (whole, jinja?: string, erb?: string) => {
    return values.get((jinja ?? erb ?? '').replace(/^@/, '')) ?? whole;
  });
}

describe('template placeholders', () => {
  it('finds {{ vip }}, ${{ vip }}, {{- vip -}}, <%= @vip %> and names the plain ones', () => {
    expect(findPlaceholder('VIP={{ lvs_vip }}')).toEqual({ placeholder: '{{ lvs_vip }}', name: 'lvs_vip' });
    expect(findPlaceholder('ip a a ${{ vip }}/32')).toEqual({ placeholder: '${{ vip }}', name: 'vip' });
    expect(findPlaceholder('x {{- lvs.vip -}} y')).toEqual({ placeholder: '{{- lvs.vip -}}', name: 'lvs.vip' });
    expect(findPlaceholder('VIP=<%= @vip %>')).toEqual({ placeholder: '<%= @vip %>', name: 'vip' });
    expect(findPlaceholder('VIP={{ vips | first }}')).toEqual({ placeholder: '{{ vips | first }}', name: null });
    expect(findPlaceholder('echo {{ unclosed')).toBeNull();
  });

  it('fills each named placeholder that has a value and leaves the others; blanks around the name may span lines', () => {
    const values = new Map([['vip', '192.0.2.1']]);
    expect(fillPlaceholders('a={{ vip }} b=<%= @vip %> c={{ other }}\n{{\n  vip\n}} {{ v\nip }}', values)).toBe(
      'a=192.0.2.1 b=192.0.2.1 c={{ other }}\n192.0.2.1 {{ v\nip }}',
    );
  });

  it('agrees with the regular expression on any short text', () => {
    const line = fc.stringMatching(/^(?:\{\{|\}\}|<%|%>|[-$={}<>% a@.\n\r\u2028])*$/, { maxLength: 24 });
    const values = new Map([
      ['a', 'X'],
      ['', 'E'],
    ]);
    fc.assert(
      fc.property(line, (text) => {
        expect(findPlaceholder(text)).toEqual(findByRegex(text));
        expect(fillPlaceholders(text, values)).toBe(fillByRegex(text, values));
      }),
      { numRuns: 10000 },
    );
  });
});
