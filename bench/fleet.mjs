// A fleet against one etcd (run as root: `npm run bench:fleet`; not part of CI).
// For each size (default 10, then 50): one etcd member and N agents, each `rs-agent run`
// in a network namespace of its own with eth0 on one bridge (all in throwaway
// namespaces, deleted at the end; nothing leaves them). Measures, from one put that
// gives every agent a new VIP, the time until each agent has it on lo (the agent's own
// log line for the address, same clock as the put): p50, p99, max. Also each agent's
// RSS and idle CPU (each agent with the watch unit's NODE_OPTIONS), and the etcd server's
// CPU during the rollout.
//
// Then `fleet status` against a store holding N synthetic hosts (default 1 000, then
// 10 000): a status and a tracked key each, a hosts/ key for one in ten, four groups, and
// one host in twenty whose status lease has gone (tracked only: down). The time is the
// whole command, as an operator runs it (node start, the paged read, the table), median
// of 3 runs; with --json too.
//
// Options: --sizes 10,50   --idle-seconds 30   --rounds 3 (puts per size)
//          --status-hosts 1000,10000 (0 skips)   --cli FILE (the build measured; default
//          dist/cli/main.js)   --json-out FILE (the results, one per size)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const { values: options } = parseArgs({
  options: {
    cli: { type: 'string', default: join(ROOT, 'dist/cli/main.js') },
    'json-out': { type: 'string' },
    sizes: { type: 'string', default: '10,50' },
    'idle-seconds': { type: 'string', default: '30' },
    rounds: { type: 'string', default: '3' },
    'status-hosts': { type: 'string', default: '1000,10000' },
  },
});
const CLI = resolve(options.cli);
// Each agent runs with the NODE_OPTIONS the watch unit sets, as under systemd.
const NODE_OPTIONS =
  /^Environment="?NODE_OPTIONS=([^"\n]*)"?$/m.exec(
    readFileSync(join(ROOT, 'units/rs-agent-watch.service'), 'utf8'),
  )?.[1] ?? '';
const TICK = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString().trim()) || 100;

const sh = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const id = process.pid;
const hub = `rsb-${id}-hub`;
const storeNs = `rsb-${id}-etcd`;
const work = mkdtempSync(join(tmpdir(), 'rsb-fleet-'));
const children = [];
const namespaces = [];

function cleanup() {
  for (const c of children)
    try {
      c.kill('SIGKILL');
    } catch {
      /* gone */
    }
  for (const ns of [...namespaces, storeNs, hub]) {
    for (const pid of sh('ip', ['netns', 'pids', ns], { allowFail: true }).split('\n').filter(Boolean))
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone */
      }
    sh('ip', ['netns', 'del', ns], { allowFail: true });
  }
  rmSync(work, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(130));

function cpuTicks(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}
// RSS, and the part of it that is the process's own (RssAnon): the rest is file-backed,
// mostly the node binary's pages, shared by every node process on the host.
function rssMiB(pid, field = 'VmRSS') {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return Number(line.split(/\s+/)[1]) / 1024;
}
const pct = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const ctl = (...args) =>
  sh('ip', ['netns', 'exec', storeNs, 'etcdctl', '--endpoints=http://10.79.0.1:2379', ...args], {
    env: { ...process.env, ETCDCTL_API: '3' },
  });

function plug(ns, port, address) {
  sh('ip', ['-n', hub, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  sh('ip', ['-n', hub, 'link', 'set', port, 'master', 'br0', 'up']);
  sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  sh('ip', ['-n', ns, 'addr', 'add', `${address}/16`, 'dev', 'eth0']);
}

// One etcd member in a namespace of its own on a bridge, at 10.79.0.1.
async function startStore(name) {
  sh('ip', ['netns', 'add', hub]);
  namespaces.length = 0;
  sh('ip', ['-n', hub, 'link', 'add', 'br0', 'type', 'bridge']);
  sh('ip', ['-n', hub, 'link', 'set', 'br0', 'up']);
  sh('ip', ['netns', 'add', storeNs]);
  plug(storeNs, 'vetcd', '10.79.0.1');
  const etcd = spawn(
    'ip',
    [
      'netns',
      'exec',
      storeNs,
      'etcd',
      '--name',
      'b',
      '--data-dir',
      join(work, `etcd-${name}`),
      '--listen-client-urls',
      'http://10.79.0.1:2379',
      '--advertise-client-urls',
      'http://10.79.0.1:2379',
      '--listen-peer-urls',
      'http://10.79.0.1:2380',
      '--initial-advertise-peer-urls',
      'http://10.79.0.1:2380',
      '--initial-cluster',
      'b=http://10.79.0.1:2380',
      '--log-level',
      'error',
    ],
    { stdio: 'ignore' },
  );
  children.push(etcd);
  const healthy = () =>
    spawnSync('ip', ['netns', 'exec', storeNs, 'etcdctl', '--endpoints=http://10.79.0.1:2379', 'endpoint', 'health'], {
      env: { ...process.env, ETCDCTL_API: '3' },
    }).status === 0;
  while (!healthy()) await sleep(100);
  return etcd;
}

async function stopAll() {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await sleep(500);
  cleanup();
  mkdirSync(work, { recursive: true });
}

async function bench(n) {
  const etcd = await startStore(n);
  process.stderr.write(`${n} agents: etcd up, starting agents\n`);
  const agents = [];
  for (let i = 0; i < n; i++) {
    const ns = `rsb-${id}-${i}`;
    sh('ip', ['netns', 'add', ns]);
    namespaces.push(ns);
    plug(ns, `va${i}`, `10.79.${1 + Math.floor(i / 200)}.${(i % 200) + 1}`);
    const dir = join(work, `${n}-${i}`);
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'rs-agent.yaml'),
      `source:\n  etcd:\n    endpoints: [http://10.79.0.1:2379]\n    insecure: true\n    cache: ${dir}/cache.json\nhost: h${i}\nlabels: {pool: p${i % 2}}\ninterfaces: [eth0]\n`,
    );
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        process.execPath,
        CLI,
        'run',
        '--config',
        join(dir, 'rs-agent.yaml'),
        '--state-dir',
        join(dir, 'state'),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS } },
    );
    const agent = { ns, child, lines: [] };
    let partial = '';
    child.stdout.on('data', (c) => {
      const parts = (partial + c).split('\n');
      partial = parts.pop();
      for (const l of parts) if (l) agent.lines.push(JSON.parse(l));
    });
    children.push(child);
    agents.push(agent);
  }
  while (!agents.every((a) => a.lines.some((l) => l.event === 'ready'))) await sleep(200);
  process.stderr.write(`${n} agents: all ready; idle window\n`);
  await sleep(3000);
  // Idle: CPU over a quiet window (no puts), RSS at its end.
  const idleS = Number(options['idle-seconds']);
  const before = agents.map((a) => cpuTicks(a.child.pid));
  await sleep(idleS * 1000);
  const idleCpu = agents
    .map((a, i) => ((cpuTicks(a.child.pid) - before[i]) / TICK / idleS) * 100)
    .sort((a, b) => a - b);
  const rss = agents.map((a) => rssMiB(a.child.pid)).sort((a, b) => a - b);
  const anon = agents.map((a) => rssMiB(a.child.pid, 'RssAnon')).sort((a, b) => a - b);
  // Rollouts: one put, a new VIP for every agent.
  const latencies = [];
  const notices = [];
  let etcdCpuS = 0;
  let rolloutS = 0;
  for (let round = 0; round < Number(options.rounds); round++) {
    const vip = `192.0.2.${10 + round}`;
    const item = `address ${vip}/32 dev lo`;
    const etcdBefore = cpuTicks(etcd.pid);
    const t0 = Date.now();
    ctl('put', '/rs-agent/groups/all', `vips: [${vip}]`);
    while (!agents.every((a) => a.lines.some((l) => (l.event === 'repair' || l.event === 'change') && l.item === item)))
      await sleep(20);
    const t1 = Date.now();
    etcdCpuS += (cpuTicks(etcd.pid) - etcdBefore) / TICK;
    rolloutS += (t1 - t0) / 1000;
    for (const a of agents) {
      latencies.push(
        Date.parse(a.lines.find((l) => (l.event === 'repair' || l.event === 'change') && l.item === item).time) - t0,
      );
      const seen = a.lines.findLast((l) => l.event === 'store-change');
      if (seen) notices.push(Date.parse(seen.time) - t0);
    }
    await sleep(2000);
  }
  latencies.sort((a, b) => a - b);
  notices.sort((a, b) => a - b);
  const result = {
    agents: n,
    rollout_ms: {
      p50: pct(latencies, 0.5),
      p99: pct(latencies, 0.99),
      max: latencies.at(-1),
      samples: latencies.length,
    },
    // put → the agent's store-change line: the watch's share of the rollout (the rest is the pass).
    noticed_ms: { p50: pct(notices, 0.5), p99: pct(notices, 0.99) },
    agent_rss_mib: {
      median: +pct(rss, 0.5).toFixed(1),
      max: +rss.at(-1).toFixed(1),
      anon_median: +pct(anon, 0.5).toFixed(1),
    },
    agent_idle_cpu_pct: { median: +pct(idleCpu, 0.5).toFixed(3), max: +idleCpu.at(-1).toFixed(3), window_s: idleS },
    etcd_cpu_s_per_rollout: +(etcdCpuS / Number(options.rounds)).toFixed(3),
    etcd_cpu_pct_during_rollout: +((etcdCpuS / rolloutS) * 100).toFixed(1),
  };
  await stopAll();
  return result;
}

// The synthetic fleet, written from inside the store's namespace with the etcd client
// rs-agent itself uses (64 puts in flight).
const FILL = `
const { Etcd3 } = await import(process.argv[1] + '/node_modules/etcd3/lib/index.js');
const n = Number(process.argv[2]);
const client = new Etcd3({ hosts: 'http://10.79.0.1:2379' });
const P = '/rs-agent/';
const now = new Date().toISOString();
const keys = [];
for (let g = 0; g < 4; g++) keys.push([P + 'groups/g' + g, 'selector: {pool: p' + g + '}\\nvips: [192.0.2.' + (10 + g) + ']']);
for (let i = 0; i < n; i++) {
  const host = 'h' + i;
  if (i % 10 === 0) keys.push([P + 'hosts/' + host, 'vips: [198.51.100.' + (i % 250) + ']']);
  keys.push([P + 'tracked/' + host, JSON.stringify({ host, seenAt: now })]);
  if (i % 20 === 19) continue;
  keys.push([P + 'status/' + host, JSON.stringify({ host, labels: { pool: 'p' + (i % 4) }, version: '0', inSync: true,
    revision: 1000000, vips: 2, repairs: 0, drift: 0, held: [], wipeHeld: false, errors: [], lastError: null,
    lastOutage: null, updatedAt: now, heartbeatS: 3600, instance: i.toString(16) })]);
}
for (let at = 0; at < keys.length; at += 64)
  await Promise.all(keys.slice(at, at + 64).map(([k, v]) => client.put(k).value(v)));
client.close();
`;

function median(values) {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

async function statusBench(hosts) {
  await startStore(`status-${hosts}`);
  process.stderr.write(`fleet status: writing ${hosts} hosts\n`);
  sh('ip', ['netns', 'exec', storeNs, process.execPath, '--input-type=module', '-e', FILL, ROOT, String(hosts)]);
  const config = join(work, 'fleet-status.yaml');
  writeFileSync(config, 'source:\n  etcd:\n    endpoints: [http://10.79.0.1:2379]\n    insecure: true\nhost: reader\n');
  const timed = (extra) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(
      'ip',
      ['netns', 'exec', storeNs, process.execPath, CLI, 'fleet', 'status', '--config', config, ...extra],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 30,
      },
    );
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 1)
      throw new Error(`fleet status exited ${r.status} (1 expected: some hosts are down): ${r.stderr}`);
    return { ms, out: r.stdout };
  };
  const table = [0, 1, 2].map(() => timed([]));
  const json = [0, 1, 2].map(() => timed(['--json']));
  const listed = JSON.parse(json[0].out).hosts.length;
  await stopAll();
  return {
    fleet_status_hosts: hosts,
    listed,
    table_ms: Math.round(median(table.map((t) => t.ms))),
    json_ms: Math.round(median(json.map((t) => t.ms))),
    summary: table[0].out.trim().split('\n').at(-1),
  };
}

console.log(
  `machine: ${cpus().length} cores, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} at start`,
);
const all = [];
for (const n of options.sizes.split(',').map(Number).filter(Boolean)) {
  const r = await bench(n);
  console.log(JSON.stringify(r));
  all.push(r);
}
if (options['json-out']) writeFileSync(options['json-out'], `${JSON.stringify(all, null, 2)}\n`);
for (const hosts of options['status-hosts'].split(',').map(Number).filter(Boolean))
  console.log(JSON.stringify(await statusBench(hosts)));
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} at end`,
);
