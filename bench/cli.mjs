// rs-agent's commands against the shell loop they replace, side by side, in throwaway
// network namespaces. Every repetition measures every operation at every size in turn,
// so a noisy machine slows all of them alike and the ratios hold. With `compare`, a
// second build's commands are measured in the same turns (before/after in one run).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countVips, createNamespace, deleteNamespace } from './netns.mjs';
import { plotSvg } from './plot.mjs';
import { writeShellScripts } from './shell-way.mjs';
import { formatTable, ratio, summarise } from './stats.mjs';

const LARGE = 10000;
const AGENT_OPS = ['start', 'check', 'stop'];
// Commands that must cost no more than a converged check: measured at the smallest size.
const LIGHT_OPS = [['validate'], ['--version'], ['--help']];
export const AGENT = 'rs-agent';
// node running only the commands a converged check runs (check-floor.cjs).
const CHECK_FLOOR = fileURLToPath(new URL('check-floor.cjs', import.meta.url));

// samples[operation][size] = [{ ms, rssKiB }]; returns { summary, samples, rows }.
export function benchCli({ cli, compare, sizes, runs, shellRunsLarge, work }) {
  const samples = {};
  const record = (op, n, sample) => ((samples[op] ??= {})[n] ??= []).push(sample);
  const fixtures = Object.fromEntries(sizes.map((n) => [n, makeFixture(work, n)]));
  const builds = [[AGENT, cli], ...(compare ? [['compare', compare]] : [])];
  for (let run = 1; run <= runs; run++) {
    for (const n of sizes) {
      process.stderr.write(`cli run ${run}/${runs}: ${n} VIPs\n`);
      const f = fixtures[n];
      record('node -e 0', n, measureInFreshNamespace(work, [process.execPath, '-e', '0']));
      for (const [name, file] of builds) benchAgent(work, name, file, n, f, record, n === sizes[0]);
      if (n < LARGE || run <= shellRunsLarge) benchShell(work, n, f, record);
    }
  }
  const summary = {};
  for (const [op, bySize] of Object.entries(samples)) {
    summary[op] = Object.fromEntries(Object.entries(bySize).map(([n, s]) => [n, summarise(s)]));
  }
  printTables(summary, sizes, runs, builds);
  return { summary, samples };
}

// One build: start from nothing, check on the converged host, stop; at the smallest
// size also validate, --version and --help.
function benchAgent(work, name, cli, n, f, record, light) {
  const ns = createNamespace();
  try {
    const stateDir = join(f.dir, `state-${ns}`);
    const agent = (op) => [process.execPath, cli, op, '--config', f.config, '--state-dir', stateDir];
    record(`${name} start`, n, measure(work, ns, agent('start')));
    expectVips(ns, n, `${name} start`);
    record(`${name} check`, n, measure(work, ns, agent('check')));
    // The floor, on the same converged host: once per turn, beside the first build's check.
    if (light && name === AGENT) record('check floor', n, measure(work, ns, [process.execPath, CHECK_FLOOR]));
    if (light) {
      record(`${name} validate`, n, measure(work, ns, agent('validate')));
      for (const [op] of LIGHT_OPS.slice(1)) record(`${name} ${op}`, n, measure(work, ns, [process.execPath, cli, op]));
    }
    record(`${name} stop`, n, measure(work, ns, agent('stop')));
    expectVips(ns, 0, `${name} stop`);
  } finally {
    deleteNamespace(ns);
  }
}

function benchShell(work, n, f, record) {
  const ns = createNamespace();
  try {
    record('shell start', n, measure(work, ns, f.shell.start));
    expectVips(ns, n, 'the shell loop (start)');
    record('shell stop', n, measure(work, ns, f.shell.stop));
    expectVips(ns, 0, 'the shell loop (stop)');
  } finally {
    deleteNamespace(ns);
  }
}

function measureInFreshNamespace(work, argv) {
  const ns = createNamespace();
  try {
    return measure(work, ns, argv);
  } finally {
    deleteNamespace(ns);
  }
}

// Wall time of one command inside the namespace, and the peak RSS of the command's
// own process (GNU time's %M: ip netns exec and time exec and fork, then node runs).
function measure(work, ns, argv) {
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
function makeFixture(work, n) {
  const dir = join(work, `vips-${n}`);
  mkdirSync(dir);
  const vips = Array.from({ length: n }, (_, i) => `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`);
  const config = join(dir, 'rs-agent.yaml');
  writeFileSync(config, `mode: dr\nvips:\n${vips.map((v) => `  - ${v}\n`).join('')}`);
  return { dir, config, shell: writeShellScripts(dir, vips) };
}

function printTables(summary, sizes, runs, builds) {
  const med = (op, n) => summary[op]?.[n]?.medianMs;
  const mib = (kib) => (kib ? Math.round((kib / 1024) * 10) / 10 : null);
  const shellRuns = sizes.map((n) => `${n}: ${summary['shell start']?.[n]?.runs ?? 0}`).join(', ');
  process.stdout.write(
    `\nmedian wall time in ms (runs: ${runs} each; shell loop runs per size: ${shellRuns}); ` +
      'every command run with ip netns exec and /usr/bin/time\n',
  );
  for (const [name] of builds) {
    const op = (o) => `${name} ${o}`;
    const rows = sizes.map((n) => [
      n,
      med('node -e 0', n),
      med(op('check'), n),
      med(op('start'), n),
      med(op('stop'), n),
      med('shell start', n),
      med('shell stop', n),
      ratio(med(op('check'), n), med('node -e 0', n)),
      ratio(med(op('check'), n), med(op('check'), sizes[0])),
      ratio(med(op('start'), n), med('shell start', n)),
      ratio(med(op('stop'), n), med('shell stop', n)),
      mib(Math.max(...AGENT_OPS.map((o) => summary[op(o)]?.[n]?.peakRssKiB ?? 0))),
    ]);
    const header = ['VIPs', 'node -e 0', 'check', 'start', 'stop', 'shell start', 'shell stop'];
    header.push('check/node', `check/check(${sizes[0]})`, 'start/shell', 'stop/shell', 'peak RSS MiB');
    process.stdout.write(`\n${name}:\n${formatTable(header, rows)}\n`);
    const light = LIGHT_OPS.map(([o]) => [
      o,
      med(op(o), sizes[0]),
      ratio(med(op(o), sizes[0]), med(op('check'), sizes[0])),
    ]);
    process.stdout.write(`${formatTable(['command', 'ms', '/ check'], light)}\n`);
  }
}

// A log-log plot of time against VIPs for the build measured and the shell loop.
export function plotCli(summary, sizes) {
  const line = (op, name, dashed = false) => ({
    name,
    dashed,
    points: sizes.filter((n) => summary[op]?.[n]).map((n) => ({ x: n, y: summary[op][n].medianMs })),
  });
  return plotSvg({
    title: 'rs-agent and the per-VIP shell loop: time against VIPs (log-log)',
    xLabel: 'VIPs',
    yLabel: 'median wall time (ms)',
    series: [
      ...AGENT_OPS.map((op) => line(`${AGENT} ${op}`, `rs-agent ${op}`)),
      line('shell start', 'shell loop start', true),
      line('shell stop', 'shell loop stop', true),
      line('node -e 0', 'node -e 0', true),
    ],
  });
}
