// Every figure of issue 23 in one run (as root: `npm run bench`; not part of CI, and no
// timing is a pass/fail test): the CLI against `node -e 0` and the shell loop it replaces
// (cli.mjs), the daemon's repair latency, RSS and idle CPU (daemon.ts), and the RSS of an
// agent following a store (fleet.mjs, one agent). Prints the per-size tables and the
// issue's figures beside their goal and baseline; writes bench/out/results.json and
// bench/out/plot.svg. `--record NOTE` appends the run to bench/history.jsonl and to the
// history table of bench/README.md.
//
// Options: --only cli,daemon,fleet   --sizes 1,10,100,1000,10000   --runs 5
//   --shell-runs-large 1 (shell loop repetitions at 10000 VIPs: 20000 processes each way)
//   --cli FILE (the build measured; default dist/cli/main.js)   --compare FILE (a second
//   build measured in the same turns: before/after in one run)   --idle-seconds 60
//   --wait-load 2 (wait, up to --wait-minutes 30, until the 1-minute load average is at most this)
//   --record NOTE, with --baseline (later runs compare with this one) and --commit REV (the
//   commit the --cli build was made from, when it is not this tree's)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { benchCli, plotCli } from './cli.mjs';
import { baselineOf, figuresOf, printFigures, readHistory, recordRun } from './figures.mjs';
import { cleanUpOnExit } from './netns.mjs';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const OUT = join(ROOT, 'bench/out');
const HISTORY = join(ROOT, 'bench/history.jsonl');
const README = join(ROOT, 'bench/README.md');

const { values: options } = parseArgs({
  options: {
    only: { type: 'string', default: 'cli,daemon,fleet' },
    sizes: { type: 'string', default: '1,10,100,1000,10000' },
    runs: { type: 'string', default: '5' },
    'shell-runs-large': { type: 'string', default: '1' },
    cli: { type: 'string', default: join(ROOT, 'dist/cli/main.js') },
    compare: { type: 'string' },
    'idle-seconds': { type: 'string', default: '60' },
    'wait-load': { type: 'string' },
    'wait-minutes': { type: 'string', default: '30' },
    record: { type: 'string' },
    baseline: { type: 'boolean', default: false },
    commit: { type: 'string' },
  },
});
const only = new Set(options.only.split(','));
const cli = resolve(options.cli);
const compare = options.compare && resolve(options.compare);

preflight();
cleanUpOnExit();
const work = mkdtempSync(join(tmpdir(), 'rsa-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
mkdirSync(OUT, { recursive: true });

if (options['wait-load']) await waitForLoad(Number(options['wait-load']), Number(options['wait-minutes']));
const loadBefore = loadavg();
const results = { cli: null, daemon: null, fleet: null };
if (only.has('cli')) {
  const sizes = options.sizes.split(',').map(Number);
  const runs = Number(options.runs);
  results.cli = benchCli({ cli, compare, sizes, runs, shellRunsLarge: Number(options['shell-runs-large']), work });
  writeFileSync(join(OUT, 'plot.svg'), plotCli(results.cli.summary, sizes));
}
if (only.has('daemon')) results.daemon = runDaemonBench();
if (only.has('fleet')) results.fleet = runFleetBench();
const loadAfter = loadavg();

const figures = figuresOf(results);
const history = readHistory(HISTORY);
const compared = compare && results.cli ? figuresOf({ cli: results.cli }, 'compare') : null;
printFigures(figures, baselineOf(history), compared);
const machine = {
  cores: cpus().length,
  cpu: cpus()[0]?.model,
  kernel: release(),
  node: process.version,
  load: `load ${loadBefore.map((l) => l.toFixed(1)).join(' ')}`,
  loadAfter: loadAfter.map((l) => Number(l.toFixed(2))),
};
const entry = {
  date: new Date().toISOString().slice(0, 16).replace('T', ' '),
  commit: options.commit ?? commit(),
  machine,
  figures,
};
process.stdout.write(
  `\nmachine: ${machine.cores} cores (${machine.cpu}), node ${machine.node}; ${machine.load} before, `,
);
process.stdout.write(`${loadAfter.map((l) => l.toFixed(1)).join(' ')} after\n`);
writeFileSync(join(OUT, 'results.json'), `${JSON.stringify({ ...entry, options, results }, null, 2)}\n`);
if (options.record !== undefined) {
  recordRun(HISTORY, README, { ...entry, note: options.record, ...(options.baseline ? { baseline: true } : {}) });
  process.stdout.write(`recorded in ${HISTORY} and ${README}\n`);
}

// The daemon's figures: bench/daemon.ts (compiled by npm run bench) in a namespace of its own.
function runDaemonBench() {
  const script = join(OUT, 'js/daemon.js');
  if (!existsSync(script))
    throw new Error(`${script} is missing: npm run bench compiles it (tsc -p bench/tsconfig.daemon.json)`);
  process.stderr.write('daemon: repair latency, then idle CPU and RSS\n');
  execFileSync(process.execPath, [script], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, BENCH_CLI: cli, BENCH_IDLE_S: options['idle-seconds'] },
  });
  return JSON.parse(readFileSync(join(OUT, 'daemon.json'), 'utf8'));
}

// One agent following a store (one etcd member), for its RSS.
function runFleetBench() {
  const out = join(OUT, 'fleet.json');
  rmSync(out, { force: true });
  process.stderr.write('fleet: one agent following etcd\n');
  const args = ['--sizes', '1', '--rounds', '1', '--idle-seconds', '20', '--cli', cli, '--json-out', out];
  execFileSync(process.execPath, [join(ROOT, 'bench/fleet.mjs'), ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  return JSON.parse(readFileSync(out, 'utf8'))[0];
}

async function waitForLoad(limit, minutes) {
  const deadline = Date.now() + minutes * 60_000;
  while (loadavg()[0] > limit && Date.now() < deadline) {
    process.stderr.write(`load average ${loadavg()[0].toFixed(2)} > ${limit}: waiting\n`);
    await sleep(30_000);
  }
}

function commit() {
  const git = (...args) => spawnSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' }).stdout.trim();
  const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
  return `${git('rev-parse', '--short', 'HEAD')}${dirty ? '+changes' : ''}`;
}

function preflight() {
  const problems = [];
  if (process.getuid?.() !== 0) problems.push('run as root (it makes network namespaces)');
  for (const file of [cli, compare].filter(Boolean)) {
    if (!existsSync(file)) problems.push(`build first: ${file} is missing (npm run bench builds dist)`);
  }
  const needs = [['/usr/bin/time', 'time']];
  if (only.has('cli')) needs.push(['/sbin/ifconfig', 'net-tools'], ['/sbin/route', 'net-tools']);
  if (only.has('fleet')) needs.push(['/usr/bin/etcd', 'etcd-server'], ['/usr/bin/etcdctl', 'etcd-client']);
  for (const [file, pkg] of needs) if (!existsSync(file)) problems.push(`${file} is missing (apt-get install ${pkg})`);
  if (problems.length) {
    process.stderr.write(`bench: ${problems.join('; ')}\n`);
    process.exit(2);
  }
}
