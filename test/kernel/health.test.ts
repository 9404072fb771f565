import { execa, type ResultPromise } from 'execa';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Daemon, eventually } from '../helpers/daemon.js';
import { SERVER_IP, VipPeer } from '../helpers/vip-peer.js';

// The health endpoint of `rs-agent run` on the real kernel, asked from the client's
// namespace as a director would: GET /health with curl, the agent-check line with bash's
// /dev/tcp. The daemon answers from the verdict it last published and the drain record.

const VIP = '192.0.2.100';
let peer: VipPeer;
let daemon: Daemon | null = null;
const others: ResultPromise[] = [];

beforeEach(async () => {
  peer = await VipPeer.create([VIP], { tmpfs: true });
});
afterEach(async () => {
  for (const p of others.splice(0)) p.kill('SIGKILL');
  await daemon?.kill(peer.ns);
  daemon = null;
  await peer.destroy();
});

function config(extra = ''): string {
  const drain = join(peer.ns.dir, 'lib', 'drain');
  return (
    `vips: [${VIP}]\ninterfaces: [eth0]\ndrain: {quiet: 1, file: ${drain}}\n` +
    `metrics: {file: ${join(peer.ns.dir, 'rs-agent.prom')}}\n` +
    `health: {listen: "${SERVER_IP}:9100", agent: "${SERVER_IP}:9101"${extra}}\n`
  );
}

async function startDaemon(): Promise<Daemon> {
  daemon = new Daemon(peer.ns);
  await daemon.waitFor((l) => l.event === 'ready', 30_000);
  return daemon;
}

const health = async () => {
  const r = await peer.inClient(['curl', '-s', '-m', '5', '-w', '%{http_code}', `http://${SERVER_IP}:9100/health`]);
  return { status: Number(r.stdout.slice(-3)), body: r.stdout.slice(0, -3) };
};
const agentCheck = async () =>
  (await peer.inClient(['bash', '-c', `exec 3<>/dev/tcp/${SERVER_IP}/9101; cat <&3`])).stdout;

describe('the health endpoint of rs-agent run', () => {
  it('200 pooled while in sync; drain → 503 draining, agent-check drain; undrain → 200 again; the log says each change', async () => {
    peer.ns.writeConfig(config());
    const d = await startDaemon();
    expect(await health()).toEqual({ status: 200, body: 'pooled: in sync\n' });
    expect(await agentCheck()).toBe('up ready');
    const set = await peer.ns.cli(['drain', '--no-wait']);
    expect(set.exitCode, set.stderr).toBe(0);
    const drained = await health();
    expect(drained.status).toBe(503);
    expect(drained.body).toMatch(/^draining since \d{4}-\d\d-\d\dT/);
    expect(await agentCheck()).toBe('drain');
    expect((await peer.ns.cli(['undrain'])).exitCode).toBe(0);
    expect((await health()).status).toBe(200);
    expect(d.lines.filter((l) => l.event === 'health').map((l) => l.state)).toEqual(['pooled', 'draining', 'pooled']);
  });

  it('what the host cannot have (a configured NIC missing) is 503 with the verdict own reason', async () => {
    peer.ns.writeConfig(config().replace('interfaces: [eth0]', 'interfaces: [eth0, eth9]'));
    await startDaemon();
    const r = await health();
    expect(r.status).toBe(503);
    expect(r.body).toMatch(/^unavailable: .*"eth9": no such network interface on this host/);
    expect(await agentCheck()).toMatch(/^down#unavailable: /);
  });

  it('answers at once while a pass waits for the lock, from the verdict last published', async () => {
    peer.ns.writeConfig(config());
    await startDaemon();
    // Another rs-agent (here: flock) holds the state dir's lock; the VIP deleted asks for a
    // pass, which waits for the lock: the VIP stays missing meanwhile.
    // Held once the holder says so: flock runs its command only with the lock taken. (A try
    // of our own failing is not enough: a pass of the daemon may hold the lock at that moment,
    // and the pass the deletion asks for could then take it before the holder.)
    const holder = execa(
      'ip',
      ['netns', 'exec', peer.ns.name, 'flock', join(peer.ns.stateDir, 'lock'), 'sh', '-c', 'echo held; exec sleep 60'],
      { reject: false, buffer: false },
    );
    others.push(holder);
    await new Promise((resolve) => holder.stdout?.once('data', resolve));
    await peer.ns.ip(['addr', 'del', `${VIP}/32`, 'dev', 'lo']);
    const r = await health();
    expect(r).toEqual({ status: 200, body: 'pooled: in sync\n' });
    // It answered before the pass ran: the pass cannot run until the holder lets go (60 s), and
    // once it has run the VIP is back. No bound on the clock: an answer that waited for the
    // lock would come after the repair, and this would fail.
    expect((await peer.ns.addresses('lo')).map((a) => a.local)).not.toContain(VIP);
  });

  it('a service check that cannot connect is 503 naming it; once the service listens, 200', async () => {
    peer.ns.writeConfig(config(', check: "http://127.0.0.1:8081/", check_timeout: 1s'));
    await startDaemon();
    const down = await health();
    expect(down).toEqual({
      status: 503,
      body: 'service: http://127.0.0.1:8081/: connect ECONNREFUSED 127.0.0.1:8081\n',
    });
    const web = execa(
      'ip',
      ['netns', 'exec', peer.ns.name, 'python3', '-m', 'http.server', '-b', '127.0.0.1', '8081'],
      {
        reject: false,
      },
    );
    others.push(web);
    expect(await eventually(async () => (await health()).status === 200, 20_000)).toBe(true);
    expect((await health()).body).toBe('pooled: in sync; service: http://127.0.0.1:8081/ answered 200\n');
  });

  it('the port in use: run exits 2 naming health.listen, having changed nothing', async () => {
    peer.ns.writeConfig(config());
    const squatter = execa(
      'ip',
      [
        'netns',
        'exec',
        peer.ns.name,
        'python3',
        '-c',
        `import socket,time\ns=socket.socket()\ns.bind(("${SERVER_IP}",9100))\ns.listen()\nprint("up",flush=True)\ntime.sleep(60)`,
      ],
      { reject: false, buffer: false },
    );
    others.push(squatter);
    await new Promise((resolve) => squatter.stdout?.once('data', resolve));
    const r = await peer.ns.cli(['run']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(
      `rs-agent: health.listen ${SERVER_IP}:9100: the port is in use by another process; pick a free port for health.listen`,
    );
    expect((await peer.ns.addresses('lo')).map((a) => a.local)).toEqual(['127.0.0.1']);
  });

  it('the metrics file carries the traffic and the drain state', async () => {
    peer.ns.writeConfig(config());
    await peer.serve(8080);
    await startDaemon();
    const held = await peer.hold(VIP, 8080, 2);
    await peer.ns.cli(['drain', '--no-wait']);
    // The schedule's next pass (every 30 s) writes them; a SIGHUP asks for one now.
    daemon?.signal('SIGHUP');
    // A pass before the drain (the held connections' own) may already show them: wait for
    // the file that shows both.
    const prom = join(peer.ns.dir, 'rs-agent.prom');
    let text = '';
    const shows = async () => {
      text = readFileSync(prom, 'utf8');
      return (
        text.includes('rs_agent_vip_connections{vip="192.0.2.100",port="8080"} 2\n') &&
        text.includes('rs_agent_drained 1\n')
      );
    };
    expect(await eventually(shows, 20_000), `the metrics file as last read:\n${text}`).toBe(true);
    expect(text).toContain('rs_agent_vip_new_connections_total{vip="192.0.2.100",port="8080"} 2\n');
    expect(text).toContain('rs_agent_vip_counted{vip="192.0.2.100"} 1\n');
    expect(text).toContain('rs_agent_drained 1\n');
    expect(text).toMatch(/rs_agent_rp_filter_drops_total \d+\n/);
    await held.close();
  });
});
