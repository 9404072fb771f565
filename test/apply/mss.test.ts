import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { check, planStart, start, stop } from '../../src/agent.js';
import { formatChange, formatDrift } from '../../src/render/change.js';
import { statePath } from '../../src/state/state-file.js';
import { parseMssTable } from '../../src/objects/nft/mss-clamp.js';
import { status } from '../../src/status.js';
import { FakeKernel } from '../helpers/fake-kernel.js';
import { fakeAgent } from '../helpers/fake-agent.js';

const TUN =
  'vips:\n  - 192.0.2.10\n  - {address: 198.51.100.7, mode: tun}\n  - {address: 198.51.100.8, mode: tun, encap: gue, port: 6080}\ninterfaces: [eth0]\n';

function kernel(nft = true): FakeKernel {
  const k = new FakeKernel().addLink('eth0');
  for (const m of ['ipip', 'fou']) k.availableModules.add(m);
  k.nftInstalled = nft;
  const eth0 = k.links.get('eth0');
  if (eth0) eth0.mtu = 1500;
  return k;
}

const MSS = 'inet rs_agent';
// What the fake's table clamps, as the observer reads it back; null: no table.
const clamps = (k: FakeKernel) => {
  const json = k.nft.list(MSS);
  return json === null ? null : parseMssTable(JSON.stringify(json)).holds;
};

const owned = (opts: { stateDir: string }) =>
  (JSON.parse(readFileSync(statePath(opts.stateDir), 'utf8')) as { owned: { mss?: boolean } }).owned;

describe('MSS clamping against the fake kernel', () => {
  it('start loads the clamp for each TUN VIP before the VIPs, records it; the next plan is empty; stop deletes it', async () => {
    const { kernel: k, opts } = fakeAgent(TUN, kernel());
    const result = await start(opts);
    expect(result.ok).toBe(true);
    expect(result.problems).toEqual([]);
    const lines = result.changes.map(formatChange);
    const load = lines.indexOf('+ nft table inet rs_agent: absent → 198.51.100.7 1440, 198.51.100.8 1428');
    expect(load).toBeGreaterThan(0);
    expect(load).toBeLessThan(lines.findIndex((l) => l.startsWith('+ address')));
    expect(clamps(k)).toEqual(['198.51.100.7 1440', '198.51.100.8 1428']);
    expect(owned(opts).mss).toBe(true);
    expect((await planStart(opts)).changes).toEqual([]);
    const report = await status(opts);
    expect(report.vips.map((v) => `${v.address} ${v.mss ?? '-'}`)).toEqual([
      '192.0.2.10 -',
      '198.51.100.7 1440',
      '198.51.100.8 1428',
    ]);
    expect(report.mssClamp).toMatchObject({ available: true, table: 'present', owned: true });
    expect(report.mssClamp.clamps.every((c) => c.inForce)).toBe(true);
    const stopped = await stop(opts);
    expect(stopped.changes.map(formatChange)).toContain(
      '- nft table inet rs_agent: 198.51.100.7 1440, 198.51.100.8 1428 → absent',
    );
    expect(clamps(k)).toBeNull();
  });

  it('flushed or deleted by someone else: check reports it, check --fix reloads it', async () => {
    const { kernel: k, opts } = fakeAgent(TUN, kernel());
    await start(opts);
    k.nft.flush(MSS);
    const drift = await check(opts, false);
    expect(drift.drift.map(formatDrift)).toEqual([
      'nft table inet rs_agent: flushed → 198.51.100.7 1440, 198.51.100.8 1428',
    ]);
    expect((await status(opts)).mssClamp.clamps.map((c) => c.inForce)).toEqual([false, false]);
    const fixed = await check(opts, true);
    expect(fixed.remaining).toEqual([]);
    expect(k.nft.ruleCount(MSS)).toBe(2);
    k.nft.tables.delete(MSS);
    expect((await check(opts, false)).drift.map(formatDrift)).toEqual([
      'nft table inet rs_agent: absent → 198.51.100.7 1440, 198.51.100.8 1428',
    ]);
  });

  it('tunnel.mss off: no table; turned off after start: the table rs-agent loaded goes', async () => {
    const { kernel: k, opts, setConfig } = fakeAgent(`${TUN}tunnel: {mss: off}\n`, kernel());
    await start(opts);
    expect(clamps(k)).toBeNull();
    expect(k.commands.filter((c) => /inet rs_agent\b(?!_)/.test(c))).toEqual([]);
    setConfig(TUN);
    await start(opts);
    expect(clamps(k)).not.toBeNull();
    setConfig(`${TUN}tunnel: {mss: {ipv4: off}}\n`);
    const off = await start(opts);
    expect(off.changes.map(formatChange)).toEqual([
      '- nft table inet rs_agent: 198.51.100.7 1440, 198.51.100.8 1428 → absent',
    ]);
    expect(clamps(k)).toBeNull();
    expect(owned(opts).mss).toBeUndefined();
  });

  it('a state file from before the clamp existed still reads, and stop still works from it', async () => {
    const { kernel: k, opts } = fakeAgent(TUN, kernel());
    await start(opts);
    const path = statePath(opts.stateDir);
    const file = JSON.parse(readFileSync(path, 'utf8')) as { owned: Record<string, unknown> };
    delete file.owned.mss;
    (await import('node:fs')).writeFileSync(path, JSON.stringify(file));
    await stop(opts);
    // Not recorded as rs-agent's: left in place, as any table someone else loaded.
    expect(clamps(k)).not.toBeNull();
    expect(k.render().addresses).toEqual(['127.0.0.1/8 dev lo']);
  });

  it('the tunnel module missing: the clamp for the VIPs that could not be placed is not attempted either', async () => {
    const k = kernel();
    k.availableModules.delete('ipip');
    const { opts } = fakeAgent('mode: tun\nvips: [198.51.100.7]\ninterfaces: [eth0]\n', k);
    const result = await start(opts);
    const mss = result.outcomes.find((o) => o.change.target === 'table inet rs_agent');
    expect(mss).toMatchObject({ status: 'skipped', error: 'not attempted: kernel module ipip failed first' });
    expect(clamps(k)).toBeNull();
    // Another module's failure (fou: the GUE listener) is no reason: the VIPs are on tunl0.
    const both = kernel();
    both.availableModules.delete('fou');
    const { opts: opts2 } = fakeAgent(TUN, both);
    await start(opts2);
    expect(clamps(both)).toEqual(['198.51.100.7 1440', '198.51.100.8 1428']);
  });

  it('without nft: a problem naming the TUN VIPs, every VIP still in place', async () => {
    const { kernel: k, opts } = fakeAgent(TUN, kernel(false));
    const result = await start(opts);
    expect(result.problems.map((p) => p.item)).toEqual(['nft table inet rs_agent']);
    expect(result.problems[0]?.message).toMatch(
      /^MSS clamping for TUN VIPs needs nftables: nft: command not found in PATH; not clamped: 198\.51\.100\.7, 198\.51\.100\.8 /,
    );
    expect(result.ok).toBe(true);
    expect(k.render().addresses).toEqual(
      expect.arrayContaining([
        '192.0.2.10/32 dev lo label lo:0',
        '198.51.100.7/32 dev tunl0',
        '198.51.100.8/32 dev tunl0',
      ]),
    );
    expect((await check(opts, false)).problems.map((p) => p.item)).toEqual(['nft table inet rs_agent']);
    const report = await status(opts);
    expect(report.inSync).toBe(false);
    expect(report.mssClamp).toMatchObject({
      available: false,
      reason: 'nft: command not found in PATH',
      table: 'absent',
    });
  });
});
