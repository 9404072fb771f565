import { closeSync, openSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { importScript } from '../../src/migrate/import.js';
import { CLI } from '../helpers/netns.js';
import { useTempDir } from '../helpers/temp-dir.js';

// rs-agent import on scripts built to exhaust it, as a hostile or broken file would: each
// one gets an answer (exit 2 and the line where import stopped, or the translation),
// never a hang, an out-of-memory abort or an internal error. The CLI runs with a 128 MB
// heap, so a run that holds the script's expansion in memory fails here; the budget's
// error, not a clock, shows that the work was bounded. The vitest timeout is only there
// so that unbounded code fails instead of hanging the suite.

const tempDir = useTempDir('rsa-import-bounds-');

const HEAP_MB = 128;
const STEPS =
  /expanding this script takes more than 2000000 steps \(functions calling each other, loops\): rs-agent import stops here; translate it by hand$/;

async function importFile(file: string, signal: AbortSignal) {
  const r = await execa(process.execPath, [`--max-old-space-size=${HEAP_MB}`, CLI, 'import', file], {
    reject: false,
    cancelSignal: signal,
  });
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

function script(name: string, text: string): string {
  const file = join(tempDir(), name);
  writeFileSync(file, text);
  return file;
}

// Import stopped at the budget (exit 2, nothing printed) on a line from `first` to `last`.
function expectBudgetSpent(
  r: { exitCode?: number; stdout: string; stderr: string },
  file: string,
  first: number,
  last: number,
) {
  expect(r.exitCode).toBe(2);
  expect(r.stdout).toBe('');
  const m = new RegExp(`^rs-agent: import ${file}: line ([0-9]+): ${STEPS.source}`).exec(r.stderr);
  expect(m, r.stderr.slice(0, 500)).not.toBeNull();
  expect(Number(m?.[1])).toBeGreaterThanOrEqual(first);
  expect(Number(m?.[1])).toBeLessThanOrEqual(last);
}

describe('rs-agent import: bounds', () => {
  it('a 1 GB file: refused by its size before it is read, naming the limit', async ({ signal }) => {
    const file = join(tempDir(), 'huge.sh');
    writeFileSync(file, '#!/bin/sh\nip addr add 192.0.2.1/32 dev lo\n');
    truncateSync(file, 1024 ** 3); // sparse: costs no disk
    expect(await importFile(file, signal)).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `rs-agent: import ${file}: is 1024 MiB; rs-agent import reads at most 1 MiB (an init script is a few KB)`,
    });
  });

  it('a 200 MB line: refused by the file size, no out-of-memory', async ({ signal }) => {
    const file = join(tempDir(), 'line.sh');
    const fd = openSync(file, 'w');
    writeSync(fd, '#!/bin/sh\nVIP=');
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    for (let n = 0; n < 200; n++) writeSync(fd, chunk);
    closeSync(fd);
    expect(await importFile(file, signal)).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `rs-agent: import ${file}: is 200 MiB; rs-agent import reads at most 1 MiB (an init script is a few KB)`,
    });
  });

  it('importScript, given the text by a caller that read it: the same size bound', () => {
    const text = `#!/bin/sh\nip addr add 192.0.2.1/32 dev lo\n# ${'x'.repeat(2 * 1024 * 1024)}\n`;
    expect(() => importScript(text, 'big.sh')).toThrow(
      'import big.sh: is 2 MiB; rs-agent import reads at most 1 MiB (an init script is a few KB)',
    );
  });

  it('a line of 900 KB inside a file under 1 MiB: refused, naming the line', async ({ signal }) => {
    const long = `VIPS="${'192.0.2.1 '.repeat(90_000)}"`;
    const file = script('long-line.sh', `#!/bin/sh\n# VIPs\n${long}\nip addr add 192.0.2.1/32 dev lo\n`);
    expect(await importFile(file, signal)).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `rs-agent: import ${file}: line 3: this line is ${long.length} characters long, more than the 16384 rs-agent import reads (continuation lines included): translate it by hand`,
    });
  });

  it('200 000 continuation lines: split in one pass, then refused as one over-long line', async ({ signal }) => {
    const file = script('continued.sh', `#!/bin/sh\nip addr add 192.0.2.1/32 dev lo \\\n${'  \\\n'.repeat(200_000)}\n`);
    const r = await importFile(file, signal);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^rs-agent: import ${file}: line 2: this line is [0-9]+ characters long, more than the 16384 rs-agent import reads \\(continuation lines included\\): translate it by hand$`,
      ),
    );
  });

  it('40 functions each calling the next twice (2^40 calls): stops at the budget, naming a line among them', async ({
    signal,
  }) => {
    const defs = Array.from({ length: 39 }, (_, n) => `f${n + 1}() { f${n + 2}; f${n + 2}; }`);
    const file = script('calls.sh', `#!/bin/sh\n${defs.join('\n')}\nf40() { ip addr add 192.0.2.1/32 dev lo; }\nf1\n`);
    const r = await importFile(file, signal);
    expectBudgetSpent(r, file, 2, 41);
  });

  it('a chain of 20 000 functions, each calling the next: stops at the nesting limit, no stack overflow', async ({
    signal,
  }) => {
    const defs = Array.from({ length: 20_000 }, (_, n) => `f${n}() { f${n + 1}; }`);
    const file = script('chain.sh', `${defs.join('\n')}\nf20000() { ip addr add 192.0.2.1/32 dev lo; }\nf0\n`);
    const r = await importFile(file, signal);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    // f<n> is defined on line n + 1. Calling f0 is the first level; the 101st is f99's
    // call of f100, on line 100.
    expect(r.stderr).toBe(
      `rs-agent: import ${file}: line 100: functions and loops nest more than 100 deep here: rs-agent import stops here; translate it by hand`,
    );
  });

  it('four nested for loops over a list of 100 (10^8 passes): stops at the budget, naming a line of the loops', async ({
    signal,
  }) => {
    const list = Array.from({ length: 100 }, (_, n) => n + 1).join(' ');
    const file = script(
      'loops.sh',
      `#!/bin/sh\nL="${list}"\nfor a in $L; do\n  for b in $L; do\n    for c in $L; do\n      for d in $L; do\n` +
        '        ip addr add 192.0.2.$d/32 dev lo\n      done\n    done\n  done\ndone\n',
    );
    const r = await importFile(file, signal);
    expectBudgetSpent(r, file, 3, 7);
  });

  it('a case pattern with 25 stars against a 50-character word: matched without backtracking, translated', async ({
    signal,
  }) => {
    const file = script(
      'stars.sh',
      `#!/bin/sh\nX=${'a'.repeat(50)}\ncase "$X" in\n  ${'*a'.repeat(25)}*b) echo no ;;\n` +
        '  *) ip addr add 192.0.2.1/32 dev lo ;;\nesac\n',
    );
    const r = await importFile(file, signal);
    expect(r.stderr).toBe(`rs-agent: imported 1 VIP from ${file}`);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('  - 192.0.2.1  # line 5: *) ip addr add 192.0.2.1/32 dev lo');
  });

  it('a case pattern that opens a bracket it never closes ([): a literal, no internal error', async ({ signal }) => {
    const file = script(
      'bracket.sh',
      'case "$1" in\n  [) echo no ;;\n  start) ip addr add 192.0.2.1/32 dev lo ;;\nesac\n',
    );
    const r = await importFile(file, signal);
    expect(r.stderr).toBe(`rs-agent: imported 1 VIP from ${file}`);
    expect(r.exitCode).toBe(0);
  });

  it('matching a 14 000-character pattern against a 32 KB word is work from the same budget', async ({ signal }) => {
    const doublings = Array.from({ length: 15 }, () => 'X="$X$X"').join('\n'); // 2^15 characters
    const file = script(
      'big-case.sh',
      `#!/bin/sh\nX=a\n${doublings}\ncase "$X" in\n  *${'a'.repeat(14_000)}b) echo no ;;\nesac\n`,
    );
    const r = await importFile(file, signal);
    expectBudgetSpent(r, file, 19, 19);
  });

  it('A="$A$A" repeated 40 times: stops where the value outgrows the cap, naming that line', async ({ signal }) => {
    const doublings = Array.from({ length: 40 }, () => 'A="$A$A"').join('\n');
    const file = script('double.sh', `#!/bin/sh\nA=x\n${doublings}\nip addr add 192.0.2.1/32 dev lo\n`);
    // A is 2^n characters after line 2 + n; 2^17 is the first over 65536.
    expect(await importFile(file, signal)).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `rs-agent: import ${file}: line 19: this line expands to more than 65536 characters (a variable built from itself?): rs-agent import stops here; translate it by hand`,
    });
  });

  it('lines that patterns used to reread (blank runs in a case branch and a counted for, unclosed {{): read once', async ({
    signal,
  }) => {
    const blanks = ' '.repeat(16_000);
    const list = Array.from({ length: 30 }, (_, n) => n + 1).join(' ');
    const file = script(
      'rereads.sh',
      `#!/bin/sh\nL="${list}"\nfor z in $L; do\n  case "$z" in\n    ${blanks}x) echo no ;;\n  esac\n` +
        `  echo ${'{{ '.repeat(5000)}\n  for ((i = 0; i < 3${blanks}; i++)); do :; done\ndone\n` +
        'ip addr add 192.0.2.1/32 dev lo\n',
    );
    const r = await importFile(file, signal);
    expect(r.stderr).toBe(`rs-agent: imported 1 VIP from ${file}`);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('  - 192.0.2.1  # line 10: ip addr add 192.0.2.1/32 dev lo');
  });
});
