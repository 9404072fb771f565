// rs-agent against the shell loop it replaces, side by side, in throwaway network
// namespaces (run as root: `npm run bench`). Every repetition measures every
// operation at every size in turn, so a noisy machine slows all of them alike and
// the ratios hold. Prints a table; writes bench/out/results.json and bench/out/plot.svg.
//
// Options: --sizes 1,10,100,1000,10000   --runs 5   --shell-runs-large 1 (repetitions
// of the shell loop at 10000 VIPs and more: 20000 processes each way per run).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cleanUpOnExit, countVips, createNamespace, deleteNamespace } from './netns.mjs';
import { plotSvg } from './plot.mjs';
import { writeShellScripts } from './shell-way.mjs';
import { formatTable, ratio, summarise } from './stats.mjs';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const CLI = join(ROOT, 'dist/cli/main.js');
const OUT = join(ROOT, 'bench/out');
const LARGE = 10000;

const { values: options } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1,10,100,1000,10000' },
    runs: { type: 'string', default: '5' },
    'shell-runs-large': { type: 'string', default: '1' },
  },
});
const sizes = options.sizes.split(',').map(Number);
const runs = Number(options.runs);
const shellRunsLarge = Number(options['shell-runs-large']);

preflight();
cleanUpOnExit();
const work = mkdtempSync(join(tmpdir(), 'rsa-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

// samples[operation][size] = [{ ms, rssKiB }]
const samples = {};
const record = (op, n, sample) => ((samples[op] ??= {})[n] ??= []).push(sample);
const fixtures = Object.fromEntries(sizes.map((n) => [n, makeFixture(n)]));

for (let run = 1; run <= runs; run++) {
  for (const n of sizes) {
    process.stderr.write(`run ${run}/${runs}: ${n} VIPs\n`);
    const f = fixtures[n];
    record('node -e 0', n, measureInFreshNamespace([process.execPath, '-e', '0']));
    benchAgent(n, f);
    if (n < LARGE || run <= shellRunsLarge) benchShell(n, f);
  }
}

const results = report();
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(OUT, 'plot.svg'), plot(results));
process.stdout.write(`\nwrote ${join(OUT, 'results.json')} and ${join(OUT, 'plot.svg')}\n`);

// rs-agent: start from nothing, check on the converged host, stop.
function benchAgent(n, f) {
  const ns = createNamespace();
  try {
    const stateDir = join(f.dir, `state-${ns}`);
    const agent = (op) => [CLI, op, '--config', f.config, '--state-dir', stateDir];
    record('rs-agent start', n, measure(ns, agent('start')));
    expectVips(ns, n, 'rs-agent start');
    record('rs-agent check', n, measure(ns, agent('check')));
    record('rs-agent stop', n, measure(ns, agent('stop')));
    expectVips(ns, 0, 'rs-agent stop');
  } finally {
    deleteNamespace(ns);
  }
}

function benchShell(n, f) {
  const ns = createNamespace();
  try {
    record('shell start', n, measure(ns, f.shell.start));
    expectVips(ns, n, 'the shell loop (start)');
    record('shell stop', n, measure(ns, f.shell.stop));
    expectVips(ns, 0, 'the shell loop (stop)');
  } finally {
    deleteNamespace(ns);
  }
}

function measureInFreshNamespace(argv) {
  const ns = createNamespace();
  try {
    return measure(ns, argv);
  } finally {
    deleteNamespace(ns);
  }
}

// Wall time of one command inside the namespace, and the peak RSS of the command's
// own process (GNU time's %M: ip netns exec and time exec and fork, then node runs).
function measure(ns, argv) {
  const rssFile = join(work, 'rss');
  const start = process.hrtime.bigint();
  const result = spawnSync('ip', ['netns', 'exec', ns, '/usr/bin/time', '-f', '%M', '-o', rssFile, ...argv], {
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 1 << 26,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) {
    throw new Error(`${argv.join(' ')} exited ${result.status}: ${result.stderr.toString().trim().slice(0, 500)}`);
  }
  const rssKiB = Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1));
  return { ms, rssKiB };
}

function expectVips(ns, n, what) {
  const found = countVips(ns);
  if (found.addresses !== n || found.routes !== n) {
    throw new Error(`${what} left ${found.addresses} VIP addresses and ${found.routes} routes on lo, expected ${n}`);
  }
}

// n VIPs from 198.18.0.0/15, the range set aside for benchmarks (RFC 2544), and the
// config and shell scripts that use them.
function makeFixture(n) {
  const dir = join(work, `vips-${n}`);
  mkdirSync(dir);
  const vips = Array.from({ length: n }, (_, i) => `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`);
  const config = join(dir, 'rs-agent.yaml');
  writeFileSync(config, `mode: dr\nvips:\n${vips.map((v) => `  - ${v}\n`).join('')}`);
  return { dir, config, shell: writeShellScripts(dir, vips) };
}

function report() {
  const summary = {};
  for (const [op, bySize] of Object.entries(samples)) {
    summary[op] = Object.fromEntries(Object.entries(bySize).map(([n, s]) => [n, summarise(s)]));
  }
  const med = (op, n) => summary[op]?.[n]?.medianMs;
  const rows = sizes.map((n) => [
    n,
    med('node -e 0', n),
    med('rs-agent check', n),
    med('rs-agent start', n),
    med('rs-agent stop', n),
    med('shell start', n),
    med('shell stop', n),
    ratio(med('rs-agent check', n), med('node -e 0', n)),
    ratio(med('rs-agent check', n), med('rs-agent check', sizes[0])),
    ratio(med('rs-agent start', n), med('shell start', n)),
    ratio(med('rs-agent stop', n), med('shell stop', n)),
    mib(
      Math.max(...['rs-agent start', 'rs-agent check', 'rs-agent stop'].map((op) => summary[op]?.[n]?.peakRssKiB ?? 0)),
    ),
  ]);
  const header = [
    'VIPs',
    'node -e 0',
    'check',
    'start',
    'stop',
    'shell start',
    'shell stop',
    'check/node',
    `check/check(${sizes[0]})`,
    'start/shell',
    'stop/shell',
    'peak RSS MiB',
  ];
  const shellRuns = sizes.map((n) => `${n}: ${summary['shell start']?.[n]?.runs ?? 0}`).join(', ');
  process.stdout.write(
    `\nmedian wall time in ms (runs: ${runs} each; shell loop runs per size: ${shellRuns}); ` +
      `every command run with ip netns exec and /usr/bin/time\n\n${formatTable(header, rows)}\n`,
  );
  process.stdout.write('\npeak RSS of each rs-agent command in MiB (max over runs):\n');
  process.stdout.write(
    `${formatTable(
      ['VIPs', 'start', 'check', 'stop'],
      sizes.map((n) => [
        n,
        ...['rs-agent start', 'rs-agent check', 'rs-agent stop'].map((op) => mib(summary[op]?.[n]?.peakRssKiB)),
      ]),
    )}\n`,
  );
  return {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, kernel: release(), node: process.version },
    note:
      'median wall time of each command run inside a network namespace with ip netns exec and /usr/bin/time; ' +
      `the shell loop runs ${shellRunsLarge} time(s) at ${LARGE} VIPs and more`,
    runs,
    sizes,
    summary,
    table: { header, rows },
    samples,
  };
}

function plot(results) {
  const line = (op, name, dashed = false) => ({
    name,
    dashed,
    points: sizes.filter((n) => results.summary[op]?.[n]).map((n) => ({ x: n, y: results.summary[op][n].medianMs })),
  });
  return plotSvg({
    title: 'rs-agent and the per-VIP shell loop: time against VIPs (log-log)',
    xLabel: 'VIPs',
    yLabel: 'median wall time (ms)',
    series: [
      line('rs-agent start', 'rs-agent start'),
      line('rs-agent stop', 'rs-agent stop'),
      line('rs-agent check', 'rs-agent check'),
      line('shell start', 'shell loop start', true),
      line('shell stop', 'shell loop stop', true),
      line('node -e 0', 'node -e 0', true),
    ],
  });
}

function mib(kib) {
  return kib ? Math.round((kib / 1024) * 10) / 10 : null;
}

function preflight() {
  const problems = [];
  if (process.getuid?.() !== 0) problems.push('run as root (it makes network namespaces)');
  if (!existsSync(CLI)) problems.push(`build first: ${CLI} is missing (npm run bench builds it)`);
  for (const [file, pkg] of [
    ['/sbin/ifconfig', 'net-tools'],
    ['/sbin/route', 'net-tools'],
    ['/usr/bin/time', 'time'],
  ]) {
    if (!existsSync(file)) problems.push(`${file} is missing (apt-get install ${pkg})`);
  }
  if (problems.length) {
    process.stderr.write(`bench: ${problems.join('; ')}\n`);
    process.exit(2);
  }
}
