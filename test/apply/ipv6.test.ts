import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { check, planStart, start, stop } from '../../src/agent.js';
import { readState, statePath } from '../../src/state/state-file.js';
import { FakeKernel } from '../helpers/fake-kernel.js';
import { fakeAgent } from '../helpers/fake-agent.js';

const DUAL = 'vips: [192.0.2.10, "2001:db8::10"]\ninterfaces: [eth0]\n';
const processes = (kernel: FakeKernel) => kernel.commands.filter((c) => !c.startsWith('write '));

describe('IPv6 VIPs against the fake kernel', () => {
  it('start adds the v6 VIP with nodad, preferred_lft 0 and noprefixroute in the same ip batch, and converges', async () => {
    const { kernel, opts } = fakeAgent(DUAL);
    expect((await start(opts)).ok).toBe(true);
    const batch = kernel.commands.find((c) => c.startsWith('ip -force -batch'));
    expect(batch?.replace(/^ip -force -batch \S+/, 'ip -force -batch FILE')).toBe(
      'ip -force -batch FILE <<< address add 192.0.2.10/32 dev lo label lo:0 | ' +
        'address add 2001:db8::10/128 dev lo nodad preferred_lft 0 noprefixroute | ' +
        'route add 192.0.2.10/32 dev lo | route add 2001:db8::10/128 dev lo',
    );
    expect(kernel.render().routes).toEqual(['192.0.2.10/32 dev lo', '2001:db8::10/128 dev lo']);
    expect((await planStart(opts)).changes).toEqual([]);
  });

  it('reads the IPv6 route table only when IPv6 VIPs are configured or owned: a v4-only check is one ip process', async () => {
    const v4 = fakeAgent('vips: [192.0.2.10]\narp: {guard: off}\n');
    await check(v4.opts, false);
    expect(processes(v4.kernel)).toEqual([
      'ip -json -batch - <<< addr show | route show table main',
      'nft -j list table inet rs_agent_traffic', // new connections are counted where nft works
    ]);

    const dual = fakeAgent(DUAL);
    await check(dual.opts, false);
    expect(processes(dual.kernel)).toEqual([
      'ip -json -batch - <<< addr show | route show table main',
      'ip -json -6 route show table main',
      'nft -j list table arp rs_agent', // arp.guard auto: looks for nft (not installed here)
      'nft -j list table inet rs_agent_traffic',
    ]);
  });

  it('a v6 route deleted behind its back is drift; stop, with no config, still finds and removes the v6 route', async () => {
    const { kernel, opts, setConfig } = fakeAgent(DUAL);
    const pristine = kernel.render();
    await start(opts);
    kernel.routes = kernel.routes.filter((r) => r.dst !== '2001:db8::10');
    expect((await check(opts, false)).drift.map((c) => `${c.kind} ${c.action} ${c.target}`)).toEqual([
      'route add 2001:db8::10/128 dev lo',
    ]);
    expect((await check(opts, true)).remaining).toEqual([]);
    setConfig('vips: [192.0.2.10]\n'); // the config no longer names the v6 VIP; ownership still does
    const result = await stop(opts);
    expect(result.ok).toBe(true);
    expect(kernel.commands).toContain('ip -json -6 route show table main');
    expect(kernel.render()).toEqual(pristine);
    expect(existsSync(statePath(opts.stateDir))).toBe(false);
  });

  it('TUN: loads ip6_tunnel, brings ip6tnl0 up with the VIP, and stop takes both away again', async () => {
    const kernel = new FakeKernel().addLink('eth0');
    kernel.availableModules.add('ip6_tunnel');
    const { opts } = fakeAgent('mode: tun\nvips: ["2001:db8::10"]\n', kernel);
    expect((await start(opts)).ok).toBe(true);
    expect(kernel.commands.filter((c) => c.startsWith('modprobe'))).toEqual(['modprobe ip6_tunnel']);
    expect(kernel.commands.some((c) => c.startsWith('write '))).toBe(false);
    expect(kernel.render().up).toContain('ip6tnl0');
    expect(kernel.render().addresses).toContain('2001:db8::10/128 dev ip6tnl0');
    expect((await planStart(opts)).changes).toEqual([]);
    await stop(opts);
    expect(kernel.render().up).not.toContain('ip6tnl0');
    expect(kernel.render().addresses).not.toContain('2001:db8::10/128 dev ip6tnl0');
  });

  it('TUN without ip6_tunnel: nothing changed, no state left', async () => {
    const { kernel, opts } = fakeAgent('mode: tun\nvips: ["2001:db8::10"]\n');
    const pristine = kernel.render();
    const result = await start(opts);
    expect(result.outcomes[0]?.error).toMatch(/^kernel module ip6_tunnel is not available/);
    expect(result.outcomes.slice(1).every((o) => o.status === 'skipped')).toBe(true);
    expect(kernel.render()).toEqual(pristine);
    expect(existsSync(statePath(opts.stateDir))).toBe(false);
  });

  it("a v6 VIP that vanished between observe and delete counts as removed (the kernel's v6 wording)", async () => {
    const { kernel, opts } = fakeAgent(DUAL);
    await start(opts);
    kernel.failingLines.set('address del 2001:db8::10/128 dev lo', 'Error: ipv6: address not found.');
    expect((await stop(opts)).ok).toBe(true);
  });

  it('a v6 VIP re-added without preferred_lft 0 is drift, made deprecated in place with one `address change`', async () => {
    const { kernel, opts } = fakeAgent(DUAL);
    await start(opts);
    const lo = kernel.links.get('lo');
    const vip = lo?.addresses.find((a) => a.local === '2001:db8::10');
    if (!vip) throw new Error('start did not add the VIP');
    vip.deprecated = false; // as after `ip -6 addr del` + `ip -6 addr add ... nodad noprefixroute`
    const result = await check(opts, true);
    expect(result.drift.map((c) => `${c.kind} ${c.action} ${c.target}: ${c.from} → ${c.to}`)).toEqual([
      'address update 2001:db8::10/128 dev lo: preferred → deprecated',
    ]);
    expect(result.remaining).toEqual([]);
    expect(
      kernel
        .mutatingCommands()
        .at(-1)
        ?.replace(/^ip -force -batch \S+/, 'ip -force -batch FILE'),
    ).toBe('ip -force -batch FILE <<< address change 2001:db8::10/128 dev lo nodad preferred_lft 0 noprefixroute');
    expect(lo?.addresses.filter((a) => a.local === '2001:db8::10')).toEqual([vip]); // the same address, never removed
    expect(vip.deprecated).toBe(true);
  });

  it('a preferred v6 VIP someone else added before start is made deprecated, and stop leaves it', async () => {
    const { kernel, opts } = fakeAgent('vips: ["2001:db8::10"]\n');
    kernel.links.get('lo')?.addresses.push({ local: '2001:db8::10', prefixlen: 128, family: 'inet6', nodad: true });
    const started = await start(opts);
    expect(started.changes.map((c) => `${c.kind} ${c.action} ${c.target}`)).toEqual([
      'address update 2001:db8::10/128 dev lo',
      'route add 2001:db8::10/128 dev lo',
    ]);
    expect(readState(opts.stateDir).address).toEqual([]);
    expect((await planStart(opts)).changes).toEqual([]);
    await stop(opts);
    expect(kernel.render().addresses).toContain('2001:db8::10/128 dev lo');
    expect(kernel.render().routes).toEqual([]);
  });
});
