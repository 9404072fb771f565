// Bundles the CLI into the one file package.json's bin points at (dist/cli/main.js),
// replacing the entry tsc wrote. A cron `check` then reads one file instead of
// resolving and loading dozens of modules; commands stay lazily evaluated inside it.
// yargs stays external: it is loaded only for help and unusual argument forms, and
// it finds its locale files and package.json relative to its own install.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/main.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['yargs'],
  allowOverwrite: true,
  logLevel: 'warning',
});
