import { execa, type ResultPromise } from 'execa';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Daemon, eventually } from '../helpers/daemon.js';
import { SERVER_IP, VipPeer } from '../helpers/vip-peer.js';

// docs/directors.md's HAProxy and ldirectord snippets, run by the real programs (Debian's)
// in the client's namespace against `rs-agent run`'s health endpoint (and HAProxy's agent):
// the snippet's first real server (192.0.2.11) is the test's real server, the second answers
// nothing. HAProxy's view is read from its stats socket, as an operator would. ldirectord
// drives IPVS through ipvsadm, and this kernel has no IPVS: it runs in a mount namespace of its
// own with a stand-in ipvsadm that keeps the table in a file (test/helpers/ipvsadm-table.py).
// The keepalived snippet is the VM test's (test/docs/directors.test.ts).

const ROOT = join(import.meta.dirname, '../..');
const VIP = '192.0.2.100';
const IPVSADM_TABLE = join(ROOT, 'test/helpers/ipvsadm-table.py');

// The first fenced block of a "## DIRECTOR" section.
function snippet(director: string): string {
  const section =
    readFileSync(join(ROOT, 'docs/directors.md'), 'utf8')
      .split(/^## /m)
      .find((s) => s.startsWith(`${director}\n`)) ?? '';
  return /```\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
}

let peer: VipPeer;
let daemon: Daemon | null = null;
let director: ResultPromise | null = null;
beforeEach(async () => {
  peer = await VipPeer.create([VIP], { tmpfs: true });
});
afterEach(async () => {
  director?.kill('SIGKILL');
  await director;
  director = null;
  await daemon?.kill(peer.ns);
  daemon = null;
  await peer.destroy();
});

// `rs-agent run` on the real server with its health endpoint (and HAProxy's agent).
async function startRealServer(agent: boolean): Promise<void> {
  const drainFile = join(peer.ns.dir, 'lib', 'drain');
  const listen = `listen: "${SERVER_IP}:9100"${agent ? `, agent: "${SERVER_IP}:9101"` : ''}`;
  peer.ns.writeConfig(`vips: [${VIP}]\ninterfaces: [eth0]\ndrain: {file: ${drainFile}}\nhealth: {${listen}}\n`);
  daemon = new Daemon(peer.ns);
  await daemon.waitFor((l) => l.event === 'ready', 30_000);
}

// rs-agent drain --no-wait, or undrain, on the real server.
async function drain(command: 'drain' | 'undrain'): Promise<void> {
  const r = await peer.ns.cli(command === 'drain' ? ['drain', '--no-wait'] : ['undrain']);
  expect(r.exitCode, r.stderr).toBe(0);
}

// The real servers' weights in the stand-in's IPVS table, and the ipvsadm commands it took.
function ipvs(table: string): { weights: Record<string, number>; commands: string } {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  const services = JSON.parse(read(table) || '{}') as Record<string, { real: Record<string, { weight: number }> }>;
  const real = Object.entries(services[`${VIP}:80`]?.real ?? {}).sort();
  return {
    weights: Object.fromEntries(real.map(([rip, r]) => [rip, r.weight])),
    commands: read(`${table}.log`).trim().split('\n').join('; '),
  };
}

// What `show stat` says of a server of the backend `app`: status, weight, the check's and
// the agent's last result.
async function server(socket: string, name: string): Promise<Record<string, string>> {
  const ask = `import socket, sys\ns = socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\ns.sendall(b'show stat\\n')\nprint(s.makefile().read())`;
  const csv = (await execa('python3', ['-c', ask, socket])).stdout.trim().split('\n');
  const header = (csv[0] ?? '').replace(/^# /, '').split(',');
  const row = csv.map((l) => l.split(',')).find((r) => r[0] === 'app' && r[1] === name) ?? [];
  return Object.fromEntries(header.map((h, i) => [h, row[i] ?? '']));
}

describe("directors polling rs-agent's health endpoint with docs/directors.md's snippets", () => {
  it('HAProxy: the snippet is a valid config; the server is up, drained at `rs-agent drain`, and up again at `undrain`', async () => {
    await startRealServer(true);

    const text = snippet('HAProxy');
    expect(text).toContain('server rs1 192.0.2.11:80');
    const socket = join(peer.ns.dir, 'haproxy.sock');
    const config = join(peer.ns.dir, 'haproxy.cfg');
    writeFileSync(
      config,
      [
        'global',
        `    stats socket ${socket} mode 600 level admin`,
        'defaults',
        '    mode http',
        '    timeout connect 2s',
        '    timeout client 10s',
        '    timeout server 10s',
        'frontend web',
        '    bind 127.0.0.1:8080',
        '    default_backend app',
        text.replaceAll('192.0.2.11', SERVER_IP),
      ].join('\n'),
    );
    const checked = await execa('ip', ['netns', 'exec', peer.client, 'haproxy', '-c', '-f', config], { reject: false });
    expect(checked.exitCode, checked.stderr + checked.stdout).toBe(0);
    director = execa('ip', ['netns', 'exec', peer.client, 'haproxy', '-db', '-f', config], { reject: false });

    // Polled until HAProxy shows the wanted state (the bound is for a busy machine); every
    // status seen is kept, and the last one printed when the state does not come.
    let seen: Record<string, string> = {};
    const statuses: string[] = [];
    const shows = async (want: (s: Record<string, string>) => boolean) =>
      eventually(async () => {
        seen = await server(socket, 'rs1').catch(() => ({}));
        if (seen.status && statuses.at(-1) !== seen.status) statuses.push(seen.status);
        return want(seen);
      }, 30_000);
    const summary = () =>
      `rs1: status ${seen.status}, weight ${seen.weight}, check ${seen.check_status} ${seen.check_code}, agent ${seen.agent_status}; statuses seen: ${statuses.join(' → ')}`;
    const up = (s: Record<string, string>) => s.status === 'UP' && s.weight === '1' && s.check_code === '200';

    expect(await shows(up), summary()).toBe(true);
    // The second server answers nothing: down after its first three checks.
    expect(
      await eventually(
        async () =>
          ((await server(socket, 'rs2').catch((): Record<string, string> => ({}))).status ?? '').startsWith('DOWN'),
        30_000,
      ),
    ).toBe(true);

    await drain('drain');
    // The agent's "drain" (every 2 s) drains it first: no new connections, established
    // ones go on; three failed checks (503, 2 s apart) then mark it down, which keeps its
    // established connections too (no on-marked-down shutdown-sessions).
    expect(await shows((s) => s.status === 'DOWN' && s.check_code === '503'), summary()).toBe(true);
    // (A check may fail before the agent's drain: "UP 2/3" comes between.)
    const sinceDrain = statuses.slice(statuses.lastIndexOf('UP'));
    expect(
      sinceDrain.filter((st) => !/ \d+\/\d+$/.test(st)),
      summary(),
    ).toEqual(['UP', 'DRAIN (agent)', 'DOWN']);

    await drain('undrain');
    expect(await shows(up), summary()).toBe(true);
  }, 120_000);

  it('ldirectord: the snippet quiesces the server (weight 0) at `rs-agent drain` and restores it at `undrain`', async () => {
    await startRealServer(false);
    const text = snippet('ldirectord');
    expect(text).toContain('real=192.0.2.11:80 gate');
    const config = join(peer.ns.dir, 'ldirectord.cf');
    writeFileSync(config, ['checktimeout=3', 'checkinterval=1', text.replaceAll('192.0.2.11', SERVER_IP)].join('\n'));
    const table = join(peer.ns.dir, 'ipvs.json');
    // A tmpfs on /run for its pid file, and the stand-in over ipvsadm.
    const setup = `mount -t tmpfs none /run && mount --bind ${IPVSADM_TABLE} /usr/sbin/ipvsadm && exec ldirectord -d ${config} start`;
    director = execa(
      'ip',
      ['netns', 'exec', peer.client, 'env', `IPVSADM_TABLE=${table}`, 'unshare', '--mount', 'sh', '-c', setup],
      { reject: false },
    );
    let seen = ipvs(table);
    const weightsAre = async (want: Record<string, number>) =>
      eventually(async () => {
        seen = ipvs(table);
        return JSON.stringify(seen.weights) === JSON.stringify(want);
      }, 30_000);
    const said = () => `weights ${JSON.stringify(seen.weights)}; ipvsadm run: ${seen.commands}`;
    // Sorted as ipvs() sorts them; the unreachable second server is quiesced from the start.
    const pooled = { [`${SERVER_IP}:80`]: 1, '192.0.2.12:80': 0 };
    const drained = { [`${SERVER_IP}:80`]: 0, '192.0.2.12:80': 0 };
    expect(await weightsAre(pooled), said()).toBe(true);
    await drain('drain');
    expect(await weightsAre(drained), said()).toBe(true);
    await drain('undrain');
    expect(await weightsAre(pooled), said()).toBe(true);
  }, 120_000);
});
