import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { check, planStart, reconcile, start, stop, validate } from '../../src/agent.js';
import { acquireLock } from '../../src/state/lock.js';
import { statePath } from '../../src/state/state-file.js';
import { FakeKernel } from '../helpers/fake-kernel.js';
import { fakeAgent } from '../helpers/fake-agent.js';

const DR = 'vips: [192.0.2.10, 192.0.2.11]\ninterfaces: [eth0]\n';
const TUN = 'mode: tun\nvips: [198.51.100.7]\ninterfaces: [eth0]\n';

describe('start / stop / check against the fake kernel', () => {
  it('start converges, the next plan is empty, and a second start runs no mutating command', async () => {
    const { kernel, opts } = fakeAgent(DR);
    const first = await start(opts);
    expect(first.ok).toBe(true);
    expect(kernel.render().addresses).toEqual([
      '127.0.0.1/8 dev lo',
      '192.0.2.10/32 dev lo label lo:0',
      '192.0.2.11/32 dev lo label lo:1',
    ]);
    expect(kernel.render().routes).toEqual(['192.0.2.10/32 dev lo', '192.0.2.11/32 dev lo']);
    expect((await planStart(opts)).changes).toEqual([]);
    const before = kernel.mutatingCommands().length;
    expect((await start(opts)).changes).toEqual([]);
    expect(kernel.mutatingCommands().length).toBe(before);
  });

  it('writes every sysctl before the one ip batch that adds addresses', async () => {
    const { kernel, opts } = fakeAgent(DR);
    await start(opts);
    const mutating = kernel.mutatingCommands();
    const batch = mutating.findIndex((c) => c.startsWith('ip -force -batch'));
    expect(mutating.filter((c) => c.startsWith('ip -force -batch'))).toHaveLength(1);
    expect(mutating.slice(0, batch).every((c) => c.startsWith('write '))).toBe(true);
    expect(mutating.slice(batch + 1)).toEqual([]);
  });

  it('records the originals in the state file before the first mutation', async () => {
    const { kernel, opts } = fakeAgent(DR);
    kernel.sysctls.set('net/ipv4/conf/eth0/arp_announce', '1');
    let seenAtFirstWrite: string | null = null;
    const write = kernel.write.bind(kernel);
    kernel.write = (path, value) => {
      seenAtFirstWrite ??= existsSync(statePath(opts.stateDir))
        ? readFileSync(statePath(opts.stateDir), 'utf8')
        : 'missing';
      write(path, value);
    };
    await start(opts);
    expect(seenAtFirstWrite).toContain('"net/ipv4/conf/eth0/arp_announce":{"original":"1","ifindex":');
    expect(seenAtFirstWrite).toContain('192.0.2.10');
  });

  it("stop keeps ARP protection while someone else's VIP is on lo, and restores the exact originals once it is gone", async () => {
    const kernel = new FakeKernel().addLink('eth0');
    kernel.sysctls.set('net/ipv4/conf/eth0/arp_announce', '1');
    kernel.sysctls.set('net/ipv4/conf/all/arp_ignore', '2');
    kernel.links.get('lo')?.addresses.push({ local: '203.0.113.5', prefixlen: 32, family: 'inet', label: 'lo:0' });
    const { opts } = fakeAgent(DR, kernel);
    await start(opts);
    const result = await stop(opts);
    expect(result.ok).toBe(true);
    expect(kernel.render().addresses).toEqual(['127.0.0.1/8 dev lo', '203.0.113.5/32 dev lo label lo:0']);
    expect(kernel.render().routes).toEqual([]);
    expect(kernel.sysctls.get('net/ipv4/conf/eth0/arp_announce')).toBe('2');
    expect(kernel.sysctls.get('net/ipv4/conf/lo/arp_ignore')).toBe('1');
    expect(result.kept?.map((k) => k.item)).toContain('sysctl net.ipv4.conf.eth0.arp_announce');
    expect(result.kept?.every((k) => k.neededBy.join() === '203.0.113.5/32 on lo')).toBe(true);
    // The originals stay recorded: once the address is gone, a later stop finishes the job.
    expect(readFileSync(statePath(opts.stateDir), 'utf8')).toContain(
      '"net/ipv4/conf/eth0/arp_announce":{"original":"1","ifindex":',
    );
    kernel.links.get('lo')!.addresses = kernel.links.get('lo')!.addresses.filter((a) => a.local !== '203.0.113.5');
    const pristine = new FakeKernel().addLink('eth0');
    pristine.sysctls.set('net/ipv4/conf/eth0/arp_announce', '1');
    pristine.sysctls.set('net/ipv4/conf/all/arp_ignore', '2');
    expect((await stop(opts)).ok).toBe(true);
    expect(kernel.render()).toEqual(pristine.render());
    expect(existsSync(statePath(opts.stateDir))).toBe(false);
    const again = await stop(opts);
    expect(again.changes).toEqual([]);
  });

  it('check reports drift and check --fix repairs it', async () => {
    const { kernel, opts } = fakeAgent(DR);
    await start(opts);
    kernel.links.get('lo')!.addresses = kernel.links.get('lo')!.addresses.filter((a) => a.local !== '192.0.2.11');
    kernel.sysctls.set('net/ipv4/conf/eth0/arp_ignore', '0');
    const drift = await check(opts, false);
    expect(drift.drift.map((c) => `${c.kind} ${c.target} ${c.from} ${c.to}`)).toEqual([
      'sysctl net.ipv4.conf.eth0.arp_ignore 0 1',
      'address 192.0.2.11/32 dev lo absent present',
    ]);
    const fixed = await check(opts, true);
    expect(fixed.remaining).toEqual([]);
    expect((await check(opts, false)).drift).toEqual([]);
    // The original recorded at the first start survives the repair.
    await stop(opts);
    expect(kernel.sysctls.get('net/ipv4/conf/eth0/arp_ignore')).toBe('0');
  });

  it('TUN: loads ipip, records tunl0 values it could not see at plan time, and stop brings tunl0 down', async () => {
    const kernel = new FakeKernel().addLink('eth0');
    kernel.availableModules.add('ipip');
    kernel.sysctls.set('net/ipv4/conf/default/rp_filter', '1');
    kernel.sysctls.set('net/ipv4/conf/all/rp_filter', '1');
    const { opts } = fakeAgent(TUN, kernel);
    expect((await start(opts)).ok).toBe(true);
    expect(kernel.commands.filter((c) => c.startsWith('modprobe'))).toEqual(['modprobe ipip']);
    expect(kernel.render().up).toContain('tunl0');
    expect(kernel.sysctls.get('net/ipv4/conf/tunl0/rp_filter')).toBe('0');
    expect(kernel.sysctls.get('net/ipv4/conf/all/rp_filter')).toBe('0');
    expect((await planStart(opts)).changes).toEqual([]);
    await stop(opts);
    expect(kernel.render().up).not.toContain('tunl0');
    expect(kernel.sysctls.get('net/ipv4/conf/tunl0/rp_filter')).toBe('1'); // copied from default at creation
    expect(kernel.sysctls.get('net/ipv4/conf/all/rp_filter')).toBe('1');
  });
});

describe('failure paths the real kernel cannot produce on demand', () => {
  it('a sysctl that cannot be written stops the pass before any address is added', async () => {
    const { kernel, opts } = fakeAgent(DR);
    kernel.readOnlySysctls = true;
    const result = await start(opts);
    expect(result.ok).toBe(false);
    expect(result.outcomes.filter((o) => o.status === 'failed')).toHaveLength(8);
    expect(result.outcomes.filter((o) => o.change.kind === 'address').every((o) => o.status === 'skipped')).toBe(true);
    expect(kernel.commands.some((c) => c.startsWith('ip -force'))).toBe(false);
  });

  it('an address the kernel refuses: the rest continues, the failure is reported, the next pass retries', async () => {
    const { kernel, opts } = fakeAgent(DR);
    kernel.failingLines.set('address add 192.0.2.10/32 dev lo label lo:0', 'RTNETLINK answers: Permission denied');
    const result = await start(opts);
    expect(result.ok).toBe(false);
    expect(result.outcomes.filter((o) => o.status === 'failed').map((o) => o.error)).toEqual([
      'ip address add 192.0.2.10/32 dev lo label lo:0: RTNETLINK answers: Permission denied',
    ]);
    expect(kernel.render().addresses).toContain('192.0.2.11/32 dev lo label lo:1');
    kernel.failingLines.clear();
    expect((await start(opts)).ok).toBe(true);
    expect((await planStart(opts)).changes).toEqual([]);
  });

  it("a host route to the VIP via another device is a failure named in the kernel's words, not done", async () => {
    const { kernel, opts } = fakeAgent(DR);
    kernel.routes.push({ dst: '192.0.2.10', prefixlen: 32, dev: 'eth0' });
    const result = await start(opts);
    expect(result.ok).toBe(false);
    expect(result.outcomes.filter((o) => o.status === 'failed').map((o) => o.error)).toEqual([
      'ip route add 192.0.2.10/32 dev lo: RTNETLINK answers: File exists',
    ]);
    expect(kernel.render().routes).toEqual(['192.0.2.10/32 dev eth0', '192.0.2.11/32 dev lo']);
  });

  it('stop keeps ARP protection when a VIP could not be removed', async () => {
    const { kernel, opts } = fakeAgent(DR);
    await start(opts);
    kernel.failingLines.set('address del 192.0.2.10/32 dev lo', 'RTNETLINK answers: Operation not permitted');
    const result = await stop(opts);
    expect(result.ok).toBe(false);
    expect(kernel.sysctls.get('net/ipv4/conf/all/arp_ignore')).toBe('1');
    expect(result.outcomes.filter((o) => o.change.kind === 'sysctl').every((o) => o.status === 'skipped')).toBe(true);
    kernel.failingLines.clear();
    expect((await stop(opts)).ok).toBe(true);
    expect(kernel.sysctls.get('net/ipv4/conf/all/arp_ignore')).toBe('0');
  });

  it('TUN without ipip: only what lives on tunl0 is skipped; the rest converges, and stop undoes it', async () => {
    const { kernel, opts } = fakeAgent('vips: [192.0.2.10, {address: 198.51.100.7, mode: tun}]\ninterfaces: [eth0]\n');
    const pristine = kernel.render();
    const result = await start(opts);
    const by = (status: string) =>
      result.outcomes
        .filter((o) => o.status === status)
        .map((o) => `${o.change.kind} ${o.change.action} ${o.change.target}`);
    expect(by('failed')).toEqual(['module load ipip']);
    expect(result.outcomes[0]?.error).toMatch(/kernel module ipip is not available/);
    // Skipped: exactly the changes on tunl0, which the module would have created.
    expect(by('skipped').every((c) => /tunl0/.test(c))).toBe(true);
    expect(by('skipped')).toContain('address add 198.51.100.7/32 dev tunl0');
    // Applied: the DR VIP, with its ARP protection first.
    expect(by('applied')).toContain('address add 192.0.2.10/32 dev lo');
    expect(by('applied').indexOf('sysctl set net.ipv4.conf.all.arp_ignore')).toBeLessThan(
      by('applied').indexOf('address add 192.0.2.10/32 dev lo'),
    );
    expect(result.ok).toBe(false);
    await stop(opts);
    expect(kernel.render()).toEqual(pristine);
    expect(existsSync(statePath(opts.stateDir))).toBe(false);
  });

  it('the fake kernel refuses a command it does not know', async () => {
    await expect(new FakeKernel().run(['ip', 'addr', 'flush', 'dev', 'lo'])).rejects.toThrow(/unexpected command/);
  });
});

// Any config to any other, in a pseudo-random order: each transition converges in one
// pass, the next plan is empty, and stop at the end returns the host to where it began.
describe('transitions between configs', () => {
  const configs = [
    DR,
    'vips: [192.0.2.11]\ninterfaces: [eth0]\n',
    TUN,
    'vips: [192.0.2.10, {address: 198.51.100.7, mode: tun}]\ninterfaces: [eth0]\n',
    'mode: tun\nvips: [192.0.2.10, 192.0.2.12]\n',
    'vips: [192.0.2.12]\narp: {ignore: 2}\n',
    'vips: ["2001:db8::10", 192.0.2.10]\ninterfaces: [eth0]\n',
    'vips: ["2001:db8::10", {address: "2001:db8::11", mode: tun}]\n',
    'mode: tun\nvips: ["2001:db8::10", 198.51.100.7]\n',
  ];

  it('cycles through configs in pseudo-random order', async () => {
    const kernel = new FakeKernel().addLink('eth0');
    kernel.availableModules.add('ipip');
    kernel.availableModules.add('ip6_tunnel');
    kernel.sysctls.set('net/ipv4/conf/all/rp_filter', '1');
    kernel.sysctls.set('net/ipv4/conf/eth0/arp_announce', '1');
    const pristine = kernel.render();
    const agent = fakeAgent(configs[0] as string, kernel);
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 40; i++) {
      const yaml = configs[Math.floor(random() * configs.length)] as string;
      agent.setConfig(yaml);
      const result = await start(agent.opts);
      expect(result.ok, `step ${i}: ${yaml}`).toBe(true);
      expect((await planStart(agent.opts)).changes, `step ${i}: ${yaml}`).toEqual([]);
    }
    expect((await stop(agent.opts)).ok).toBe(true);
    const after = kernel.render();
    // tunl0 and ip6tnl0 stay (modules are never unloaded), down, with the values they were created with.
    const { sysctls, ...rest } = after;
    const tunl0Free = Object.fromEntries(Object.entries(sysctls).filter(([k]) => !/\/(tunl0|ip6tnl0)\//.test(k)));
    expect({ ...rest, sysctls: tunl0Free }).toEqual(pristine);
  });
});

describe('reconcile (one daemon pass)', () => {
  it('holds back what the flap backoff holds and what needs it, returns them, and the next pass applies them', async () => {
    const { kernel, opts } = fakeAgent(DR);
    const config = validate(opts);
    const isVip = (c: { kind: string }) => c.kind === 'address' || c.kind === 'route';
    // The addresses held: their routes, which need them, are held back with them.
    const held = await reconcile(opts, config, (item) => item.startsWith('address '));
    expect(held.held.map((h) => `${h.change.kind} ${h.change.target}`)).toEqual(
      held.snapshot.changes.filter(isVip).map((c) => `${c.kind} ${c.target}`),
    );
    expect(held.held).toHaveLength(4);
    expect(held.verdict.inSync).toBe(false);
    expect(held.outcomes.map((o) => o.change)).toEqual(held.snapshot.changes.filter((c) => !isVip(c)));
    expect(kernel.render().addresses).toEqual(['127.0.0.1/8 dev lo']);
    const all = await reconcile(opts, config);
    expect(all.held).toEqual([]);
    expect(all.ok).toBe(true);
    expect(all.verdict.inSync).toBe(true);
    expect(kernel.render().addresses).toEqual([
      '127.0.0.1/8 dev lo',
      '192.0.2.10/32 dev lo label lo:0',
      '192.0.2.11/32 dev lo label lo:1',
    ]);
  });

  // The scheduled pass (lookFirst) takes the lock only when it has something to do: with
  // another holder in the way and no wait allowed, a pass that went for the lock fails.
  describe('looking first, without the lock', () => {
    const held = async (opts: { stateDir: string }) => {
      const lock = await acquireLock(opts.stateDir); // `rs-agent check --fix` under way
      onTestFinished(() => lock.release());
    };

    it('a converged host: done without the lock, nothing run or written', async () => {
      const { kernel, opts } = fakeAgent(DR);
      await start(opts);
      const config = validate(opts);
      const state = readFileSync(statePath(opts.stateDir), 'utf8');
      const before = kernel.mutatingCommands().length;
      await held(opts);
      const pass = await reconcile({ ...opts, lockWaitMs: 0 }, config, undefined, true);
      expect(pass.ok).toBe(true);
      expect(pass.verdict.inSync).toBe(true);
      expect(pass.outcomes).toEqual([]);
      expect(kernel.mutatingCommands().length).toBe(before);
      expect(readFileSync(statePath(opts.stateDir), 'utf8')).toBe(state);
    });

    it('a drifted host: goes for the lock, and repairs under it', async () => {
      const { kernel, opts } = fakeAgent(DR);
      await start(opts);
      const config = validate(opts);
      kernel.links.get('lo')!.addresses = kernel.links.get('lo')!.addresses.filter((a) => a.local !== '192.0.2.11');
      const lock = await acquireLock(opts.stateDir);
      await expect(reconcile({ ...opts, lockWaitMs: 0 }, config, undefined, true)).rejects.toThrow(/holds .*lock/);
      expect(kernel.render().addresses).not.toContain('192.0.2.11/32 dev lo label lo:1');
      lock.release();
      const pass = await reconcile(opts, config, undefined, true);
      expect(pass.ok).toBe(true);
      expect(kernel.render().addresses).toContain('192.0.2.11/32 dev lo label lo:1');
    });

    it('nothing to change but the record of what it owns to update: goes for the lock', async () => {
      const { kernel, opts, setConfig } = fakeAgent(DR);
      await start(opts);
      // 192.0.2.11 leaves the config and, behind rs-agent's back, the host: no change is
      // planned, but the state file still records it.
      setConfig('vips: [192.0.2.10]\ninterfaces: [eth0]\n');
      const config = validate(opts);
      kernel.links.get('lo')!.addresses = kernel.links.get('lo')!.addresses.filter((a) => a.local !== '192.0.2.11');
      kernel.routes = kernel.routes.filter((r) => r.dst !== '192.0.2.11');
      const lock = await acquireLock(opts.stateDir);
      await expect(reconcile({ ...opts, lockWaitMs: 0 }, config, undefined, true)).rejects.toThrow(/holds .*lock/);
      expect(readFileSync(statePath(opts.stateDir), 'utf8')).toContain('192.0.2.11');
      lock.release();
      const pass = await reconcile(opts, config, undefined, true);
      expect(pass.changes).toEqual([]);
      expect(readFileSync(statePath(opts.stateDir), 'utf8')).not.toContain('192.0.2.11');
    });
  });
});
