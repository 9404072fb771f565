import { execa } from 'execa';
import { cpSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Script } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';

// The CLI as npm run build leaves it in dist/cli (build/bundle.mjs): the entry runs the
// minified bundle with V8's code cache, and an internal error still names source lines.

const DIST = resolve(import.meta.dirname, '../../dist/cli');
const dir = mkdtempSync(join(tmpdir(), 'rsa-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = join(dir, 'rs-agent.yaml');
writeFileSync(config, 'vips: [192.0.2.10]\n', { mode: 0o600 });

// Loaded with --require before the entry: reports on stderr what V8 did with the cache
// the entry gave it.
const watchCache = join(dir, 'watch-cache.cjs');
writeFileSync(
  watchCache,
  `const vm = require('node:vm');
const Script = vm.Script;
vm.Script = class extends Script {
  constructor(source, options) {
    super(source, options);
    const given = options && options.cachedData !== undefined;
    process.stderr.write('code cache: ' + (given ? (this.cachedDataRejected ? 'rejected' : 'used') : 'none') + '\\n');
  }
};
`,
);

function validate(entry: string, preload: string) {
  return execa(process.execPath, ['--require', preload, entry, 'validate', '--config', config], { reject: false });
}

// A copy of dist/cli with the code cache changed by `change`.
function copyWith(name: string, change: (cache: string) => void): string {
  const copy = join(dir, name);
  cpSync(DIST, copy, { recursive: true });
  const cache = readdirSync(copy).find((f) => f.endsWith('.cache'));
  if (cache === undefined) throw new Error(`no code cache in ${DIST}`);
  change(join(copy, cache));
  return join(copy, 'main.js');
}

describe('the built CLI', () => {
  it('runs its bundle from the code cache made for this node', async () => {
    const r = await validate(join(DIST, 'main.js'), watchCache);
    expect(r.stderr).toBe('code cache: used');
    expect(r.stdout).toBe(`${config}: valid: 1 VIPs (1 dr, 0 tun)`);
    expect(r.exitCode).toBe(0);
  });

  it('without its code cache, or with a damaged one, compiles the bundle and runs the same', async () => {
    const without = copyWith('without', (cache) => rmSync(cache));
    const damaged = copyWith('damaged', (cache) => writeFileSync(cache, Buffer.alloc(statSync(cache).size, 7)));
    for (const [entry, said] of [
      [without, 'code cache: none'],
      [damaged, 'code cache: rejected'],
    ] as const) {
      const r = await validate(entry, watchCache);
      expect(r.stderr).toBe(said);
      expect(r.stdout).toBe(`${config}: valid: 1 VIPs (1 dr, 0 tun)`);
      expect(r.exitCode).toBe(0);
    }
  });

  it('makes its code cache after a converged check has run, so it holds what check compiles', () => {
    // build/train-cache.mjs: a cache of the bare script holds little more than its top
    // level; the build warns and falls back to one when the training check cannot run.
    const cache = readdirSync(DIST).find((f) => f.endsWith('.cache'));
    const bare = new Script(readFileSync(join(DIST, 'rs-agent.js'), 'latin1'), { filename: 'rs-agent.js' });
    expect(statSync(join(DIST, cache!)).size).toBeGreaterThan(2 * bare.createCachedData().length);
  });

  it('names source files and lines in the stack of an internal error, wherever it is installed', async () => {
    // Built elsewhere, then moved, cache and all (as a package is): V8 names the cached
    // functions' script as it was named at build time, and that name must lead to the map
    // beside the bundle where it is now, not to where it was built.
    const built = join(dir, 'built');
    const build = await execa(process.execPath, [resolve(import.meta.dirname, '../../build/bundle.mjs'), built]);
    expect(build.stderr).toBe(''); // no warning: the training check ran
    const moved = join(dir, 'installed');
    renameSync(built, moved);
    const failing = join(dir, 'stdout-fails.cjs');
    writeFileSync(
      failing,
      `${readFileSync(watchCache, 'utf8')}process.stdout.write = () => { throw new TypeError('stdout broke'); };\n`,
    );
    const r = await validate(join(moved, 'main.js'), failing);
    expect(r.stderr).toMatch(/^code cache: used$/m);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^rs-agent: internal error \(please report\): TypeError: stdout broke$/m);
    expect(r.stderr).toMatch(/^ {4}at \S+ \(src\/cli\/common\.ts:\d+:\d+\)$/m);
    expect(r.stderr).toMatch(/^ {4}at (async )?\S+ \(src\/cli\/validate\.ts:\d+:\d+\)$/m);
    expect(r.stderr).not.toMatch(/\.js:\d+/);
  });

  it('prints --version and --help without loading yargs, as yargs prints them', async () => {
    // A copy in a temporary directory, where yargs cannot be found, and with NODE_PATH, where it can.
    const entry = copyWith('usage', () => undefined);
    const help = readFileSync(join(DIST, 'help.txt'), 'utf8');
    const run = (args: string[], env: Record<string, string> = {}) =>
      execa(process.execPath, [entry, ...args], { reject: false, env: { LC_ALL: 'C', ...env } });
    const version = `${(JSON.parse(readFileSync(join(DIST, 'package.json'), 'utf8')) as { version: string }).version}\n`;
    expect((await run(['--version'])).stdout + '\n').toBe(version);
    const fast = await run(['--help']);
    expect([fast.stdout + '\n', fast.stderr, fast.exitCode]).toEqual([help, '', 0]);
    // A command's help is yargs' alone.
    expect((await run(['check', '--help'])).stderr).toMatch(/Cannot find module 'yargs'/);
    // The text is what yargs prints, in English and to a pipe, wherever the locale is English.
    const withYargs = { NODE_PATH: resolve(import.meta.dirname, '../../node_modules') };
    rmSync(join(dirname(entry), 'help.txt'));
    expect((await run(['--help'], withYargs)).stdout + '\n').toBe(help);
    for (const LANG of ['en_GB.UTF-8', 'POSIX'])
      expect(
        (
          await execa(process.execPath, [join(DIST, 'main.js'), '--help'], {
            env: { LC_ALL: '', LC_MESSAGES: '', LANG },
          })
        ).stdout + '\n',
      ).toBe(help);
    // Elsewhere yargs answers, in its translation.
    const german = await execa(process.execPath, [join(DIST, 'main.js'), '--help'], { env: { LC_ALL: 'de_DE.UTF-8' } });
    expect(german.stdout).toMatch(/Hilfe anzeigen/);
  });

  it('writes all of a long output to a pipe whose reader is slow before it ends', async () => {
    // import prints 6000 VIPs' YAML, some 500 KB: the pipe takes 64 KiB of it at once.
    const script = join(dir, 'lvsdrrip-6000');
    const up = Array.from(
      { length: 6000 },
      (_, i) => `ifconfig lo:${i} 198.18.${i >> 8}.${i & 255} netmask 255.255.255.255 up`,
    );
    writeFileSync(script, `#!/bin/sh\ncase "$1" in\nstart)\n${up.join('\n')}\n;;\nesac\n`);
    const entry = join(DIST, 'main.js');
    const whole = (await execa(process.execPath, [entry, 'import', script])).stdout;
    const slow = await execa('sh', [
      '-c',
      `"$0" "$1" import "$2" | (sleep 0.5; wc -c)`,
      process.execPath,
      entry,
      script,
    ]);
    expect(Number(slow.stdout.trim())).toBe(Buffer.byteLength(`${whole}\n`));
  });

  it('runs node-cron without Intl.DateTimeFormat: validate asks it when a schedule next fires', async () => {
    // node-cron's own code would construct one (and with it load ICU's locale data, which
    // then stays resident in the daemon); the bundle gives it WallClockFormat instead.
    const noIntl = join(dir, 'no-intl.cjs');
    writeFileSync(
      noIntl,
      `Intl.DateTimeFormat = function () { throw new Error('Intl.DateTimeFormat constructed'); };\n`,
    );
    const scheduled = join(dir, 'scheduled.yaml');
    writeFileSync(scheduled, 'vips: [192.0.2.10]\ndrift: {schedule: "0 0 29 2 mon"}\n', { mode: 0o600 });
    const r = await execa(
      process.execPath,
      ['--require', noIntl, join(DIST, 'main.js'), 'validate', '--config', scheduled],
      {
        reject: false,
      },
    );
    // The first Monday 29 February from now is in 2044: found by node-cron's date walk.
    expect(r.stderr).toMatch(/node-cron, which runs it, would first fire it at 2044-02-(28|29)T.*Z, more than 8 years/);
    expect(r.exitCode).toBe(2);
    expect((await validate(join(DIST, 'main.js'), noIntl)).stdout).toBe(`${config}: valid: 1 VIPs (1 dr, 0 tun)`);
  });
});
