import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { check, planStart, start, stop } from '../../src/agent.js';
import { statePath } from '../../src/state/state-file.js';
import { FakeKernel } from '../helpers/fake-kernel.js';
import { fakeAgent } from '../helpers/fake-agent.js';

// A real server of a CDN or multi-tenant cluster: thousands of VIPs in one config.
const N = 10000;
const vip = (i: number) => `198.18.${i >> 8}.${i & 255}`;
const CONFIG = `interfaces: [eth0]\nvips:\n${Array.from({ length: N }, (_, i) => `  - ${vip(i)}\n`).join('')}`;

describe(`${N} VIPs against the fake kernel`, () => {
  it('start adds every VIP with its own lo:N label in one ip batch, stop takes the host back exactly', async () => {
    const kernel = new FakeKernel().addLink('eth0');
    // Someone else's address holding lo:3: the labels skip it and stop leaves it.
    kernel.links.get('lo')?.addresses.push({ local: '203.0.113.5', prefixlen: 32, family: 'inet', label: 'lo:3' });
    const pristine = kernel.render();
    const { opts } = fakeAgent(CONFIG, kernel);

    const first = await start(opts);
    expect(first.ok).toBe(true);
    expect(first.outcomes).toHaveLength(8 + 2 * N);
    const batches = kernel.mutatingCommands().filter((c) => c.startsWith('ip -force -batch'));
    expect(batches).toHaveLength(1);
    const lo = kernel.links.get('lo')?.addresses ?? [];
    expect(lo).toHaveLength(N + 2);
    const labels = lo.slice(2).map((a) => a.label);
    expect(labels.slice(0, 5)).toEqual(['lo:0', 'lo:1', 'lo:2', 'lo:4', 'lo:5']);
    expect(labels.at(-1)).toBe(`lo:${N}`);
    expect(new Set(labels).size).toBe(N);
    expect(new Set(lo.map((a) => a.local))).toEqual(
      new Set(['127.0.0.1', '203.0.113.5', ...Array.from({ length: N }, (_, i) => vip(i))]),
    );
    expect(kernel.routes).toHaveLength(N);
    const state = JSON.parse(readFileSync(statePath(opts.stateDir), 'utf8')) as {
      owned: { addresses: unknown[]; routes: unknown[] };
    };
    expect(state.owned.addresses).toHaveLength(N);
    expect(state.owned.routes).toHaveLength(N);

    expect((await planStart(opts)).changes).toEqual([]);
    expect(await check(opts, false)).toMatchObject({ drift: [], remaining: [], conflicts: [], problems: [] });

    // Drift in the middle of the list is found and repaired alone.
    const middle = lo.findIndex((a) => a.local === vip(5000));
    lo.splice(middle, 1);
    const repaired = await check(opts, true);
    expect(repaired.drift.map((c) => c.target)).toEqual([`${vip(5000)}/32 dev lo`]);
    expect(repaired.remaining).toEqual([]);

    // While someone else's address stays on lo, stop keeps ARP protection for it.
    const down = await stop(opts);
    expect(down.ok).toBe(true);
    expect(kernel.render().addresses).toEqual(pristine.addresses);
    expect(kernel.render().sysctls['net/ipv4/conf/all/arp_ignore']).toBe('1');
    expect(down.kept?.map((k) => k.neededBy)).toContainEqual(['203.0.113.5/32 on lo']);
    const loLink = kernel.links.get('lo');
    if (loLink) loLink.addresses = loLink.addresses.filter((a) => a.local !== '203.0.113.5');
    expect((await stop(opts)).ok).toBe(true);
    expect(kernel.render()).toEqual({ ...pristine, addresses: ['127.0.0.1/8 dev lo'] });
  });
});
