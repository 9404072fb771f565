import { build } from 'esbuild';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

// A source module bundled to plain JavaScript, for a test that runs it in processes of
// its own (the build ships only the CLI bundle). Returns the file's path.
export async function bundleModule(source: string): Promise<string> {
  const outfile = join(mkdtempSync(join(tmpdir(), 'rsa-bundle-')), `${basename(source, '.ts')}.mjs`);
  await build({
    entryPoints: [resolve(source)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'silent',
    // execa's dependencies call require() in an ES module.
    banner: {
      js: "import { createRequire as __rsCreateRequire } from 'node:module'; const require = __rsCreateRequire(import.meta.url);",
    },
  });
  return outfile;
}
