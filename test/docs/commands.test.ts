import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, GLOBAL_OPTIONS } from '../../src/cli/spec.js';

// The README's command table and rs-agent(8) name every command and option of the command line
// (src/cli/spec.ts, which the parser is built from) and no other.

const ROOT = join(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

// The man page's entries under one .SH, each as [first word, text with groff's \- as -].
function manEntries(section: string): [string, string][] {
  const text = read('deb/rs-agent.8').replaceAll('\\-', '-');
  const body = text.split(/^\.SH /m).find((s) => s.startsWith(`${section}\n`)) ?? '';
  return body
    .split(/^\.TP\n/m)
    .slice(1)
    .map((entry) => [/^\.B[RI]? "?([\w-]+)/.exec(entry)?.[1] ?? '', entry]);
}

// The README's command table: rows whose first cell is `rs-agent NAME ...`.
function readmeRows(): [string, string][] {
  return [...read('README.md').matchAll(/^\| `rs-agent ([\w-]+)([^`]*)` \|/gm)].map((m) => [
    m[1] as string,
    m[2] as string,
  ]);
}

// Each option as a user writes it: a boolean that defaults to true is given as --no-NAME.
const optionsOf = (name: string) =>
  Object.entries(COMMANDS.find((c) => c.name === name)?.options ?? {}).map(([option, spec]) =>
    spec.type === 'boolean' && spec.default === true ? `no-${option}` : option,
  );

describe('rs-agent(8) and the README against the command line', () => {
  it('the man page has an entry for every command, naming each of its options, and no other', () => {
    const entries = manEntries('COMMANDS');
    expect(entries.map(([name]) => name).sort()).toEqual(COMMANDS.map((c) => c.name).sort());
    for (const [name, text] of entries) {
      for (const option of optionsOf(name)) expect(text, `${name} --${option}`).toContain(`--${option}`);
    }
  });

  it("the man page's OPTIONS are the global ones, with --help and --version", () => {
    const names = manEntries('OPTIONS').map(([, text]) => /--([\w-]+)/.exec(text)?.[1]);
    expect(names.sort()).toEqual([...Object.keys(GLOBAL_OPTIONS), 'help', 'version'].sort());
  });

  it("the README's command table has a row for every command, naming each of its options", () => {
    const rows = readmeRows();
    expect(rows.map(([name]) => name).sort()).toEqual(COMMANDS.map((c) => c.name).sort());
    for (const [name, usage] of rows) {
      for (const option of optionsOf(name)) expect(usage, `${name} --${option}`).toContain(`--${option}`);
    }
  });
});
