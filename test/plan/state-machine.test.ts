import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planStart, start, stop } from '../../src/agent.js';
import { FakeKernel } from '../helpers/fake-kernel.js';
import { fakeAgent } from '../helpers/fake-agent.js';

// Every kind of object at once, through random sequences of desired states with random
// drift by someone else between passes (tailscale's router-state test, over the whole
// registry): after each pass the host is as desired (the next plan is empty), and at
// every step of every pass no change of rs-agent's leaves an IPv4 VIP-like address
// answerable on the wire that was not before it.

const VIPS = [
  '192.0.2.10',
  '192.0.2.11',
  '"2001:db8::10"',
  '{address: 198.51.100.7, mode: tun}',
  '{address: 198.51.100.8, mode: tun, encap: gue, port: 6080}',
  '{address: 198.51.100.9, mode: tun, encap: gre}',
  '{address: "2001:db8::7", mode: tun}',
];
const NICS = ['eth0', 'eth1'];
const FOREIGN = '203.0.113.5';

type Drift =
  | { op: 'delete-address' | 'delete-route' | 'reset-sysctl'; pick: number }
  | { op: 'flush-guard' | 'tunl0-down' | 'foreign-vip' | 'foreign-gone' };

const drift: fc.Arbitrary<Drift> = fc.oneof(
  fc.record({ op: fc.constantFrom('delete-address', 'delete-route', 'reset-sysctl'), pick: fc.nat() }),
  fc.record({ op: fc.constantFrom('flush-guard', 'tunl0-down', 'foreign-vip', 'foreign-gone') }),
) as fc.Arbitrary<Drift>;

const step = fc.record({
  vips: fc.subarray(VIPS),
  guard: fc.constantFrom('auto', 'off'),
  interfaces: fc.boolean(),
  drift: fc.array(drift, { maxLength: 4 }),
});

// Someone else at work on the host between two passes.
function disturb(k: FakeKernel, d: Drift): void {
  const homes = [...k.links.values()].filter((l) => l.name === 'lo' || ['ipip', 'gre', 'tunnel6'].includes(l.linkType));
  const removable = homes.flatMap((l) =>
    l.addresses.filter((a) => a.local !== '127.0.0.1' && a.local !== FOREIGN).map((a) => ({ l, a })),
  );
  switch (d.op) {
    case 'delete-address': {
      const hit = removable[d.pick % Math.max(1, removable.length)];
      if (hit) hit.l.addresses.splice(hit.l.addresses.indexOf(hit.a), 1);
      return;
    }
    case 'delete-route':
      if (k.routes.length > 0) k.routes.splice(d.pick % k.routes.length, 1);
      return;
    case 'reset-sysctl': {
      const arp = [...k.sysctls.keys()].filter((p) => /arp_(ignore|announce)$/.test(p));
      k.sysctls.set(arp[d.pick % arp.length] as string, '0');
      return;
    }
    case 'flush-guard':
      if (k.nft.tables.has('arp rs_agent')) k.nft.flush('arp rs_agent');
      return;
    case 'tunl0-down': {
      const tunl0 = k.links.get('tunl0');
      if (tunl0) tunl0.up = false;
      return;
    }
    case 'foreign-vip': {
      const lo = k.links.get('lo');
      if (lo && !lo.addresses.some((a) => a.local === FOREIGN))
        lo.addresses.push({ local: FOREIGN, prefixlen: 32, family: 'inet', label: 'lo' });
      return;
    }
    case 'foreign-gone': {
      const lo = k.links.get('lo');
      if (lo) lo.addresses = lo.addresses.filter((a) => a.local !== FOREIGN);
    }
  }
}

// The IPv4 addresses on lo or a tunnel device that the host would answer ARP for on some
// NIC: the kernel uses max(all, NIC) of arp_ignore (1, 2 or 8 answer only for addresses
// on the receiving NIC) and arp_announce (2 never uses them as ARP source), unless the
// nftables guard is intact and holds the address. Written from the kernel's rules, not
// from rs-agent's code.
function answerable(k: FakeKernel): string[] {
  const value = (dev: string, name: string) => Number(k.sysctls.get(`net/ipv4/conf/${dev}/${name}`) ?? 0);
  const nics = [...k.links.values()].filter((l) => l.linkType === 'ether' && !['gretap0', 'erspan0'].includes(l.name));
  const sysctlsHold = nics.every((n) => {
    const ignore = Math.max(value('all', 'arp_ignore'), value(n.name, 'arp_ignore'));
    const announce = Math.max(value('all', 'arp_announce'), value(n.name, 'arp_announce'));
    return [1, 2, 8].includes(ignore) && announce === 2;
  });
  const guard = k.nft.tables.get('arp rs_agent');
  const guarded = new Set(
    guard && k.nft.ruleCount('arp rs_agent') === 2 ? (guard.sets.get('vips4')?.elements ?? []) : [],
  );
  return [...k.links.values()]
    .filter((l) => l.name === 'lo' || ['ipip', 'gre'].includes(l.linkType))
    .flatMap((l) =>
      l.addresses.filter((a) => a.family === 'inet' && !a.local.startsWith('127.')).map((a) => ({ l, a })),
    )
    .filter(({ a }) => !sysctlsHold && !guarded.has(a.local))
    .map(({ l, a }) => `${a.local}/${a.prefixlen} dev ${l.name}`)
    .sort();
}

function yaml(s: { vips: string[]; guard: string; interfaces: boolean }): string {
  const lines = [`vips: [${s.vips.join(', ')}]`, `arp: {guard: ${s.guard}}`];
  if (s.interfaces) lines.push('interfaces: [eth0, eth1]');
  return `${lines.join('\n')}\n`;
}

describe('random desired states and drift, every kind of object at once', () => {
  it('converges after every pass, and no step of a pass exposes a VIP-like address', { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
        const k = new FakeKernel();
        for (const nic of NICS) k.addLink(nic);
        for (const m of ['ipip', 'ip6_tunnel', 'ip_gre', 'fou']) k.availableModules.add(m);
        k.nftInstalled = true;
        const { opts, setConfig } = fakeAgent('vips: []\n', k);
        const pristine = k.render().sysctls;
        let exposed = answerable(k);
        k.onStep = (what) => {
          const now = answerable(k);
          const worse = now.filter((a) => !exposed.includes(a));
          if (worse.length > 0) throw new Error(`"${what}" left ${worse.join(', ')} answerable`);
          exposed = now;
        };
        const quiet = <T>(fn: () => T) => {
          const hook = k.onStep;
          k.onStep = undefined;
          try {
            return fn();
          } finally {
            k.onStep = hook;
          }
        };
        for (const s of steps) {
          for (const d of s.drift) quiet(() => disturb(k, d));
          exposed = answerable(k);
          if (s.vips.length === 0) {
            await stop(opts);
            expect((await stop(opts)).changes).toEqual([]);
          } else {
            setConfig(yaml(s));
            const result = await start(opts);
            expect(result.verdict.why).toEqual([]);
            expect((await planStart(opts)).changes).toEqual([]);
          }
        }
        await stop(opts);
        if (!k.links.get('lo')?.addresses.some((a) => a.local === FOREIGN)) {
          const after = k.render();
          expect(after.addresses).toEqual(['127.0.0.1/8 dev lo']);
          expect(after.routes).toEqual([]);
          const mine = (p: string) => !/\/(tunl0|ip6tnl0|gre0|gretap0|erspan0|ip6gre0)\//.test(p);
          expect(Object.fromEntries(Object.entries(after.sysctls).filter(([p]) => mine(p)))).toEqual(
            Object.fromEntries(Object.entries(pristine).filter(([p]) => mine(p))),
          );
          expect(k.nft.tables.size).toBe(0);
        }
      }),
      { numRuns: 20 },
    );
  });
});
