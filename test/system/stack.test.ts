import { execa } from 'execa';
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'rsa-stack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Bundled as the CLI is (one file, a source map beside it), the stack names source lines.
async function bundle(sourcemap: boolean): Promise<string> {
  const outfile = join(dir, sourcemap ? 'with-map.js' : 'without-map.js');
  await build({
    entryPoints: [resolve(import.meta.dirname, 'fixtures/throws.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    sourcemap,
    sourcesContent: false,
    logLevel: 'silent',
  });
  return outfile;
}

describe('readable stack of an internal error', () => {
  it('maps bundle positions to source files and lines through the map beside the bundle', async () => {
    const { stdout } = await execa(process.execPath, [await bundle(true)]);
    expect(stdout).toMatch(/^Error: a bug$/m);
    expect(stdout).toMatch(/at failDeepInside \(test\/system\/fixtures\/throws\.ts:4:9\)/);
    expect(stdout).not.toMatch(/with-map\.js:\d+/);
  });

  it('leaves the stack as it is when there is no map', async () => {
    const file = await bundle(false);
    const { stdout } = await execa(process.execPath, [file]);
    expect(stdout).toMatch(/without-map\.js:\d+:\d+/);
  });
});
