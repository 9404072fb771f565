import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { check, start, stop } from '../../src/agent.js';
import { statePath } from '../../src/state/state-file.js';
import { FakeKernel } from '../helpers/fake-kernel.js';
import { fakeAgent } from '../helpers/fake-agent.js';

const DR = 'vips: [192.0.2.10, 192.0.2.11]\ninterfaces: [eth0]\n';
const GUARD = 'arp rs_agent';
const withNft = () => Object.assign(new FakeKernel().addLink('eth0'), { nftInstalled: true });

describe('the nftables ARP guard against the fake kernel', () => {
  it('start loads it with the sysctls, before the ip batch that adds the VIPs, and records it as owned', async () => {
    const { kernel, opts } = fakeAgent(DR, withNft());
    expect((await start(opts)).ok).toBe(true);
    const mutating = kernel.mutatingCommands();
    const nft = mutating.findIndex((c) => c.startsWith('nft -f'));
    const batch = mutating.findIndex((c) => c.startsWith('ip -force -batch'));
    expect(nft).toBeGreaterThanOrEqual(0);
    expect(nft).toBeLessThan(batch);
    expect(kernel.nft.elements(GUARD, 'vips4')).toEqual(['192.0.2.10', '192.0.2.11']);
    expect(kernel.nft.ruleCount(GUARD)).toBe(2);
    expect(JSON.parse(readFileSync(statePath(opts.stateDir), 'utf8')).owned.nft).toBe(true);
    expect((await check(opts, false)).drift).toEqual([]);
  });

  it('a flushed or deleted table is drift, and check --fix loads it again', async () => {
    const { kernel, opts } = fakeAgent(DR, withNft());
    await start(opts);
    kernel.nft.flush(GUARD);
    expect((await check(opts, false)).drift.map((c) => `${c.kind} ${c.from}`)).toEqual(['nft altered']);
    expect((await check(opts, true)).remaining).toEqual([]);
    expect(kernel.nft.ruleCount(GUARD)).toBe(2);
    kernel.nft.tables.delete(GUARD);
    expect((await check(opts, true)).drift.map((c) => `${c.kind} ${c.from}`)).toEqual(['nft absent']);
    expect(kernel.nft.elements(GUARD, 'vips4')).toEqual(['192.0.2.10', '192.0.2.11']);
  });

  it('stop removes it last, once nothing VIP-like remains', async () => {
    const { kernel, opts } = fakeAgent(DR, withNft());
    await start(opts);
    const result = await stop(opts);
    expect(result.ok).toBe(true);
    expect(result.changes.at(-1)).toMatchObject({ kind: 'nft', action: 'delete' });
    expect(kernel.nft.tables.has(GUARD)).toBe(false);
    expect((await stop(opts)).changes).toEqual([]);
  });

  it('arp.guard nftables without nft: start fails naming nft and the nftables package, and adds no VIP', async () => {
    const { kernel, opts } = fakeAgent(`${DR}arp: {guard: nftables}\n`);
    const result = await start(opts);
    expect(result.ok).toBe(false);
    const failed = result.outcomes.find((o) => o.status === 'failed');
    expect(failed?.error).toMatch(/nft: command not found.*install the nftables package/);
    expect(kernel.render().addresses).toEqual(['127.0.0.1/8 dev lo']);
  });
});
