// Benchmark of `rs-agent run` (not a test: figures, no pass/fail), in a throwaway
// network namespace:
//   - VIP repair latency: from an external `ip addr del` to the VIP being back, read
//     from `ip -ts monitor` timestamps (both events stamped by the same monitor);
//   - sysctl repair time: from a write of a wrong value to the right one being back,
//     with arp.guard off: the exposure a reset leaves when only the sysctls protect,
//     bounded by drift.sysctl_interval (default 100 ms) plus one pass;
//   - the daemon's idle CPU over a minute (its own time, its reaped children's, and its
//     monitor children's) and its RSS, with the default config (the ARP guard on, as
//     shipped) and with arp.guard off (the sysctl re-read then bounds the exposure, at its
//     100 ms default);
//   - ARP exposure of a steady VIP after sysctl resets, arp.guard off, with and without
//     an address fight elsewhere on the host, counted by a real prober in a peer
//     namespace (daemon-exposure.ts).
// Run as root: npm run bench:daemon. BENCH_IDLE_S shortens the idle minute;
// BENCH_EXPOSURE_ROUNDS sets the rounds of each exposure case (default 3);
// BENCH_COMPARE_CLI names another build's dist/cli/main.js (an earlier commit's, say): its
// exposure rounds alternate with this one's, so both see the same load.
// The machine may be shared: each figure carries the 1-minute load average around it.
import { execa, type ResultPromise } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CASES, exposureRound, OWN_ADDRESS, PEER_ADDRESS, type Case, type ExposureRound } from './daemon-exposure.js';

const ROOT = resolve(import.meta.dirname, '../../..');
// BENCH_CLI: another build's CLI (npm run bench -- --cli FILE).
const CLI = process.env.BENCH_CLI ?? join(ROOT, 'dist/cli/main.js');
const OUT = join(ROOT, 'bench/out');
const VIP = '192.0.2.10';
const SYSCTL = '/proc/sys/net/ipv4/conf/eth0/arp_ignore';
const VIP_ROUNDS = 40;
const SYSCTL_ROUNDS = 12;
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 60);
const EXPOSURE_ROUNDS = Number(process.env.BENCH_EXPOSURE_ROUNDS ?? 3);
const COMPARE_CLI = process.env.BENCH_COMPARE_CLI;
const FOUGHT_VIP = '192.0.2.11';
const CLK_TCK = 100; // USER_HZ on Linux

if (process.argv[2] === '--inside') await inside(process.argv[3] as string, process.argv[4] as string);
else await outside();

// Sets up the namespace (eth0, whose peer end lives in a second namespace with an
// address in eth0's subnet: the prober's side) and runs this file again inside it.
async function outside(): Promise<void> {
  const ns = `rsa-bench-${process.pid}`;
  const peer = `${ns}-peer`;
  const dir = mkdtempSync(join(tmpdir(), `${ns}-`));
  try {
    await execa('ip', ['netns', 'add', ns]);
    await execa('ip', ['netns', 'add', peer]);
    await execa('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    await execa('ip', ['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0-peer', 'netns', peer]);
    await execa('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    await execa('ip', ['-n', ns, 'addr', 'add', `${OWN_ADDRESS}/24`, 'dev', 'eth0']);
    await execa('ip', ['-n', peer, 'link', 'set', 'eth0-peer', 'up']);
    await execa('ip', ['-n', peer, 'addr', 'add', `${PEER_ADDRESS}/24`, 'dev', 'eth0-peer']);
    await execa('ip', ['netns', 'exec', ns, process.execPath, import.meta.filename, '--inside', dir, peer], {
      stdio: 'inherit',
    });
  } finally {
    for (const name of [ns, peer]) {
      const pids = (await execa('ip', ['netns', 'pids', name], { reject: false })).stdout.split('\n').filter(Boolean);
      for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
      await execa('ip', ['netns', 'del', name], { reject: false });
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

async function inside(dir: string, peer: string): Promise<void> {
  // Default drift settings, except the flap backoff: the benchmark itself deletes the
  // VIP far more often than it allows. The ARP guard off: the sysctl figure is then the
  // exposure after a reset (with the guard on, ARP for the VIP is dropped meanwhile).
  const first = await startDaemon(dir, `drift: {flap: {max_repairs: 1000}}\n`);
  const machine = { cpus: cpus().length, model: cpus()[0]?.model, node: process.version };
  const withLoad = async <T>(measure: () => Promise<T>) => {
    const before = loadavg()[0] ?? 0;
    const value = await measure();
    return { value, loadavg1: [round(before, 2), round(loadavg()[0] ?? 0, 2)] };
  };
  const vip = await withLoad(() => vipLatency(first.log));
  const sysctl = await withLoad(() => sysctlLatency());
  await sleep(2_000);
  const idleGuardOff = await withLoad(() => idleCost(first.pid));
  await first.stop();
  // The daemon as shipped: the config names its VIPs and NIC, every other setting is its default.
  const shipped = await startDaemon(dir, '', CLI, '');
  await sleep(2_000);
  const idle = await withLoad(() => idleCost(shipped.pid));
  await shipped.stop();

  // ARP exposure, each round with a daemon of its own (the flap backoff starts afresh),
  // the cases in turn, and this build's and the compared one's in turn.
  const clis = { this: CLI, ...(COMPARE_CLI ? { compare: COMPARE_CLI } : {}) };
  const rounds: (ExposureRound & { cli: string })[] = [];
  for (let r = 0; r < EXPOSURE_ROUNDS; r++) {
    for (const what of CASES) {
      for (const [name, cli] of Object.entries(clis)) {
        const d = await startDaemon(dir, '', cli);
        rounds.push({ cli: name, ...(await exposureRound(ROOT, peer, VIP, FOUGHT_VIP, what)) });
        await d.stop();
      }
    }
  }
  const exposure = (cli: string, what: Case) => {
    const these = rounds.filter((r) => r.cli === cli && r.case === what);
    return {
      answered: these.map((r) => r.answered),
      sent: these.map((r) => r.sent),
      exposureMs: summary(these.flatMap((r) => r.exposureMs)),
      fightDeletions: these.map((r) => r.fightDeletions),
      loadavg1: these.map((r) => r.loadavg1.map((l) => round(l, 2))),
    };
  };
  const exposures: Record<string, { cli: string } & Record<Case, ReturnType<typeof exposure>>> = {};
  for (const [name, cli] of Object.entries(clis))
    exposures[name] = {
      cli,
      ...(Object.fromEntries(CASES.map((what) => [what, exposure(name, what)])) as Record<
        Case,
        ReturnType<typeof exposure>
      >),
    };

  const result = {
    when: new Date().toISOString(),
    nodeOptions: first.nodeOptions,
    machine,
    vipRepairMs: { ...summary(vip.value.fromMonitor), loadavg1: vip.loadavg1 },
    vipPassMs: summary(vip.value.passDurations), // the daemon's own figure for the same repairs
    sysctlRepairMs: { ...summary(sysctl.value), loadavg1: sysctl.loadavg1 },
    idle: { ...idle.value, loadavg1: idle.loadavg1 }, // the default config
    idleGuardOff: { ...idleGuardOff.value, loadavg1: idleGuardOff.loadavg1 },
    exposure: exposures,
  };
  const load = (l: number[]) => `load ${l.join(' → ')}`;
  const v = result.vipRepairMs;
  console.log(
    `VIP repair (ip addr del → back, ip -ts monitor), ${v.n} rounds: median ${v.median} ms, p90 ${v.p90} ms, min ${v.min} ms, max ${v.max} ms (${load(v.loadavg1)})`,
  );
  console.log(`  the daemon's pass duration for those repairs: median ${result.vipPassMs.median} ms`);
  const s = result.sysctlRepairMs;
  console.log(
    `sysctl repair = exposure after a reset with arp.guard off (${SYSCTL} reset → back, default sysctl_interval), ${s.n} rounds: median ${s.median} ms, p90 ${s.p90} ms, max ${s.max} ms (${load(s.loadavg1)})`,
  );
  const i = result.idle;
  for (const [what, r] of [
    ['default config (ARP guard on)', result.idle],
    ['arp.guard off', result.idleGuardOff],
  ] as const)
    console.log(
      `idle over ${IDLE_S} s, ${what}: CPU ${r.cpuPercent}% (daemon ${r.daemonTicks} ticks, reaped children ${r.childTicks}, monitor children ${r.monitorTicks}) (${load(r.loadavg1)})`,
    );
  console.log(
    `RSS ${i.rssMiB} MiB, default config (private ${i.anonMiB} MiB + file-backed ${i.fileMiB} MiB, mostly the node binary shared with every node process), peak ${i.hwmMiB} MiB; monitor children ${i.monitorRssMiB} MiB`,
  );
  const cases: Record<Case, string> = {
    quiet: 'no fight',
    fight: `another tool deleting ${FOUGHT_VIP} every 200 ms`,
    churn: `that, and a route added and removed every 200 ms`,
  };
  for (const [name, byCase] of Object.entries(exposures)) {
    console.log(
      `ARP exposure of ${VIP}, arp.guard off, 10 resets of the ARP sysctls a second apart (${name}: ${byCase.cli}):`,
    );
    for (const what of CASES) {
      const e = byCase[what];
      console.log(
        `  ${cases[what]}: answered ${e.answered.join(', ')} of ${e.sent.join(', ')} requests; reset → back median ${e.exposureMs.median} ms, p90 ${e.exposureMs.p90} ms, max ${e.exposureMs.max} ms` +
          `${what === 'quiet' ? '' : ` (VIP deletions ${e.fightDeletions.join(', ')})`} (load ${e.loadavg1.map((l) => l.join(' → ')).join('; ')})`,
      );
    }
  }
  console.log(`on ${machine.cpus} CPUs`);
  mkdirSync(OUT, { recursive: true });
  const text = `${JSON.stringify(result, null, 2)}\n`;
  writeFileSync(join(OUT, 'daemon.json'), text);
  writeFileSync(join(OUT, `daemon-${result.when.replace(/[:.]/g, '-')}.json`), text);
  console.log(`written to ${join(OUT, 'daemon.json')}`);
}

// `rs-agent run` on a config of two VIPs, arp.guard off unless `arp` says otherwise ('':
// the default), plus `drift`; ready when it resolves. As in production: the state dir on
// tmpfs (/run is one under systemd), and the NODE_OPTIONS the watch unit sets.
async function startDaemon(dir: string, drift: string, cli = CLI, arp = 'arp: {guard: off}\n') {
  const config = join(dir, 'rs-agent.yaml');
  writeFileSync(config, `vips: [${VIP}, ${FOUGHT_VIP}]\ninterfaces: [eth0]\n${arp}${drift}`);
  const log: { event: string; item?: string; duration_ms?: number }[] = [];
  const stateDir = mkdtempSync('/dev/shm/rs-agent-bench-');
  const nodeOptions =
    /^Environment="?NODE_OPTIONS=([^"\n]*)"?$/m.exec(
      readFileSync(join(ROOT, 'units/rs-agent-watch.service'), 'utf8'),
    )?.[1] ?? '';
  const daemon = execa(process.execPath, [cli, 'run', '--config', config, '--state-dir', stateDir], {
    buffer: false,
    reject: false,
    env: { NODE_OPTIONS: nodeOptions },
  });
  lines(daemon, (line) => log.push(JSON.parse(line)));
  await until(() => log.some((l) => l.event === 'ready'), 20_000);
  return {
    log,
    nodeOptions,
    pid: daemon.pid as number,
    stop: async () => {
      daemon.kill('SIGTERM');
      await daemon;
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

// Deletes the VIP from outside the daemon, VIP_ROUNDS times, and reads from one
// `ip -ts monitor` when the kernel removed it and when it was back.
async function vipLatency(log: { event: string; item?: string; duration_ms?: number }[]) {
  const events: { at: number; deleted: boolean }[] = [];
  const monitor = execa('ip', ['-ts', 'monitor', 'address'], { buffer: false, reject: false });
  lines(monitor, (line) => {
    const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\] (Deleted )?\d+: lo\s+inet (\S+)\//.exec(line);
    if (m && m[4] === VIP)
      events.push({ at: Date.parse(`${m[1]}Z`) + Number(m[2]) / 1000, deleted: m[3] !== undefined });
  });
  await sleep(300);
  const fromMonitor: number[] = [];
  for (let i = 0; i < VIP_ROUNDS; i++) {
    const seen = events.length;
    await execa('ip', ['addr', 'del', `${VIP}/32`, 'dev', 'lo']);
    await until(() => events.slice(seen).some((e) => !e.deleted), 5_000);
    const del = events.slice(seen).find((e) => e.deleted);
    const add = events.slice(seen).find((e) => !e.deleted);
    if (del && add) fromMonitor.push(add.at - del.at);
    await sleep(200 + Math.random() * 200);
  }
  monitor.kill();
  const passDurations = log
    .filter((l) => l.event === 'repair' && l.item === `address ${VIP}/32 dev lo`)
    .slice(-VIP_ROUNDS)
    .map((l) => l.duration_ms ?? 0);
  return { fromMonitor, passDurations };
}

// Writes a wrong value and polls (1 ms) until the daemon has put the right one back.
async function sysctlLatency(): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < SYSCTL_ROUNDS; i++) {
    await sleep(300 + Math.random() * 500); // a different phase of the daemon's interval each round
    const t0 = performance.now();
    writeFileSync(SYSCTL, '0\n');
    await until(() => readFileSync(SYSCTL, 'utf8').trim() === '1', 5_000, 1);
    out.push(performance.now() - t0);
  }
  return out;
}

// The monitor children (ip monitor, nft monitor) live through the window; the `ip` and
// `nft` runs of passes are reaped and counted in the daemon's children's ticks.
async function idleCost(pid: number) {
  const monitorPids = childrenOf(pid).filter((c) =>
    /^(ip|nft)\0monitor/.test(readFileSync(`/proc/${c}/cmdline`, 'utf8')),
  );
  const monitorsTicks = () => monitorPids.reduce((sum, m) => sum + cpuTicks(m).own, 0);
  const before = { daemon: cpuTicks(pid), monitors: monitorsTicks() };
  await sleep(IDLE_S * 1000);
  const after = { daemon: cpuTicks(pid), monitors: monitorsTicks() };
  const daemonTicks = after.daemon.own - before.daemon.own;
  const childTicks = after.daemon.children - before.daemon.children;
  const monitorTicks = after.monitors - before.monitors;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string, text = status) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return {
    seconds: IDLE_S,
    cpuPercent: round(((daemonTicks + childTicks + monitorTicks) / CLK_TCK / IDLE_S) * 100, 3),
    daemonTicks,
    childTicks,
    monitorTicks,
    rssMiB: round(kib('VmRSS') / 1024, 1),
    anonMiB: round(kib('RssAnon') / 1024, 1),
    fileMiB: round(kib('RssFile') / 1024, 1),
    hwmMiB: round(kib('VmHWM') / 1024, 1),
    monitorRssMiB: round(
      monitorPids.reduce((sum, m) => sum + kib('VmRSS', readFileSync(`/proc/${m}/status`, 'utf8')), 0) / 1024,
      1,
    ),
  };
}

// utime+stime of the process, and cutime+cstime of its reaped children (the `ip`
// runs of scheduled reconciles), in clock ticks.
function cpuTicks(pid: number): { own: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  // fields[0] is field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17.
  const f = (n: number) => fields[n - 3] ?? 0;
  return { own: f(14) + f(15), children: f(16) + f(17) };
}

function childrenOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
    readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
  );
}

function lines(child: ResultPromise, onLine: (line: string) => void): void {
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) if (line) onLine(line);
  });
}

async function until(check: () => boolean, timeoutMs: number, stepMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await sleep(stepMs);
  }
}

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN, 2);
  return {
    n: sorted.length,
    median: at(0.5),
    p90: at(0.9),
    min: round(sorted[0] ?? NaN, 2),
    max: round(sorted.at(-1) ?? NaN, 2),
  };
}

function round(n: number, digits: number): number {
  return Number(n.toFixed(digits));
}
