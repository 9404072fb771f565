import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { check, planStart, start, stop } from '../../src/agent.js';
import { formatChange, formatDrift } from '../../src/render/change.js';
import { statePath } from '../../src/state/state-file.js';
import { FakeKernel } from '../helpers/fake-kernel.js';
import { fakeAgent } from '../helpers/fake-agent.js';

const GUE =
  'mode: tun\nvips:\n  - {address: 198.51.100.7, encap: gue, port: 6080}\n  - {address: "2001:db8::7", encap: gue, port: 6080}\ninterfaces: [eth0]\n';
const GRE =
  'mode: tun\nvips:\n  - {address: 198.51.100.7, encap: gre}\n  - {address: "2001:db8::7", encap: gre}\ninterfaces: [eth0]\n';

function kernelWith(...modules: string[]): FakeKernel {
  const kernel = new FakeKernel().addLink('eth0');
  for (const m of modules) kernel.availableModules.add(m);
  return kernel;
}

describe('GUE against the fake kernel', () => {
  it('start loads ipip, ip6_tunnel and fou, adds a listener per family, puts the VIPs on tunl0/ip6tnl0; the next plan is empty', async () => {
    const { kernel, opts } = fakeAgent(GUE, kernelWith('ipip', 'ip6_tunnel', 'fou'));
    const result = await start(opts);
    expect(result.outcomes.filter((o) => o.status !== 'applied')).toEqual([]);
    expect(result.changes.slice(0, 5).map(formatChange)).toEqual([
      '+ module ipip (load; creates tunl0)',
      '+ module ip6_tunnel (load; creates ip6tnl0)',
      '+ module fou (load; GUE listeners)',
      '+ fou port 6080 gue',
      '+ fou port 6080 gue -6',
    ]);
    expect(kernel.fou).toEqual(['port 6080 gue', 'port 6080 gue -6']);
    expect(kernel.render().addresses).toContain('198.51.100.7/32 dev tunl0');
    expect(kernel.render().up).toEqual(expect.arrayContaining(['tunl0', 'ip6tnl0']));
    expect(kernel.sysctls.get('net/ipv4/conf/tunl0/rp_filter')).toBe('0');
    const state = JSON.parse(readFileSync(statePath(opts.stateDir), 'utf8')) as { owned: { fou: unknown } };
    expect(state.owned.fou).toEqual([
      { port: 6080, family: 4 },
      { port: 6080, family: 6 },
    ]);
    expect((await planStart(opts)).changes).toEqual([]);
    const before = kernel.mutatingCommands().length;
    await start(opts);
    expect(kernel.mutatingCommands().length).toBe(before);
  });

  it('drift: a deleted listener is reported and repaired; stop deletes the listeners it added', async () => {
    const { kernel, opts } = fakeAgent(GUE, kernelWith('ipip', 'ip6_tunnel', 'fou'));
    await start(opts);
    kernel.fou = ['port 6080 gue -6'];
    const drift = await check(opts, false);
    expect(drift.drift.map(formatDrift)).toEqual(['fou port 6080 gue: missing']);
    const fixed = await check(opts, true);
    expect(fixed.remaining).toEqual([]);
    expect(kernel.fou).toEqual(['port 6080 gue -6', 'port 6080 gue']);
    const stopped = await stop(opts);
    expect(stopped.ok).toBe(true);
    expect(kernel.fou).toEqual([]);
    expect(kernel.render().up).toEqual(['eth0', 'lo']);
    expect(existsSync(statePath(opts.stateDir))).toBe(false);
  });

  it('a GUE listener that was there before start is used, and left in place by stop', async () => {
    const kernel = kernelWith('ipip', 'ip6_tunnel', 'fou');
    kernel.fou = ['port 6080 gue'];
    const { opts } = fakeAgent(GUE, kernel);
    const result = await start(opts);
    expect(result.changes.filter((c) => c.kind === 'fou').map(formatChange)).toEqual(['+ fou port 6080 gue -6']);
    expect(result.changes.filter((c) => c.kind === 'module').map((c) => c.target)).toEqual(['ipip', 'ip6_tunnel']);
    await stop(opts);
    expect(kernel.fou).toEqual(['port 6080 gue']);
  });

  it('a port bound by another UDP socket: start fails naming it; the GUE VIPs, which need their listener, wait', async () => {
    const kernel = kernelWith('ipip', 'ip6_tunnel', 'fou');
    kernel.udpPorts.add(6080);
    const { opts } = fakeAgent(GUE, kernel);
    const result = await start(opts);
    expect(result.ok).toBe(false);
    const failures = result.outcomes.filter((o) => o.status === 'failed');
    expect(failures.map((o) => o.error)).toEqual([
      'ip fou add port 6080 gue: RTNETLINK answers: Address already in use (UDP port 6080 is taken by another socket on this host, ' +
        'not a fou listener: see "ss -uln sport = :6080"; free it or choose another GUE port)',
      'ip fou add port 6080 gue -6: RTNETLINK answers: Address already in use (UDP port 6080 is taken by another socket on this host, ' +
        'not a fou listener: see "ss -uln sport = :6080"; free it or choose another GUE port)',
    ]);
    expect(result.outcomes.filter((o) => o.status === 'skipped').map((o) => o.change.target)).toEqual([
      '198.51.100.7/32 dev tunl0',
      '2001:db8::7/128 dev ip6tnl0',
      '198.51.100.7/32 dev tunl0',
      '2001:db8::7/128 dev ip6tnl0',
    ]);
    expect(kernel.render().addresses).not.toContain('198.51.100.7/32 dev tunl0');
    // Nothing claimed for what failed: stop has no listener to delete.
    await stop(opts);
    expect(kernel.mutatingCommands().filter((c) => c.includes('fou del'))).toEqual([]);
  });

  it('a port held by a fou listener of another kind: a problem naming it, no attempt to add, its VIP held back', async () => {
    const kernel = kernelWith('ipip', 'ip6_tunnel', 'fou');
    kernel.fou = ['port 6080 ipproto 4'];
    const { opts } = fakeAgent(GUE, kernel);
    const result = await start(opts);
    // (This fake kernel has no nft: the MSS clamp is the other thing not in place.)
    expect(result.problems.map((p) => p.item)).toEqual(['fou port 6080 gue', 'nft table inet rs_agent']);
    expect(result.problems[0]?.message).toMatch(
      /^GUE port 6080 \(IPv4\) is taken by a fou listener of another kind \(port 6080 ipproto 4\)/,
    );
    expect(result.held.map((h) => `${formatChange(h.change)}: ${h.why}`)).toEqual([
      '+ address 198.51.100.7/32 dev tunl0: not attempted: fou port 6080 gue is not available (see above)',
      '+ route 198.51.100.7/32 dev tunl0: not attempted: fou port 6080 gue is not available (see above)',
    ]);
    expect(kernel.render().addresses).toContain('2001:db8::7/128 dev ip6tnl0');
    expect(kernel.fou).toEqual(['port 6080 ipproto 4', 'port 6080 gue -6']);
    await stop(opts);
    expect(kernel.fou).toEqual(['port 6080 ipproto 4']);
  });

  it('fou missing: its listeners and the GUE VIPs that need them are not attempted, the rest converges', async () => {
    const { kernel, opts } = fakeAgent(GUE, kernelWith('ipip', 'ip6_tunnel'));
    const result = await start(opts);
    const notApplied = result.outcomes
      .filter((o) => o.status !== 'applied')
      .map((o) => `${o.status} ${formatChange(o.change)}: ${o.error}`);
    expect(notApplied).toEqual([
      'failed + module fou (load; GUE listeners): kernel module fou is not available (modprobe fou: modprobe: FATAL: Module fou not found in directory /lib/modules/fake)',
      'skipped + fou port 6080 gue: not attempted: kernel module fou failed first',
      'skipped + fou port 6080 gue -6: not attempted: kernel module fou failed first',
      'skipped + address 198.51.100.7/32 dev tunl0: not attempted: kernel module fou failed first',
      'skipped + address 2001:db8::7/128 dev ip6tnl0: not attempted: kernel module fou failed first',
      'skipped + route 198.51.100.7/32 dev tunl0: not attempted: kernel module fou failed first',
      'skipped + route 2001:db8::7/128 dev ip6tnl0: not attempted: kernel module fou failed first',
    ]);
    expect(kernel.render().up).toContain('tunl0');
    expect(kernel.render().addresses).not.toContain('198.51.100.7/32 dev tunl0');
    expect((await stop(opts)).ok).toBe(true);
    expect(existsSync(statePath(opts.stateDir))).toBe(false);
  });
});

describe('GRE against the fake kernel', () => {
  it('start loads ip_gre and ip6_gre, brings gre0 and ip6gre0 up with the VIPs; stop takes it all back', async () => {
    const { kernel, opts } = fakeAgent(GRE, kernelWith('ip_gre', 'ip6_gre'));
    const before = kernel.render().sysctls;
    const result = await start(opts);
    expect(result.ok).toBe(true);
    expect(kernel.render().addresses).toEqual([
      '127.0.0.1/8 dev lo',
      '198.51.100.7/32 dev gre0',
      '2001:db8::7/128 dev ip6gre0',
    ]);
    expect(kernel.render().routes).toEqual(['198.51.100.7/32 dev gre0', '2001:db8::7/128 dev ip6gre0']);
    expect(kernel.render().up).toEqual(['eth0', 'gre0', 'ip6gre0', 'lo']);
    expect(kernel.sysctls.get('net/ipv4/conf/gre0/rp_filter')).toBe('0');
    expect(kernel.sysctls.get('net/ipv4/conf/gre0/arp_ignore')).toBe('1');
    // ip_gre's ethernet-typed fallbacks are left alone.
    expect(kernel.sysctls.get('net/ipv4/conf/gretap0/arp_ignore')).toBe('0');
    expect((await planStart(opts)).changes).toEqual([]);
    expect(kernel.commands.some((c) => c.includes('fou'))).toBe(false);

    kernel.links.get('gre0')!.up = false;
    expect((await check(opts, false)).drift.map(formatDrift)).toContain('link gre0: down → up');
    expect((await check(opts, true)).remaining).toEqual([]);

    expect((await stop(opts)).ok).toBe(true);
    expect(kernel.render().up).toEqual(['eth0', 'lo']);
    expect(kernel.render().addresses).toEqual(['127.0.0.1/8 dev lo']);
    // gre0 appeared with start; its values are the ones it was created with (default's).
    const after = kernel.render().sysctls;
    expect(Object.fromEntries(Object.entries(before).filter(([k, v]) => after[k] !== v))).toEqual({});
  });
});
