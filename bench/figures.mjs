// The figures issue 23 sets goals for, computed from one run's results, printed beside
// their goal and their baseline, and kept in bench/history.jsonl and the history table
// of bench/README.md (one row per recorded run: date, commit, machine, load before).
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { formatTable, ratio } from './stats.mjs';

const med = (cli, op, n) => cli?.summary[op]?.[n]?.medianMs;
const agentOverCheck = (op) => (r, a) => ratio(med(r.cli, `${a} ${op}`, 1), med(r.cli, `${a} check`, 1));

// at most: the goal is met when the figure is at or below it.
export const FIGURES = [
  {
    key: 'check_over_node',
    name: 'converged check (1 VIP) / node -e 0',
    short: 'check / node',
    goal: 1.3,
    of: (r, a) => ratio(med(r.cli, `${a} check`, 1), med(r.cli, 'node -e 0', 1)),
  },
  // No goal: how near to node any check can come (check-floor.cjs), and how near this one is.
  {
    key: 'floor_over_node',
    name: "node running the check's commands alone / node -e 0",
    short: 'floor / node',
    goal: null,
    of: (r) => ratio(med(r.cli, 'check floor', 1), med(r.cli, 'node -e 0', 1)),
  },
  {
    key: 'check_over_floor',
    name: "converged check / node running the check's commands alone",
    short: 'check / floor',
    goal: null,
    of: (r, a) => ratio(med(r.cli, `${a} check`, 1), med(r.cli, 'check floor', 1)),
  },
  {
    key: 'validate_over_check',
    name: 'validate / check',
    short: 'validate / check',
    goal: 1,
    of: agentOverCheck('validate'),
  },
  {
    key: 'version_over_check',
    name: '--version / check',
    short: '--version / check',
    goal: 1,
    of: agentOverCheck('--version'),
  },
  { key: 'help_over_check', name: '--help / check', short: '--help / check', goal: 1, of: agentOverCheck('--help') },
  {
    key: 'start1000_over_shell',
    name: 'start of 1000 VIPs / the shell loop',
    short: 'start 1k / shell',
    goal: 0.1,
    of: (r, a) => ratio(med(r.cli, `${a} start`, 1000), med(r.cli, 'shell start', 1000)),
  },
  {
    // Linear or better: 10 times the VIPs in at most 10 times the time.
    key: 'start10000_over_start1000',
    name: 'start of 10000 VIPs / start of 1000',
    short: 'start 10k / 1k',
    goal: 10,
    of: (r, a) => ratio(med(r.cli, `${a} start`, 10000), med(r.cli, `${a} start`, 1000)),
  },
  {
    key: 'repair_median_ms',
    name: 'daemon: a deleted VIP back, median ms',
    short: 'repair p50 ms',
    goal: 10,
    of: (r) => r.daemon?.vipRepairMs?.median,
  },
  {
    key: 'repair_p90_ms',
    name: 'daemon: a deleted VIP back, p90 ms',
    short: 'repair p90 ms',
    goal: 15,
    of: (r) => r.daemon?.vipRepairMs?.p90,
  },
  {
    key: 'daemon_rss_mib',
    name: 'daemon RSS, file config, MiB',
    short: 'daemon RSS MiB',
    goal: 60,
    of: (r) => r.daemon?.idle?.rssMiB,
  },
  {
    key: 'daemon_idle_cpu_pct',
    name: 'daemon idle CPU, %',
    short: 'idle CPU %',
    goal: 0.5,
    of: (r) => r.daemon?.idle?.cpuPercent,
  },
  {
    key: 'fleet_rss_mib',
    name: 'fleet agent RSS (store), MiB',
    short: 'fleet RSS MiB',
    goal: 60,
    of: (r) => r.fleet?.agent_rss_mib?.median,
  },
];

// The figures of one build: the CLI's are measured per build (cli.mjs names its
// operations "rs-agent start", "compare start"), the daemon's and the fleet's only for --cli.
export function figuresOf(results, agent = 'rs-agent') {
  return Object.fromEntries(FIGURES.map((f) => [f.key, f.of(results, agent) ?? null]));
}

// The table of the issue: each figure, its goal, the baseline's value, the compared
// build's in this run (if any) and this run's.
export function printFigures(figures, baseline, compared = null) {
  const rows = FIGURES.map((f) => {
    const value = figures[f.key];
    const met = typeof value === 'number' && f.goal !== null ? (value <= f.goal ? 'yes' : 'no') : '-';
    const row = [f.name, f.goal === null ? '-' : `≤ ${f.goal}`, baseline?.figures[f.key] ?? null];
    return [...row, ...(compared ? [compared[f.key]] : []), value, met];
  });
  const from = baseline ? ` (baseline: ${baseline.date}, ${baseline.commit}, ${baseline.note})` : '';
  const header = ['figure', 'goal', 'baseline', ...(compared ? ['--compare'] : []), 'this run', 'met'];
  process.stdout.write(`\nthe figures of issue 23${from}:\n${formatTable(header, rows)}\n`);
}

export function readHistory(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

// The run the figures are compared with: the last one recorded as a baseline.
export function baselineOf(history) {
  return history.findLast((entry) => entry.baseline) ?? null;
}

// Appends the run to the history and rewrites the table between the markers in the README.
export function recordRun(historyFile, readmeFile, entry) {
  appendFileSync(historyFile, `${JSON.stringify(entry)}\n`);
  const history = readHistory(historyFile);
  const readme = readFileSync(readmeFile, 'utf8');
  const start = '<!-- history:start -->';
  const end = '<!-- history:end -->';
  const i = readme.indexOf(start);
  const j = readme.indexOf(end);
  if (i < 0 || j < i) throw new Error(`${readmeFile}: no ${start} … ${end} section to write the history into`);
  writeFileSync(readmeFile, `${readme.slice(0, i + start.length)}\n${historyTable(history)}${readme.slice(j)}`);
}

function historyTable(history) {
  const header = ['date', 'commit', 'machine (cores, load before)', ...FIGURES.map((f) => f.short), 'note'];
  const cell = (v) => (v === null || v === undefined ? '' : String(v).replaceAll('|', '\\|'));
  const lines = [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i < 3 || i === header.length - 1 ? '---' : '---:')).join('|')}|`,
  ];
  for (const e of history) {
    const machine = `${e.machine.cores} cores, ${e.machine.load}`;
    const values = FIGURES.map((f) => cell(e.figures[f.key]));
    lines.push(
      `| ${[e.date, e.commit, machine, ...values, cell(`${e.baseline ? '**baseline** ' : ''}${e.note}`)].join(' | ')} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
