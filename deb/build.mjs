#!/usr/bin/env node
// Builds dist/rs-agent_<version>_all.deb from the built bundle (npm run build), offline,
// with dpkg-deb alone: the package is laid out here as debhelper would lay it out.
// Usage: node deb/build.mjs [OUTDIR]   (npm run package:deb builds first)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { EXTERNAL } from '../build/externals.mjs';
import { configManPage } from './config-man.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const DEB = join(ROOT, 'deb');
const OUT = resolve(process.argv[2] ?? join(ROOT, 'dist'));
const LIB = 'usr/lib/rs-agent';
const BINARY = '/usr/bin/rs-agent';
const CONFFILE = 'etc/rs-agent/rs-agent.yaml';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const version = debianVersion(pkg.version);
const stage = join(OUT, 'deb-root');
const entry = join(ROOT, 'dist/cli/main.js');
if (!existsSync(entry)) fail(`${entry} is missing: run npm run build first (npm run package:deb does)`);

rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });

// The program: dist/cli as npm users run it (the entry, the bundle, its source map and code
// cache: see build/bundle.mjs), with the package.json that gives it its version, and the
// packages the bundle leaves external: yargs, and the etcd client that only the fleet path
// (source.etcd) loads.
for (const name of readdirSync(dirname(entry)).sort()) {
  const file = join(dirname(entry), name);
  put(`${LIB}/dist/cli/${name}`, readFileSync(file), name === 'main.js' ? 0o755 : 0o644);
}
put(
  `${LIB}/package.json`,
  `${JSON.stringify({ name: pkg.name, version: pkg.version, private: true, type: 'module', license: pkg.license }, null, 2)}\n`,
);
const modules = copyExternalModules(EXTERNAL);
checkCopyrightNames(modules);

// Run by Debian's node (the Depends), never by another node that comes first on PATH.
put(BINARY.slice(1), `#!/bin/sh\nexec /usr/bin/node /${LIB}/dist/cli/main.js "$@"\n`, 0o755);

for (const name of readdirSync(join(ROOT, 'units')).sort()) {
  const unit = readFileSync(join(ROOT, 'units', name), 'utf8');
  const packaged = unit.replace(/^(Exec[A-Za-z]*=[-@:+!]*)\/usr\/local\/bin\/rs-agent(?=\s|$)/gm, `$1${BINARY}`);
  if (packaged.includes('/usr/local/bin/rs-agent'))
    fail(`units/${name} names /usr/local/bin/rs-agent outside an Exec line`);
  put(`lib/systemd/system/${name}`, packaged);
}

put(CONFFILE, readFileSync(join(ROOT, 'examples/rs-agent.yaml')));
put('usr/share/man/man8/rs-agent.8.gz', gzip(join(DEB, 'rs-agent.8')));
const reference = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
put('usr/share/man/man5/rs-agent.yaml.5.gz', gzip(null, configManPage(reference)));
put('usr/share/bash-completion/completions/rs-agent', readFileSync(join(DEB, 'rs-agent.bash-completion')));
put('usr/share/doc/rs-agent/copyright', readFileSync(join(DEB, 'copyright')));
put('usr/share/doc/rs-agent/changelog.Debian.gz', gzip(join(DEB, 'changelog')));
put(
  'usr/share/doc/rs-agent/examples/prometheus/rs-agent.rules.yml',
  readFileSync(join(ROOT, 'examples/prometheus/rs-agent.rules.yml')),
);
put('usr/share/doc/rs-agent/examples/cron.d/rs-agent', readFileSync(join(ROOT, 'examples/cron.d/rs-agent')));
if (existsSync(join(DEB, 'lintian-overrides')))
  put('usr/share/lintian/overrides/rs-agent', readFileSync(join(DEB, 'lintian-overrides')));

// Control area. md5sums leaves conffiles out, as dh_md5sums does: dpkg tracks those itself.
const files = listFiles(stage);
for (const script of ['postinst', 'prerm', 'postrm']) put(`DEBIAN/${script}`, readFileSync(join(DEB, script)), 0o755);
put('DEBIAN/conffiles', `/${CONFFILE}\n`);
put(
  'DEBIAN/md5sums',
  files
    .filter((f) => f !== CONFFILE)
    .map((f) => `${md5(join(stage, f))}  ${f}\n`)
    .join(''),
);
put(
  'DEBIAN/control',
  readFileSync(join(DEB, 'control'), 'utf8')
    .replace('@VERSION@', version)
    .replace('@INSTALLED_SIZE@', String(installedSize(stage, files))),
);

// Every mtime is the changelog's date, so two builds of the same tree give the same package.
const epoch = changelogEpoch();
for (const f of listFiles(stage, true)) utimesSync(join(stage, f), epoch, epoch);
utimesSync(stage, epoch, epoch);

const deb = join(OUT, `${pkg.name}_${version}_all.deb`);
execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', stage, deb], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) },
});
rmSync(stage, { recursive: true, force: true });
process.stdout.write(
  `${relative(process.cwd(), deb) || deb} (${(statSync(deb).size / 1024).toFixed(0)} KiB; node_modules: ${modules.join(', ')})\n`,
);

// The Debian version is the top changelog entry's; its upstream part must be package.json's,
// so a release cannot ship with a changelog that was not written for it.
function debianVersion(upstream) {
  const m = /^rs-agent \(([^)]+)\)/.exec(readFileSync(join(DEB, 'changelog'), 'utf8'));
  if (!m) fail('deb/changelog: the first line is not "rs-agent (VERSION) ..."');
  if (m[1].replace(/-[^-]+$/, '') !== upstream)
    fail(`deb/changelog's top entry is ${m[1]}, package.json says ${upstream}: add a changelog entry`);
  return m[1];
}

function changelogEpoch() {
  const m = /^ -- .*>  (.+)$/m.exec(readFileSync(join(DEB, 'changelog'), 'utf8'));
  const time = m ? Date.parse(m[1]) : Number.NaN;
  if (Number.isNaN(time)) fail('deb/changelog: no trailer line with a date');
  return Math.floor(time / 1000);
}

// The external packages and everything they depend on, resolved through package-lock.json
// as node resolves them (a nested node_modules first, then each directory above), copied
// from the installed tree without what nothing reads at run time: their docs, type
// declarations, TypeScript sources and source maps (node reads a dependency's map only with
// --enable-source-maps, which rs-agent never sets; its own stack traces use its bundle's map).
// A third of the files the package would ship otherwise, each one dpkg writes, syncs and
// lists on every install, and removes on every removal.
function copyExternalModules(roots) {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')).packages;
  const found = new Set();
  const queue = roots.map((name) => `node_modules/${name}`);
  while (queue.length > 0) {
    const key = queue.shift();
    if (found.has(key)) continue;
    const entry = lock[key];
    if (!entry || entry.dev) fail(`package-lock.json has no production entry ${key}`);
    found.add(key);
    for (const dep of Object.keys(entry.dependencies ?? {})) queue.push(resolveInLock(lock, key, dep));
  }
  const keys = [...found].sort();
  for (const key of keys) {
    const installed = JSON.parse(readFileSync(join(ROOT, key, 'package.json'), 'utf8')).version;
    if (installed !== lock[key].version)
      fail(`${key} is ${installed}, package-lock.json wants ${lock[key].version}: run npm ci`);
    cpSync(join(ROOT, key), join(stage, LIB, key), {
      recursive: true,
      dereference: true,
      filter: (src) => {
        const rel = relative(join(ROOT, key), src);
        if (rel.split('/')[0] === 'node_modules') return false; // nested packages are copied as their own keys
        // .npmignore is npm's publishing list, read by nothing at run time (lintian: an error).
        return !/(^|\/)(README|CHANGELOG|LICEN[CS]E)[^/]*$|\.md$|\.[cm]?ts$|\.map$|(^|\/)\.npmignore$/i.test(rel);
      },
    });
  }
  // Directories that held only type declarations (@types/node's) are left empty: drop them.
  for (const d of listFiles(join(stage, LIB, 'node_modules'), true).reverse()) {
    const path = join(stage, LIB, 'node_modules', d);
    if (statSync(path).isDirectory() && readdirSync(path).length === 0) rmSync(path, { recursive: true });
  }
  // Modes as Debian wants them whatever the tarball said (wrap-ansi ships an executable index.js).
  for (const f of listFiles(join(stage, LIB, 'node_modules'), true)) {
    const path = join(stage, LIB, 'node_modules', f);
    chmodSync(path, statSync(path).isDirectory() ? 0o755 : 0o644);
  }
  return keys.map((k) => k.slice('node_modules/'.length));
}

function resolveInLock(lock, from, name) {
  for (let base = from; ;) {
    const key = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (lock[key]) return key;
    if (!base) fail(`package-lock.json: ${from} needs ${name}, which is not there`);
    const i = base.lastIndexOf('/node_modules/');
    base = i < 0 ? '' : base.slice(0, i);
  }
}

// Every shipped package must have a Files: stanza of its own in deb/copyright (a new
// dependency needs its licence there), and that stanza's licence must be the one its
// package.json declares. As in Debian's format, the last stanza whose glob matches wins,
// and * matches across directories.
function checkCopyrightNames(names) {
  const debianLicense = { MIT: 'Expat', ISC: 'ISC', 'Apache-2.0': 'Apache-2.0', 'BSD-3-Clause': 'BSD-3-clause' };
  const stanzas = readFileSync(join(DEB, 'copyright'), 'utf8')
    .split(/\n\s*\n/)
    .map((text) => ({
      files: /^Files:((?:.*)(?:\n .*)*)/m.exec(text)?.[1].trim().split(/\s+/) ?? [],
      license: /^License: (.+)$/m.exec(text)?.[1],
    }))
    .filter((s) => s.files.length > 0);
  const matches = (glob, path) =>
    new RegExp(
      `^${glob
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replaceAll('*', '.*')
        .replaceAll('?', '.')}$`,
    ).test(path);
  for (const name of names) {
    const path = `${LIB}/node_modules/${name}/package.json`;
    const stanza = stanzas.findLast((s) => s.files.some((glob) => glob !== '*' && matches(glob, path)));
    if (!stanza) fail(`deb/copyright has no Files: stanza for ${LIB}/node_modules/${name}`);
    const declared = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).license;
    const wanted = debianLicense[declared];
    if (!wanted) fail(`node_modules/${name}: licence ${declared} is not one deb/copyright reproduces`);
    if (stanza.license !== wanted)
      fail(`deb/copyright says ${stanza.license} for node_modules/${name}, its package.json says ${declared}`);
  }
}

function put(path, content, mode = 0o644) {
  const file = join(stage, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  chmodSync(file, mode);
}

// A file's content, or the text given, compressed as Debian wants it (no name, no time).
function gzip(file, text) {
  return text === undefined ? execFileSync('gzip', ['-9nc', file]) : execFileSync('gzip', ['-9nc'], { input: text });
}

function md5(file) {
  return createHash('md5').update(readFileSync(file)).digest('hex');
}

// What dpkg-gencontrol computes: each file's size in KiB, rounded up, and 1 per directory.
function installedSize(dir, files) {
  const dirs = new Set();
  for (const f of files) for (let d = dirname(f); d !== '.'; d = dirname(d)) dirs.add(d);
  return files.reduce((sum, f) => sum + Math.ceil(statSync(join(dir, f)).size / 1024), 0) + dirs.size;
}

// Paths relative to dir, files only (or directories too), sorted, without the control area.
function listFiles(dir, withDirs = false) {
  const out = [];
  const walk = (rel) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (!rel && e.name === 'DEBIAN' && !withDirs) continue;
      if (e.isDirectory()) {
        if (withDirs) out.push(path);
        walk(path);
      } else out.push(path);
    }
  };
  walk('');
  return out.sort();
}

function fail(message) {
  process.stderr.write(`package:deb: ${message}\n`);
  process.exit(1);
}
