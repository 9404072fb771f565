// npm run build (after tsc has checked the types): the CLI as one minified script and
// what runs it fast, in dist/cli/:
//   rs-agent.js      the bundle (esbuild), a function the loader calls with require and
//                    the module's file names; minified, so there is less to read and keep
//   rs-agent.js.map  its source map: an internal error's stack names source lines
//                    (system/stack.ts reads it, only then)
//   rs-agent.<hash>.<arch>-v8-<version>.cache
//                    V8's code cache for the bundle, made by this node after a converged
//                    check ran (build/train-cache.mjs): the loader hands it to V8, which
//                    then skips compiling what it holds
//   main.js          the entry (build/loader.cjs): reads the bundle and its cache, runs it
//   package.json     says main.js is a plain script (the project's is "type": "module"), with
//                    the name and version, which the bundle looks for above itself
//   help.txt         what yargs prints for --help, in English at full width: the bundle
//                    prints it without loading yargs where yargs would print just that
//                    (src/cli/prebuilt-usage.ts)
// Commands load their modules on demand (import() in src/cli/main.ts): in this script each
// is a function called the first time, and only the code it runs is compiled.
// node-cron reads the wall clock through src/daemon/wall-clock-format.ts here, not through
// Intl.DateTimeFormat, whose ICU locale data would stay resident in the daemon (see there).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Script } from 'node:vm';
import { EXTERNAL } from './externals.mjs';
import { trainCache } from './train-cache.mjs';

const ROOT = resolve(import.meta.dirname, '..');
// node build/bundle.mjs [DIR]: DIR instead of dist/cli (a test builds a copy elsewhere).
const OUT = resolve(process.argv[2] ?? join(ROOT, 'dist/cli'));
const BUNDLE = 'rs-agent.js';
// The bundle's import.meta.url (src/install and src/source find files beside it).
const IMPORT_META_URL = '__rsImportMetaUrl';
const WALL_CLOCK = join(ROOT, 'src/daemon/wall-clock-format.ts');
// src/cli/prebuilt-usage.ts's HELP_FILE.
const HELP_FILE = 'help.txt';

// Gives node-cron's date code WallClockFormat for Intl.DateTimeFormat, and fails the build
// when that code does not use Intl as expected (a new node-cron): it must be looked at.
let cronWallClockSeen = false;
const cronWallClock = {
  name: 'node-cron-wall-clock',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]node-cron[\\/]dist[\\/]_shared\.c?js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const uses = text.split('new Intl.DateTimeFormat(').length - 1;
      const rest = text.replaceAll('new Intl.DateTimeFormat(', '');
      if (uses !== 2 || /\bIntl\b|toLocale|localeCompare/.test(rest))
        fail(`${args.path}: not the two Intl.DateTimeFormat of node-cron 4 that WallClockFormat stands in for`);
      cronWallClockSeen = true;
      const shim = args.path.endsWith('.cjs')
        ? `var { WallClockFormat: __rsWallClockFormat } = require(${JSON.stringify(WALL_CLOCK)});`
        : `import { WallClockFormat as __rsWallClockFormat } from ${JSON.stringify(WALL_CLOCK)};`;
      return { contents: `${shim}\n${text.replaceAll('new Intl.DateTimeFormat(', 'new __rsWallClockFormat(')}` };
    });
  },
};

await bundleCli();

async function bundleCli() {
  rmSync(process.argv[2] === undefined ? join(ROOT, 'dist') : OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const result = await build({
    entryPoints: [join(ROOT, 'src/cli/main.ts')],
    outfile: join(OUT, BUNDLE),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: EXTERNAL,
    // A script cannot import(): every dynamic import becomes a require (yargs, an ES
    // module, through node's require of ES modules).
    supported: { 'dynamic-import': false },
    define: { 'import.meta.url': IMPORT_META_URL },
    minify: true,
    charset: 'ascii',
    sourcemap: 'external',
    sourcesContent: false,
    write: false,
    logLevel: 'warning',
    plugins: [cronWallClock],
  });
  if (!cronWallClockSeen) fail('node-cron was not bundled through the wall clock format: its files moved?');
  const output = (suffix) => result.outputFiles.find((f) => f.path.endsWith(suffix)).text;
  const code = output('.js');
  const map = JSON.parse(output('.js.map'));
  if (/[^\x00-\x7f]/.test(code)) fail(`${BUNDLE} is not ASCII: the loader reads it as latin1`);
  if (/\bimport\(/.test(code)) fail(`${BUNDLE} still calls import(), which a script cannot`);

  // The wrapper takes the place of the hashbang line, or of one more line, which the
  // map's generated lines then start after.
  const hashbang = code.startsWith('#!');
  const body = hashbang ? code.slice(code.indexOf('\n') + 1) : code;
  const wrapped = `(function (exports, require, module, __filename, __dirname, ${IMPORT_META_URL}) {\n${body}\n})`;
  if (!hashbang) map.mappings = `;${map.mappings}`;
  const bundlePath = join(OUT, BUNDLE);
  writeFileSync(bundlePath, wrapped);
  writeFileSync(`${bundlePath}.map`, JSON.stringify({ ...map, file: BUNDLE }));

  const cachePrefix = `rs-agent.${createHash('sha256').update(wrapped).digest('hex').slice(0, 12)}`;
  const cacheFile = join(OUT, `${cachePrefix}.${process.arch}-v8-${process.versions.v8}.cache`);
  const loader = readFileSync(join(ROOT, 'build/loader.cjs'), 'utf8')
    .replaceAll('@BUNDLE@', BUNDLE)
    .replace('@CACHE_PREFIX@', cachePrefix);
  writeFileSync(join(OUT, 'main.js'), loader);
  chmodSync(join(OUT, 'main.js'), 0o755);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const manifest = { name: pkg.name, version: pkg.version, private: true, type: 'commonjs' };
  writeFileSync(join(OUT, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  writeFileSync(join(OUT, HELP_FILE), helpText());

  // Made after a converged check ran, so that it holds what check compiles; where that
  // check cannot run, from the bare script. Named as the loader names the script: V8 keeps
  // this name for the functions it takes from the cache.
  const untrained = trainCache(OUT, cacheFile);
  if (untrained !== null) {
    process.stderr.write(`build: warning: the code cache holds only the bundle's top level: ${untrained}\n`);
    writeFileSync(cacheFile, new Script(wrapped, { filename: BUNDLE }).createCachedData());
  }
}

// What the built entry prints for --help through yargs (there is no help.txt yet): with
// LC_ALL=C, in yargs' own words, and to a pipe, at the full width. yargs is found in the
// project's node_modules wherever OUT is.
function helpText() {
  const help = spawnSync(process.execPath, [join(OUT, 'main.js'), '--help'], {
    env: { ...process.env, LC_ALL: 'C', NODE_PATH: join(ROOT, 'node_modules') },
    encoding: 'utf8',
  });
  if (help.status !== 0 || help.stderr !== '' || !help.stdout.startsWith('rs-agent <command>'))
    fail(`main.js --help exited ${help.status ?? help.signal}: ${help.stderr}${help.stdout.slice(0, 200)}`);
  return help.stdout;
}

function fail(message) {
  process.stderr.write(`build: ${message}\n`);
  process.exit(1);
}
