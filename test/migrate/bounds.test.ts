import { closeSync, openSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { importScript } from '../../src/migrate/import.js';
import { CLI } from '../helpers/netns.js';
import { useTempDir } from '../helpers/temp-dir.js';

// rs-agent import on files built to exhaust it, as a hostile or broken file would: each
// one gets an answer (exit 2 and what was wrong, with the line when it is one line),
// never a hang, an out-of-memory abort or an internal error. The CLI runs with a 128 MB
// heap, so a run that holds the file in memory fails here. The vitest timeout is only
// there so that unbounded code fails instead of hanging the suite.

const tempDir = useTempDir('rsa-import-bounds-');

const HEAP_MB = 128;
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
});
