import { execa, type ResultPromise } from 'execa';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VipPeer } from '../helpers/vip-peer.js';

// `rs-agent drain` on the real kernel: real TCP connections from the client's namespace
// to a VIP that `rs-agent start` put on the server's lo, and the drain waiting on them.

const VIP = '192.0.2.100';
let peer: VipPeer;
let drainFile: string;
const running: ResultPromise[] = [];

beforeEach(async () => {
  peer = await VipPeer.create([VIP]);
  drainFile = join(peer.ns.dir, 'lib', 'drain');
  peer.ns.writeConfig(`vips: [${VIP}]\ninterfaces: [eth0]\ndrain: {quiet: 2, timeout: 60, file: ${drainFile}}\n`);
  await peer.serve(8080);
  const start = await peer.ns.cli(['start']);
  expect(start.exitCode, start.stderr).toBe(0);
});
afterEach(async () => {
  for (const p of running.splice(0)) p.kill('SIGKILL');
  await peer.destroy();
});

// A drain left running, its output collected as it comes.
function background(args: string[]): { proc: ResultPromise; out: () => string } {
  let out = '';
  const proc = execa('ip', peer.ns.cliArgv(args), { reject: false, buffer: false, all: true });
  proc.all?.on('data', (c: Buffer) => (out += c.toString()));
  running.push(proc);
  return { proc, out: () => out };
}

async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(50);
  }
}

const drainState = async () => {
  const r = await peer.ns.cli(['status', '--json']);
  return (JSON.parse(r.stdout) as { drain: { state: string; by: string } | null }).drain;
};

describe('rs-agent drain on the real kernel', () => {
  it('waits while connections to the VIP are open, printing them; exits 0 once they are closed and none arrived for drain.quiet', async () => {
    const held = await peer.hold(VIP, 8080, 2);
    const d = background(['drain']);
    await until(() => d.out().includes('draining: 2 connections left (192.0.2.100:8080 ×2)'), 'the progress line');
    expect(await drainState()).toMatchObject({ state: 'draining', by: 'operator' });
    await held.close();
    const r = await d.proc;
    expect(r.exitCode, d.out()).toBe(0);
    expect(d.out()).toMatch(/drained: no connection to a VIP left\n$/);
    expect(await drainState()).toMatchObject({ state: 'drained' });
    // The VIP stayed throughout.
    expect((await peer.ns.addresses('lo')).map((a) => a.local)).toContain(VIP);
  });

  // The maintenance case's download (test/e2e/guest/lib/download.py): data flowing from the
  // server, on a connection established before the drain began. It holds halfway until the
  // drain has sampled once, so that sample cannot come after the download ended.
  it('waits for a slow download that began before it, from its first sample, and exits 0 only once the download is done', async () => {
    const download = join(import.meta.dirname, '../e2e/guest/lib/download.py');
    const server = execa('ip', ['netns', 'exec', peer.ns.name, 'python3', download, 'serve', '8081', '1048576'], {
      reject: false,
      buffer: false,
    });
    running.push(server);
    await new Promise<void>((resolve) => server.stdout?.once('data', () => resolve()));
    const hold = join(peer.ns.dir, 'hold');
    writeFileSync(hold, '');
    const fetch = execa(
      'ip',
      ['netns', 'exec', peer.client, 'python3', download, 'fetch', VIP, '8081', '1048576', '131072', hold],
      { reject: false },
    );
    running.push(fetch);
    let receiving = false;
    fetch.stderr?.on('data', (c: Buffer) => (receiving ||= c.toString().includes('receiving')));
    await until(() => receiving, 'the download under way');
    const d = background(['drain']);
    await until(() => /^draining: /m.test(d.out()), "drain's first sample");
    rmSync(hold);
    const [[r, drainEnded], got] = await Promise.all([d.proc.then((x) => [x, Date.now() / 1000] as const), fetch]);
    const result = JSON.parse(String(got.stdout)) as { complete: boolean; ended: number; held: number };
    expect(result, String(got.stderr)).toMatchObject({ complete: true });
    const first = d
      .out()
      .split('\n')
      .find((line) => line.startsWith('draining: '));
    expect(first, d.out()).toBe('draining: 1 connection left (192.0.2.100:8081 ×1)');
    expect(r.exitCode, d.out()).toBe(0);
    // The server's side leaves the count once its last byte is acknowledged, while the client
    // still reads its buffer (a fraction of a second): drain may exit just before the client is
    // done, never seconds before (the held half takes 4 s).
    expect(drainEnded, 'drain exited while the download still had seconds to run').toBeGreaterThan(result.ended - 2);
  }, 60_000);

  it('exits 1 at the timeout naming what is left; the drain stays set', async () => {
    const held = await peer.hold(VIP, 8080, 1);
    const r = await peer.ns.cli(['drain', '--timeout', '3']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(
      'rs-agent: drain timed out: 1 connection left (192.0.2.100:8080 ×1); the drain stays set (rs-agent undrain lifts it)',
    );
    expect(await drainState()).toMatchObject({ state: 'draining' });
    await held.close();
  });

  it('new connections that keep arriving keep it waiting, and the timeout names them', async () => {
    peer.stream(VIP, 8080, 0.3, 40);
    const r = await peer.ns.cli(['drain', '--timeout', '8']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/new connections still arriving \(192\.0\.2\.100:8080 ×\d+ in the last 2 s\)/);
  });

  it('one drain waits at a time; undrain lifts a waiting drain, which exits 1; undrain again exits 1, nothing changed', async () => {
    const held = await peer.hold(VIP, 8080, 1);
    const first = background(['drain']);
    await until(() => first.out().includes('1 connection left'), 'the first drain waiting');
    const second = await peer.ns.cli(['drain']);
    expect(second.exitCode).toBe(2);
    expect(second.stderr).toMatch(/^rs-agent: another rs-agent drain \(pid \d+\) is already waiting; /);
    const undrain = await peer.ns.cli(['undrain']);
    expect(undrain.exitCode, undrain.stderr).toBe(0);
    expect(undrain.stdout).toMatch(/^undrained \(drained since .*\): the health endpoint answers 200 again/);
    const r = await first.proc;
    expect(r.exitCode).toBe(1);
    expect(first.out()).toContain('rs-agent: drain cancelled: the drain was lifted (rs-agent undrain) while waiting');
    const again = await peer.ns.cli(['undrain']);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toBe(`rs-agent: not drained: there is no drain record ${drainFile}; nothing changed`);
    await held.close();
  });

  it("--no-wait sets it and returns; an operator's drain outlives stop and start; stop --drain lifts only the drain it set", async () => {
    const set = await peer.ns.cli(['drain', '--no-wait']);
    expect(set.exitCode, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/^draining: the health endpoint answers 503 from now on \(since /);
    expect((await peer.ns.cli(['stop', '--drain'])).exitCode).toBe(0);
    expect((await peer.ns.cli(['start'])).exitCode).toBe(0);
    expect(await drainState()).toMatchObject({ state: 'drained', by: 'operator' });
    expect((await peer.ns.cli(['undrain'])).exitCode).toBe(0);

    const stop = await peer.ns.cli(['stop', '--drain']);
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(stop.stderr).toContain('drain lifted: stop set it, and the VIPs are gone');
    expect(stop.stdout).toContain(`- address ${VIP}/32 dev lo`);
    expect(existsSync(drainFile)).toBe(false);
  });

  it('a --timeout that is not a duration: exit 2, nothing set', async () => {
    const r = await peer.ns.cli(['drain', '--timeout', 'soon']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(
      'rs-agent: --timeout: "soon" is not a duration; write seconds (30) or a number with ms, s, m or h ("500ms", "5m")',
    );
    expect(existsSync(drainFile)).toBe(false);
  });
});
